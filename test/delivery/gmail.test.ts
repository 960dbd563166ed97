import { ApplicationFailure } from '@temporalio/common';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GmailChannel } from '../../activities/delivery/gmail';
import type { DeliveryRequest } from '../../activities/delivery/port';
import { failureOf, startWireServer, type WireServer } from './wire-server';

const request: DeliveryRequest = {
  idempotencyKey: 'notify-d12-bob-77aa',
  medium: 'email',
  recipient: { personId: 'bob@acme.test', name: 'Bob Okafor', email: 'bob@acme.test', timezone: 'Europe/London' },
  subject: 'Décision D-12: ship Android first',
  markdown: '# Decision\nWe **decided** to ship [Android](https://acme.test/d/12) first.\n- owner: Bob',
};
const messagesPath = '/gmail/v1/users/mycelium@acme.test/messages';

describe('GmailChannel against a local Gmail API', () => {
  let google: WireServer;
  let gmail: GmailChannel;
  const subjects: string[] = [];
  const sentRaw = new Map<string, string>();

  beforeEach(async () => {
    google = await startWireServer();
    sentRaw.clear();
    subjects.length = 0;
    gmail = new GmailChannel({
      sender: 'mycelium@acme.test',
      baseUrl: google.url,
      accessToken: async (subject) => {
        subjects.push(subject);
        return 'ya29.test-token';
      },
    });
    google.on('POST', `${messagesPath}/send`, async (incoming) => {
      const { raw } = incoming.json() as { raw: string };
      const parsed = await simpleParser(Buffer.from(raw, 'base64url'));
      const id = `18c${sentRaw.size}f00d`;
      sentRaw.set(id, parsed.messageId ?? '');
      return { body: { id, threadId: id, labelIds: ['SENT'] } };
    });
    google.on('GET', messagesPath, (incoming) => {
      const wanted = /^rfc822msgid:(.+)$/.exec(incoming.query.get('q') ?? '')?.[1];
      const messages = [...sentRaw].filter(([, messageId]) => messageId === wanted).map(([id]) => ({ id, threadId: id }));
      return { body: messages.length ? { messages, resultSizeEstimate: messages.length } : { resultSizeEstimate: 0 } };
    });
  });
  afterEach(() => google.close());

  it('sends a raw RFC 5322 message with a deterministic Message-ID, as the sender', async () => {
    const receipt = await gmail.send(request);
    expect(receipt).toEqual({ ref: 'gmail:18c0f00d' });

    const [send] = google.requests;
    expect(send?.method).toBe('POST');
    expect(send?.path).toBe(`${messagesPath}/send`);
    expect(send?.headers.authorization).toBe('Bearer ya29.test-token');
    expect(subjects).toEqual(['mycelium@acme.test']);
    const body = send!.json() as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['raw']);
    expect(body.raw).toMatch(/^[A-Za-z0-9_-]+$/);

    const parsed = await simpleParser(Buffer.from(body.raw as string, 'base64url'));
    expect(parsed.messageId).toBe('<notify-d12-bob-77aa@mycelium>');
    expect(parsed.subject).toBe('Décision D-12: ship Android first');
    expect(parsed.from?.value).toEqual([{ address: 'mycelium@acme.test', name: 'Mycelium' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : undefined).toEqual([{ address: 'bob@acme.test', name: 'Bob Okafor' }]);
    expect(parsed.headers.get('x-mycelium-key')).toBe('notify-d12-bob-77aa');
    expect(parsed.text?.trim()).toBe(request.markdown);
    expect(parsed.html).toContain('<h1>Decision</h1>');
    expect(parsed.html).toContain('<strong>decided</strong>');
    expect(parsed.html).toContain('<a href="https://acme.test/d/12">Android</a>');
    expect(parsed.html).toContain('<li>owner: Bob</li>');
  });

  it('findSent searches the sender mailbox by rfc822msgid and finds the earlier send', async () => {
    expect(await gmail.findSent(request)).toBeUndefined();
    await gmail.send(request);
    expect(await gmail.findSent(request)).toEqual({ ref: 'gmail:18c0f00d', alreadySent: true });
    const list = google.requests.at(-1)!;
    expect(list.method).toBe('GET');
    expect(list.path).toBe(messagesPath);
    expect(list.query.get('q')).toBe('rfc822msgid:<notify-d12-bob-77aa@mycelium>');
    expect(list.headers.authorization).toBe('Bearer ya29.test-token');
    expect(await gmail.findSent({ ...request, idempotencyKey: 'notify-other' })).toBeUndefined();
  });

  it('429 with Retry-After: one request, a retryable failure with that delay', async () => {
    google.on('POST', `${messagesPath}/send`, () => ({
      status: 429,
      headers: { 'retry-after': '12' },
      body: { error: { code: 429, message: 'Too many requests', errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }], status: 'RESOURCE_EXHAUSTED' } },
    }));
    const failure = await failureOf(gmail.send(request));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('DeliveryRateLimited');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(12_000);
    expect(google.requests).toHaveLength(1);
  });

  it('the SDK never retries on its own: a 429 on the (retry-prone) GET of findSent is one request', async () => {
    google.on('GET', messagesPath, () => ({ status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: 'Too many requests', errors: [{ reason: 'rateLimitExceeded' }] } } }));
    const failure = await failureOf(gmail.findSent(request));
    expect(failure.type).toBe('DeliveryRateLimited');
    expect(failure.nextRetryDelay).toBe(1000);
    expect(google.requests).toHaveLength(1);
  });

  it('403 userRateLimitExceeded is a rate limit, not an auth failure', async () => {
    google.on('POST', `${messagesPath}/send`, () => ({
      status: 403,
      body: { error: { code: 403, message: 'User-rate limit exceeded', errors: [{ reason: 'userRateLimitExceeded', domain: 'usageLimits' }] } },
    }));
    const failure = await failureOf(gmail.send(request));
    expect(failure.type).toBe('DeliveryRateLimited');
    expect(failure.nonRetryable).toBe(false);
  });

  it('401 is a non-retryable auth failure that does not leak the token', async () => {
    google.on('POST', `${messagesPath}/send`, () => ({
      status: 401,
      body: { error: { code: 401, message: 'Request had invalid authentication credentials.', errors: [{ reason: 'authError' }], status: 'UNAUTHENTICATED' } },
    }));
    const failure = await failureOf(gmail.send(request));
    expect(failure.type).toBe('DeliveryAuthFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).not.toContain('ya29.test-token');
    expect(google.requests).toHaveLength(1);
  });
});
