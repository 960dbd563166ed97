/**
 * Provider errors as Temporal failures (rate limits with the provider's delay, credentials refused as the
 * non-retryable SourceAuthFailed, an OAuth grant refused by the token endpoint), and push channels: watch requests
 * for Calendar and Drive registered in the real webhook channel store, renewed before expiry, the old ones stopped.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelPrefix, channelsToRenew, createGoogleConnector, GoogleSourceConfig, renewChannels } from '../../../activities/connectors/google';
import { SourceFailureType } from '../../../activities/providers/errors';

const SOURCE_AUTH_FAILED = SourceFailureType.AuthFailed;
import { WebhookStore } from '../../../activities/memory/webhooks';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { googleError, RATE_LIMITED_403, startFakeGoogleApi, TOO_MANY_429, USER_RATE_LIMITED_403, type FakeGoogleApi } from '../../support/fake-google-api';
import { ALICE, BOB, connectorFor, context, NOW } from './helpers';

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

describe('google provider errors', () => {
  let api: FakeGoogleApi;
  beforeEach(async () => {
    api = await startFakeGoogleApi();
    api.mailbox(ALICE);
    api.calendar(ALICE);
  });
  afterEach(() => api.close());

  it('403 rateLimitExceeded / userRateLimitExceeded and 429 carry the provider delay; retryable', async () => {
    const connector = connectorFor(api, { mailboxes: [ALICE], calendars: [ALICE] });
    api.fail(/\/profile$/, { ...RATE_LIMITED_403, headers: { 'retry-after': '12' } });
    const rate = await failureOf(connector.readPage(`gmail:${ALICE}`, null, context()));
    expect(rate).toMatchObject({ type: SourceFailureType.RateLimited, nonRetryable: false, nextRetryDelay: 12_000 });

    api.fail(/\/events$/, USER_RATE_LIMITED_403);
    const user = await failureOf(connector.readPage(`calendar:${ALICE}`, null, context()));
    expect(user).toMatchObject({ type: SourceFailureType.RateLimited, nonRetryable: false });

    api.fail(/\/events$/, TOO_MANY_429(7));
    const tooMany = await failureOf(connector.readPage(`calendar:${ALICE}`, null, context()));
    expect(tooMany).toMatchObject({ type: SourceFailureType.RateLimited, nonRetryable: false, nextRetryDelay: 7000 });

    api.fail(/\/events$/, googleError(503, 'backendError', 'Backend Error'));
    expect(await failureOf(connector.readPage(`calendar:${ALICE}`, null, context()))).toMatchObject({ type: SourceFailureType.Unavailable, nonRetryable: false });
    // the SDK retried none of them: one request each
    expect(api.requestsTo(/\/events$/)).toHaveLength(3);
  });

  it('401 and a forbidden 403 are SourceAuthFailed, not retried', async () => {
    const connector = connectorFor(api, { mailboxes: [ALICE] });
    api.refusedTokens.add(`tok:${ALICE}`);
    const refused = await failureOf(connector.readPage(`gmail:${ALICE}`, null, context()));
    expect(refused).toMatchObject({ type: SOURCE_AUTH_FAILED, nonRetryable: true });
    api.refusedTokens.clear();
    api.fail(/\/profile$/, googleError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED'));
    expect(await failureOf(connector.readPage(`gmail:${ALICE}`, null, context()))).toMatchObject({ type: SOURCE_AUTH_FAILED, nonRetryable: true });
  });

  it('an OAuth refresh token the token endpoint refuses (invalid_grant) is SourceAuthFailed; the secret is not in the failure', async () => {
    api.tokenEndpoint = { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } };
    const connector = createGoogleConnector(
      { mailboxes: [ALICE] },
      { kind: 'oauth', clientId: 'cid.apps.googleusercontent.com', clientSecret: 'shh-client-secret', refreshToken: '1//refresh-secret', tokenUrl: `${api.url}/token` },
      { baseUrl: api.url },
    );
    const failure = await failureOf(connector.readPage(`gmail:${ALICE}`, null, context()));
    expect(failure).toMatchObject({ type: SOURCE_AUTH_FAILED, nonRetryable: true });
    expect(failure.message).toContain('invalid_grant');
    expect(failure.message).not.toMatch(/refresh-secret|shh-client-secret/);
    const token = api.requestsTo(/^\/token$/, 'POST');
    expect(token).toHaveLength(1);
    expect(new URLSearchParams(token[0]!.body).get('grant_type')).toBe('refresh_token');
    expect(api.requestsTo(/^\/gmail\//)).toHaveLength(0); // nothing sent without a token

    api.tokenEndpoint = { status: 200, body: { access_token: 'ya29.fresh', expires_in: 3599, token_type: 'Bearer' } };
    const ok = createGoogleConnector(
      { mailboxes: [ALICE] },
      { kind: 'oauth', clientId: 'cid', clientSecret: 'cs', refreshToken: 'rt', tokenUrl: `${api.url}/token` },
      { baseUrl: api.url },
    );
    await ok.readPage(`gmail:${ALICE}`, null, context());
    expect(api.requests.at(-1)!.authorization).toBe('Bearer ya29.fresh');
  });

  it('bad configuration is refused with the field named', () => {
    expect(() => GoogleSourceConfig.parse({ mailboxes: ['not-an-address'] })).toThrow(/mailboxes.*not an email address|not an email address/s);
    expect(() => GoogleSourceConfig.parse({ drive: true })).toThrow(/actAs/);
    expect(() => GoogleSourceConfig.parse({})).toThrow(/nothing to read/);
    expect(() => GoogleSourceConfig.parse({ calendars: [ALICE], bogus: 1 })).toThrow(/bogus/);
  });
});

describe('google push channels', () => {
  let api: FakeGoogleApi;
  let database: TestDatabase;
  let webhooks: WebhookStore;
  beforeAll(async () => {
    database = await createTestDatabase('pglite', { migrate: true });
  }, 60_000);
  afterAll(() => database.dispose());
  beforeEach(async () => {
    api = await startFakeGoogleApi();
    api.calendar(ALICE);
    api.calendar(BOB);
    await database.db.exec('TRUNCATE webhook_channels');
    webhooks = new WebhookStore({ db: database.db });
  });
  afterEach(() => api.close());

  it('opens a Calendar watch per calendar and a Drive changes watch, registered with their secret, and renews them before expiry', async () => {
    const config = { calendars: [ALICE, BOB], drive: true, actAs: 'admin@acme.test' };
    const connector = connectorFor(api, config);
    const deps = { apis: connector.apis, config: connector.config, sourceId: 'gw', webhooks, publicUrl: 'https://myc.acme.test/' };
    let now = new Date();
    api.now = () => now.getTime();
    const opened = await renewChannels({ ...deps, now: () => now });
    expect(opened.opened).toHaveLength(3);
    expect(opened.stopped).toEqual([]);

    const [aliceWatch, bobWatch] = api.requestsTo(/\/events\/watch$/, 'POST');
    const aliceBody = JSON.parse(aliceWatch!.body) as Record<string, unknown>;
    expect(aliceWatch!.path).toBe(`/calendar/v3/calendars/${ALICE}/events/watch`);
    expect(aliceWatch!.authorization).toBe(`Bearer tok:${ALICE}`);
    expect(bobWatch!.authorization).toBe(`Bearer tok:${BOB}`);
    expect(aliceBody).toMatchObject({ type: 'web_hook', address: 'https://myc.acme.test/webhooks/google/calendar', params: { ttl: '604800' } });
    expect(String(aliceBody.id)).toMatch(new RegExp(`^${channelPrefix('gw', `calendar:${ALICE}`)}`));
    expect(String(aliceBody.id).length).toBeLessThanOrEqual(64);
    const [driveWatch] = api.requestsTo(/^\/drive\/v3\/changes\/watch$/, 'POST');
    expect(driveWatch!.query.get('pageToken')).toBe(String(api.drive.seq + 1));
    expect(JSON.parse(driveWatch!.body)).toMatchObject({ type: 'web_hook', address: 'https://myc.acme.test/webhooks/google/drive' });

    // the token Google will echo verifies against the store; the resource id is recorded
    const registered = await webhooks.list('gw');
    expect(registered).toHaveLength(3);
    for (const channel of api.channels) {
      const verified = await webhooks.verify('google', channel.id, channel.token);
      expect(verified).toMatchObject({ sourceId: 'gw', resourceId: channel.resourceId, status: 'active' });
      expect(verified!.expiresAt!.getTime()).toBe(Number(channel.expiration));
    }

    // nothing due: nothing done
    expect(await renewChannels({ ...deps, now: () => now })).toEqual({ opened: [], stopped: [] });

    // 6.5 days on, within a day of expiry: each is replaced, then the old one stopped with its resource id
    now = new Date(now.getTime() + 6.5 * 86_400_000);
    const due = channelsToRenew('gw', GoogleSourceConfig.parse(config), await webhooks.list('gw'), now);
    expect(due.renew.map((r) => r.watched.stream)).toEqual([`calendar:${ALICE}`, `calendar:${BOB}`, 'drive']);
    const renewed = await renewChannels({ ...deps, now: () => now });
    expect(renewed.opened).toHaveLength(3);
    expect(renewed.stopped.sort()).toEqual(api.channels.slice(0, 3).map((c) => c.id).sort());
    const stops = api.requests.filter((r) => r.method === 'POST' && /channels\/stop$/.test(r.path));
    expect(stops.map((r) => JSON.parse(r.body) as unknown)).toEqual(api.channels.slice(0, 3).map((c) => ({ id: c.id, resourceId: c.resourceId })));
    expect(api.channels.slice(0, 3).every((c) => c.stopped)).toBe(true);
    const after = await webhooks.list('gw');
    expect(after.filter((c) => c.status === 'active').map((c) => c.channelId).sort()).toEqual(api.channels.slice(3).map((c) => c.id).sort());
    expect(await webhooks.verify('google', api.channels[0]!.id, api.channels[0]!.token)).toMatchObject({ status: 'removed' });

    // a calendar no longer read: its channel is retired
    const fewer = { ...deps, config: GoogleSourceConfig.parse({ calendars: [ALICE], drive: true, actAs: 'admin@acme.test' }) };
    const retired = await renewChannels({ ...fewer, now: () => now });
    expect(retired.opened).toEqual([]);
    expect(retired.stopped).toHaveLength(1);
    expect(retired.stopped[0]).toMatch(new RegExp(`^${channelPrefix('gw', `calendar:${BOB}`)}`));
  });

  it('channelsToRenew is a plain function of what is on record and the time', () => {
    const config = GoogleSourceConfig.parse({ calendars: [ALICE] });
    const prefix = channelPrefix('gw', `calendar:${ALICE}`);
    const channel = (id: string, expiresAt: Date) => ({ provider: 'google' as const, channelId: `${prefix}${id}`, sourceId: 'gw', resourceId: 'r', expiresAt, status: 'active' as const, lastMessage: null, lastEventAt: null });
    expect(channelsToRenew('gw', config, [], NOW).renew).toHaveLength(1);
    expect(channelsToRenew('gw', config, [channel('a', new Date(NOW.getTime() + 2 * 86_400_000))], NOW).renew).toEqual([]);
    expect(channelsToRenew('gw', config, [channel('a', new Date(NOW.getTime() + 23 * 3_600_000))], NOW).renew).toHaveLength(1);
  });
});
