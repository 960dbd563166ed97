/**
 * The service's connector factories (activities/connectors/factories.ts): a bad config is refused naming the field
 * (the pipeline turns that into SourceMisconfigured), secrets are refused in a config, the framework's sealed
 * credentials reach each connector in its own shape, and base URLs come from the endpoints — checked by the
 * requests the connectors send to local servers speaking each provider's wire format.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryFrom } from '../../../activities/connectors/files';
import { ConnectorConfigError, connectorFactories } from '../../../activities/connectors/factories';
import type { ConnectorContext } from '../../../activities/connectors/port';
import { connectorFor } from '../../../activities/connectors/registry';
import { providerEndpoints } from '../../../activities/providers/endpoints';
import { startFakeGoogleApi, type FakeGoogleApi } from '../../support/fake-google-api';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph-api';
import { startFakeSlackApi, type FakeSlackApi } from '../../support/fake-slack-api';

const ctx = (): ConnectorContext => ({ sourceId: 's', directory: directoryFrom([]), now: new Date(), log: pino({ level: 'silent' }), heartbeat: () => undefined });

describe('connector factories', () => {
  let slack: FakeSlackApi;
  let google: FakeGoogleApi;
  let graph: FakeGraph;
  let env: { endpoints: ReturnType<typeof providerEndpoints> };

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    google = await startFakeGoogleApi();
    graph = await startFakeGraph();
    env = {
      endpoints: providerEndpoints({
        MYCELIUM_SLACK_BASE_URL: slack.url,
        MYCELIUM_GOOGLE_BASE_URL: google.url,
        MYCELIUM_GOOGLE_TOKEN_URL: `${google.url}/token`,
        MYCELIUM_GRAPH_BASE_URL: graph.url,
        MYCELIUM_GRAPH_LOGIN_URL: graph.url,
      }),
    };
  });
  afterAll(async () => {
    await slack?.close();
    await google?.close();
    await graph?.close();
  });

  const build = (kind: 'slack' | 'google' | 'microsoft', config: Record<string, unknown>, credentials: unknown) =>
    connectorFor(connectorFactories, { id: `${kind}-src`, kind, config, ownerId: null }, credentials as never, env);

  it('refuses a bad config naming the field, and a secret put in a config', () => {
    const slackToken = { provider: 'slack', kind: 'bot-token', token: 'xoxb-1' };
    expect(() => build('slack', { pageSize: 0 }, slackToken)).toThrow(ConnectorConfigError);
    expect(() => build('slack', { pageSize: 0 }, slackToken)).toThrow(/slack source configuration: pageSize/);
    expect(() => build('slack', { token: 'xoxb-leaked' }, slackToken)).toThrow(/token: a secret does not go in the configuration/);
    const oauth = { provider: 'google', kind: 'oauth', clientId: 'c', clientSecret: 's', refreshToken: 'r' };
    expect(() => build('google', { drive: true }, oauth)).toThrow(/google source configuration: actAs/);
    expect(() => build('google', { mailboxes: ['nope'] }, oauth)).toThrow(/mailboxes\[0\]: not an email address/);
    const app = { provider: 'microsoft', kind: 'client-credentials', tenantId: 't', clientId: 'c', clientSecret: 's' };
    expect(() => build('microsoft', { users: ['a@b.test', 'A@b.test'] }, app)).toThrow(/microsoft source configuration: users\[1\]: "A@b.test" is listed twice/);
  });

  it('slack: the sealed token in the Authorization header, at MYCELIUM_SLACK_BASE_URL', async () => {
    slack.token = 'xoxb-sealed';
    await build('slack', {}, { provider: 'slack', kind: 'bot-token', token: 'xoxb-sealed' }).readPage('users', null, ctx());
    expect(slack.calls('users.list').at(-1)).toMatchObject({ path: '/api/users.list', authorization: 'Bearer xoxb-sealed' });
  });

  it('google: an OAuth grant refreshed at MYCELIUM_GOOGLE_TOKEN_URL; a service account acts as its subject by default', async () => {
    google.mailbox('ana@acme.test');
    await build('google', { mailboxes: ['ana@acme.test'] }, { provider: 'google', kind: 'oauth', clientId: 'cid', clientSecret: 'cs', refreshToken: 'rt' }).readPage(
      'gmail:ana@acme.test',
      null,
      ctx(),
    );
    const token = google.requestsTo(/^\/token$/, 'POST');
    expect(Object.fromEntries(new URLSearchParams(token.at(-1)!.body))).toMatchObject({ client_id: 'cid', client_secret: 'cs', refresh_token: 'rt', grant_type: 'refresh_token' });
    expect(google.requests.at(-1)).toMatchObject({ path: '/gmail/v1/users/ana@acme.test/threads', authorization: 'Bearer ya29.fake-oauth' });

    const sa = build('google', { drive: true }, { provider: 'google', kind: 'service-account', clientEmail: 'sa@p.iam.gserviceaccount.com', privateKey: 'k', subject: 'admin@acme.test' });
    expect((sa as unknown as { config: { actAs: string } }).config.actAs).toBe('admin@acme.test');
  });

  it('microsoft: app-only tokens from MYCELIUM_GRAPH_LOGIN_URL for the tenant; delegated ones from the refresh token', async () => {
    graph.delta('calendar:ana@acme.test');
    const app = build('microsoft', { users: ['ana@acme.test'], mail: false }, { provider: 'microsoft', kind: 'client-credentials', tenantId: 'tid', clientId: 'cid', clientSecret: 'cs' });
    await app.readPage('calendar:ana@acme.test', null, ctx()).catch(() => undefined);
    const token = graph.requestsTo(/oauth2\/v2\.0\/token$/, 'POST').at(-1)!;
    expect(token.path).toBe('/tid/oauth2/v2.0/token');
    expect(new URLSearchParams(token.body).get('grant_type')).toBe('client_credentials');

    const before = graph.requests.length;
    const delegated = build('microsoft', { users: ['ana@acme.test'], mail: false }, { provider: 'microsoft', kind: 'delegated', tenantId: 'tid', clientId: 'cid', refreshToken: 'rt-secret' });
    // the fake's token endpoint serves client credentials only: a refresh-token grant is refused, as an unknown grant is
    const failure = await delegated.readPage('calendar:ana@acme.test', null, ctx()).catch((error: unknown) => error);
    const sent = graph.requests.slice(before).find((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
    expect(Object.fromEntries(new URLSearchParams(sent.body))).toMatchObject({ grant_type: 'refresh_token', client_id: 'cid', refresh_token: 'rt-secret' });
    expect(failure).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    expect(String((failure as Error).message)).not.toContain('rt-secret');
  });
});
