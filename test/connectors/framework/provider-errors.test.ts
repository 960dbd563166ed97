/**
 * The shared provider-error layer (activities/providers/errors.ts) on the errors the real SDKs raise against local
 * servers speaking each provider's wire format: rate limits carry the provider's Retry-After as nextRetryDelay,
 * refused credentials are the non-retryable SourceAuthFailed, and the delivery side keeps its own type names.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { OAuth2Client } from 'google-auth-library';
import { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphClient } from '../../../activities/delivery/graph';
import { googleApiOptions } from '../../../activities/delivery/google';
import { DeliveryFailureType, providerFailure, slackFailure, TokenRequestError, type ProviderName } from '../../../activities/providers/errors';
import { providerEndpoints } from '../../../activities/providers/endpoints';
import { startWireServer, type WireServer } from '../../delivery/wire-server';

let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());

async function failureFrom(provider: ProviderName, call: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await call();
  } catch (error) {
    return providerFailure(provider, error);
  }
  throw new Error('expected the call to fail');
}

const googleError = (status: number, reason: string) => ({ error: { code: status, message: reason, errors: [{ reason, domain: 'usageLimits', message: reason }] } });

describe('Google (googleapis, google-auth-library)', () => {
  const calendar = (): calendar_v3.Calendar => new calendar_v3.Calendar({ ...googleApiOptions({ baseUrl: server.url, accessToken: async () => 'ya29.test' }) });

  it('403 userRateLimitExceeded with Retry-After is a retryable rate limit with that delay', async () => {
    server.on('GET', '/calendar/v3/calendars/rate403/events', () => ({ status: 403, headers: { 'retry-after': '5' }, body: googleError(403, 'userRateLimitExceeded') }));
    const failure = await failureFrom('google', () => calendar().events.list({ calendarId: 'rate403' }));
    expect(failure).toMatchObject({ type: 'SourceRateLimited', nonRetryable: false, nextRetryDelay: 5000 });
  });

  it('429 is a rate limit; 403 rateLimitExceeded too', async () => {
    server.on('GET', '/calendar/v3/calendars/rate429/events', () => ({ status: 429, body: googleError(429, 'rateLimitExceeded') }));
    server.on('GET', '/calendar/v3/calendars/rate403b/events', () => ({ status: 403, body: googleError(403, 'rateLimitExceeded') }));
    expect(await failureFrom('google', () => calendar().events.list({ calendarId: 'rate429' }))).toMatchObject({ type: 'SourceRateLimited', nonRetryable: false });
    expect(await failureFrom('google', () => calendar().events.list({ calendarId: 'rate403b' }))).toMatchObject({ type: 'SourceRateLimited', nonRetryable: false });
  });

  it('401 and a plain 403 are SourceAuthFailed, not retried', async () => {
    server.on('GET', '/calendar/v3/calendars/unauth/events', () => ({ status: 401, body: googleError(401, 'authError') }));
    server.on('GET', '/calendar/v3/calendars/forbidden/events', () => ({ status: 403, body: googleError(403, 'forbidden') }));
    expect(await failureFrom('google', () => calendar().events.list({ calendarId: 'unauth' }))).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    expect(await failureFrom('google', () => calendar().events.list({ calendarId: 'forbidden' }))).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
  });

  it('invalid_grant from the token endpoint (a revoked refresh token) is SourceAuthFailed', async () => {
    server.on('POST', '/token', () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } }));
    const client = new OAuth2Client({ clientId: 'id', clientSecret: 'secret', endpoints: { oauth2TokenUrl: `${server.url}/token` } });
    client.setCredentials({ refresh_token: '1//revoked' });
    const failure = await failureFrom('google', () => client.getAccessToken());
    expect(failure).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    expect(failure.message).toMatch(/invalid_grant/);
    const request = server.requests.find((r) => r.path === '/token');
    expect(request?.form().get('grant_type')).toBe('refresh_token');
  });

  it('a 500 is retryable and unavailable', async () => {
    server.on('GET', '/calendar/v3/calendars/down/events', () => ({ status: 500, body: googleError(500, 'backendError') }));
    expect(await failureFrom('google', () => calendar().events.list({ calendarId: 'down' }))).toMatchObject({ type: 'SourceUnavailable', nonRetryable: false });
  });
});

describe('Microsoft Graph (@microsoft/microsoft-graph-client)', () => {
  const graph = () => graphClient({ baseUrl: server.url, accessToken: async () => 'eyJ.test' });
  const graphError = (code: string) => ({ error: { code, message: code } });

  it('429 and 503 carry Retry-After as nextRetryDelay', async () => {
    server.on('GET', '/v1.0/users/throttled/events', () => ({ status: 429, headers: { 'retry-after': '7' }, body: graphError('TooManyRequests') }));
    server.on('GET', '/v1.0/users/busy/events', () => ({ status: 503, headers: { 'retry-after': '4' }, body: graphError('ServiceUnavailable') }));
    expect(await failureFrom('microsoft', () => graph().api('/users/throttled/events').get())).toMatchObject({ type: 'SourceRateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    expect(await failureFrom('microsoft', () => graph().api('/users/busy/events').get())).toMatchObject({ type: 'SourceUnavailable', nonRetryable: false, nextRetryDelay: 4000 });
  });

  it('401 InvalidAuthenticationToken and a refused token request are SourceAuthFailed', async () => {
    server.on('GET', '/v1.0/users/expired/events', () => ({ status: 401, body: graphError('InvalidAuthenticationToken') }));
    expect(await failureFrom('microsoft', () => graph().api('/users/expired/events').get())).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    const refused = providerFailure('microsoft', new TokenRequestError(400, new Headers(), 'token endpoint answered 400 invalid_grant', 'invalid_grant'));
    expect(refused).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
  });
});

describe('Slack (@slack/web-api)', () => {
  const slack = () => new WebClient('xoxb-test', { slackApiUrl: `${server.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });

  it('invalid_auth and token_revoked are SourceAuthFailed for a source, DeliveryAuthFailed for a delivery', async () => {
    server.on('POST', '/api/conversations.history', (r) => ({ body: { ok: false, error: r.form().get('channel') === 'CREVOKED' ? 'token_revoked' : 'invalid_auth' } }));
    expect(await failureFrom('slack', () => slack().conversations.history({ channel: 'C1' }))).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    expect(await failureFrom('slack', () => slack().conversations.history({ channel: 'CREVOKED' }))).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    const delivery = await slack().conversations.history({ channel: 'C1' }).catch((error: unknown) => slackFailure(error));
    expect(delivery).toMatchObject({ type: DeliveryFailureType.AuthFailed });
    // a connector that reused a delivery helper still pauses its source
    expect(providerFailure('slack', delivery)).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
  });

  it('HTTP 429 with Retry-After is a rate limit with that delay', async () => {
    server.on('POST', '/api/users.list', () => ({ status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' } }));
    expect(await failureFrom('slack', () => slack().users.list({}))).toMatchObject({ type: 'SourceRateLimited', nonRetryable: false, nextRetryDelay: 30_000 });
  });
});

describe('provider endpoints', () => {
  it('default to the real hosts and take MYCELIUM_*_BASE_URL, refusing what is not a URL', () => {
    expect(providerEndpoints({})).toEqual({ google: 'https://www.googleapis.com', graph: 'https://graph.microsoft.com', slack: 'https://slack.com', googleToken: 'https://oauth2.googleapis.com/token', microsoftLogin: 'https://login.microsoftonline.com' });
    expect(providerEndpoints({ MYCELIUM_SLACK_BASE_URL: 'http://127.0.0.1:9/', MYCELIUM_GRAPH_BASE_URL: ' ' })).toMatchObject({ slack: 'http://127.0.0.1:9', graph: 'https://graph.microsoft.com' });
    expect(() => providerEndpoints({ MYCELIUM_GOOGLE_BASE_URL: 'not a url' })).toThrow(/MYCELIUM_GOOGLE_BASE_URL is not a URL/);
  });
});
