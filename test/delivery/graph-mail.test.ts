import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientCredentialsTokens, MYCELIUM_KEY_PROPERTY } from '../../activities/delivery/graph';
import { GraphMailChannel } from '../../activities/delivery/graph-mail';
import type { DeliveryRequest } from '../../activities/delivery/port';
import { failureOf, startWireServer, type WireServer } from './wire-server';

const request: DeliveryRequest = {
  idempotencyKey: 'notify-d12-dev-9c1e',
  medium: 'email',
  recipient: { personId: 'dev@acme.test', name: 'Dev Patel', email: 'dev@acme.test', timezone: 'Asia/Kolkata' },
  subject: 'Decision D-12: ship Android first',
  markdown: 'We **decided** to ship Android first.',
};
const sender = 'mycelium@acme.test';
const expectedFilter = `singleValueExtendedProperties/Any(ep: ep/id eq '${MYCELIUM_KEY_PROPERTY}' and ep/value eq 'notify-d12-dev-9c1e')`;

interface SentMessage {
  id: string;
  singleValueExtendedProperties: { id: string; value: string }[];
}

/** Sent Items as Graph keeps them, filtered the way Graph filters on a named extended property */
function sentItemsFilter(filter: string | null, sent: SentMessage[]): SentMessage[] {
  const match = /^singleValueExtendedProperties\/Any\(ep: ep\/id eq '(.+)' and ep\/value eq '(.+)'\)$/.exec(filter ?? '');
  if (!match) return [];
  return sent.filter((message) => message.singleValueExtendedProperties.some((ep) => ep.id === match[1] && ep.value.toLowerCase() === match[2]!.toLowerCase()));
}

describe('GraphMailChannel against a local Microsoft Graph', () => {
  let graph: WireServer;
  let mail: GraphMailChannel;
  const sent: SentMessage[] = [];

  beforeEach(async () => {
    graph = await startWireServer();
    sent.length = 0;
    mail = new GraphMailChannel({ sender, baseUrl: graph.url, accessToken: async () => 'eyJ.graph-token' });
    graph.on('POST', `/v1.0/users/${sender}/sendMail`, (incoming) => {
      const { message } = incoming.json() as { message: Omit<SentMessage, 'id'> };
      sent.push({ id: `AAMkAD${sent.length}`, singleValueExtendedProperties: message.singleValueExtendedProperties });
      return { status: 202 };
    });
    graph.on('GET', `/v1.0/users/${sender}/mailFolders/sentitems/messages`, (incoming) => ({
      body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/messages', value: sentItemsFilter(incoming.query.get('$filter'), sent).map(({ id }) => ({ id, internetMessageId: `<${id}@acme.test>` })) },
    }));
  });
  afterEach(() => graph.close());

  it('POSTs sendMail as the sender with HTML body, X- header and the key as an extended property', async () => {
    const receipt = await mail.send(request);
    expect(receipt).toEqual({ ref: `graph-mail:${sender}/notify-d12-dev-9c1e` });
    const [send] = graph.requests;
    expect(send?.method).toBe('POST');
    expect(send?.path).toBe(`/v1.0/users/${sender}/sendMail`);
    expect(send?.headers.authorization).toBe('Bearer eyJ.graph-token');
    expect(send?.headers['content-type']).toMatch(/^application\/json/);
    expect(send?.json()).toEqual({
      message: {
        subject: 'Decision D-12: ship Android first',
        body: { contentType: 'HTML', content: '<p>We <strong>decided</strong> to ship Android first.</p>' },
        toRecipients: [{ emailAddress: { address: 'dev@acme.test', name: 'Dev Patel' } }],
        internetMessageHeaders: [{ name: 'X-Mycelium-Key', value: 'notify-d12-dev-9c1e' }],
        singleValueExtendedProperties: [{ id: MYCELIUM_KEY_PROPERTY, value: 'notify-d12-dev-9c1e' }],
      },
      saveToSentItems: true,
    });
  });

  it('findSent filters Sent Items on the extended property and finds the earlier send', async () => {
    expect(await mail.findSent(request)).toBeUndefined();
    await mail.send(request);
    expect(await mail.findSent(request)).toEqual({ ref: 'graph-mail:AAMkAD0', alreadySent: true });
    const list = graph.requests.at(-1)!;
    expect(list.method).toBe('GET');
    expect(list.query.get('$filter')).toBe(expectedFilter);
    expect(list.query.get('$top')).toBe('1');
    expect(list.headers.authorization).toBe('Bearer eyJ.graph-token');
    expect(await mail.findSent({ ...request, idempotencyKey: 'notify-other' })).toBeUndefined();
  });

  it('429 and 503 with Retry-After: one request each, retryable with that delay', async () => {
    graph.on('POST', `/v1.0/users/${sender}/sendMail`, () => ({ status: 429, headers: { 'retry-after': '9' }, body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } } }));
    const throttled = await failureOf(mail.send(request));
    expect(throttled).toBeInstanceOf(ApplicationFailure);
    expect(throttled.type).toBe('DeliveryRateLimited');
    expect(throttled.nonRetryable).toBe(false);
    expect(throttled.nextRetryDelay).toBe(9000);

    graph.on('POST', `/v1.0/users/${sender}/sendMail`, () => ({ status: 503, headers: { 'retry-after': '4' }, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } }));
    const unavailable = await failureOf(mail.send(request));
    expect(unavailable.type).toBe('DeliveryUnavailable');
    expect(unavailable.nonRetryable).toBe(false);
    expect(unavailable.nextRetryDelay).toBe(4000);
    expect(graph.requests).toHaveLength(2);
  });

  it('401 InvalidAuthenticationToken is non-retryable', async () => {
    graph.on('POST', `/v1.0/users/${sender}/sendMail`, () => ({ status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } } }));
    const failure = await failureOf(mail.send(request));
    expect(failure.type).toBe('DeliveryAuthFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).not.toContain('eyJ.graph-token');
  });
});

describe('clientCredentialsTokens against a local login endpoint', () => {
  let login: WireServer;
  beforeEach(async () => {
    login = await startWireServer();
  });
  afterEach(() => login.close());

  it('fetches an app-only token once and reuses it until a minute before expiry', async () => {
    let issued = 0;
    login.on('POST', '/tenant-1/oauth2/v2.0/token', () => ({ body: { token_type: 'Bearer', expires_in: 3599, access_token: `token-${++issued}` } }));
    let clock = 1_000_000;
    const tokens = clientCredentialsTokens({ tenantId: 'tenant-1', clientId: 'app-1', clientSecret: 's3cret', loginUrl: login.url, now: () => clock });
    expect(await Promise.all([tokens(), tokens()])).toEqual(['token-1', 'token-1']);
    clock += 3500_000;
    expect(await tokens()).toBe('token-1');
    clock += 100_000;
    expect(await tokens()).toBe('token-2');
    expect(login.requests).toHaveLength(2);
    const form = login.requests[0]!.form();
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', client_id: 'app-1', client_secret: 's3cret', scope: 'https://graph.microsoft.com/.default' });
  });

  it('invalid_client is a non-retryable auth failure without the secret in it', async () => {
    login.on('POST', '/tenant-1/oauth2/v2.0/token', () => ({ status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } }));
    const tokens = clientCredentialsTokens({ tenantId: 'tenant-1', clientId: 'app-1', clientSecret: 's3cret', loginUrl: login.url });
    const failure = await failureOf(tokens());
    expect(failure.type).toBe('DeliveryAuthFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).not.toContain('s3cret');
  });
});
