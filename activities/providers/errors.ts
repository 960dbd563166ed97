/**
 * The one place provider errors (Slack, Google, Microsoft Graph) become Temporal failures, for the write side
 * (delivery) and the read side (connectors) alike, beside the LLM's (intelligence/extraction/errors.ts, whose
 * Retry-After reader it reuses). The SDKs are configured not to retry on their own: Temporal's retry policy owns
 * retries (bounded by its maximumAttempts), and a rate limit hands it the provider's own Retry-After as the next
 * retry delay. Classification reads the SDKs' error classes and the providers' error fields (status, Slack's
 * `error`, Google's `reason` and OAuth `error`, Graph's `code`), never message text.
 *
 * A classification is one of four outcomes; the two sides name them differently because their consequences
 * differ: a delivery that cannot authenticate fails that message (`DeliveryAuthFailed`), a source that cannot
 * authenticate is paused and its owner told (`SourceAuthFailed`).
 */
import { ApplicationFailure } from '@temporalio/common';
import { GaxiosError } from 'googleapis-common';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { retryAfterMs } from '../intelligence/extraction/errors';
import { SourceFailureType } from '../../workflows/source-failures';

export type ProviderName = 'google' | 'microsoft' | 'slack';

/** what went wrong, independent of who asked */
export type FailureClass = 'RateLimited' | 'Unavailable' | 'AuthFailed' | 'Rejected';

interface Classified {
  kind: FailureClass;
  detail: string;
  /** from Retry-After (ms) */
  nextRetryDelay?: number;
  cause: unknown;
}

export const DeliveryFailureType = {
  RateLimited: 'DeliveryRateLimited',
  Unavailable: 'DeliveryUnavailable',
  AuthFailed: 'DeliveryAuthFailed',
  Rejected: 'DeliveryRejected',
} as const;
export type DeliveryFailureType = (typeof DeliveryFailureType)[keyof typeof DeliveryFailureType];

/** The failure types a connector's activity ends with; the sync workflow pauses the source on `SourceAuthFailed`. */
export { SourceFailureType } from '../../workflows/source-failures';

type FailureTypes = Record<FailureClass, string>;

/** rate limits and outages are retried (after Retry-After when given); refused credentials and bad requests are not */
function toFailure(provider: string, types: FailureTypes, c: Classified): ApplicationFailure {
  const nonRetryable = c.kind === 'AuthFailed' || c.kind === 'Rejected';
  return ApplicationFailure.create({
    type: types[c.kind],
    message: `${provider}: ${c.detail}`,
    nonRetryable,
    ...(c.nextRetryDelay !== undefined ? { nextRetryDelay: c.nextRetryDelay } : {}),
    ...(c.cause instanceof Error ? { cause: c.cause } : {}),
  });
}

/** by HTTP status alone, for providers whose error body adds nothing decisive */
function byStatus(status: number, detail: string, cause: unknown, headers?: Headers): Classified {
  if (status === 429) {
    const delay = retryAfterMs(headers);
    return { kind: 'RateLimited', detail: `rate limited (429)${delay !== undefined ? `, retry after ${delay} ms` : ''}`, cause, nextRetryDelay: delay };
  }
  if (status === 401) return { kind: 'AuthFailed', detail: `credentials refused (401): ${detail}`, cause };
  if (status === 408 || status === 409 || status >= 500) {
    // 503 from Graph and Google carries Retry-After too when the service sheds load
    return { kind: 'Unavailable', detail: `unavailable (${status}): ${detail}`, cause, nextRetryDelay: retryAfterMs(headers) };
  }
  if (status === 403) return { kind: 'AuthFailed', detail: `not permitted (403): ${detail}`, cause };
  if (status === 0) return { kind: 'Unavailable', detail: `unreachable: ${detail}`, cause };
  return { kind: 'Rejected', detail: `rejected the request (${status}): ${detail}`, cause };
}

/** Unknown: let Temporal's retry policy decide (a bug shows up as repeated, bounded failures, not a silent drop). */
function unknown(error: unknown): Classified {
  return { kind: 'Unavailable', detail: error instanceof Error ? error.message : String(error), cause: error };
}

// ---- Slack

/** Slack `error` codes that no retry can fix. */
const SLACK_AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope', 'not_allowed_token_type', 'ekm_access_denied']);
const SLACK_TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

function classifySlack(error: unknown): Classified {
  if (error instanceof WebAPIRateLimitedError) {
    const delay = Math.ceil(error.retryAfter * 1000);
    return { kind: 'RateLimited', detail: `ratelimited, retry after ${delay} ms`, cause: error, nextRetryDelay: delay };
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (code === 'ratelimited') return { kind: 'RateLimited', detail: 'ratelimited', cause: error };
    if (SLACK_AUTH_ERRORS.has(code)) return { kind: 'AuthFailed', detail: `${code}: check the Slack token and the app's scopes`, cause: error };
    if (SLACK_TRANSIENT_ERRORS.has(code)) return { kind: 'Unavailable', detail: code, cause: error };
    return { kind: 'Rejected', detail: code, cause: error };
  }
  if (error instanceof WebAPIHTTPError) return byStatus(error.statusCode, error.statusMessage, error, new Headers(error.headers));
  if (error instanceof WebAPIRequestError) return { kind: 'Unavailable', detail: `unreachable: ${error.original.message}`, cause: error };
  return unknown(error);
}

// ---- Google

/** Google's per-error reasons that mean "slow down" even on a 403 */
const GOOGLE_RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);
/** OAuth token-endpoint errors (RFC 6749 §5.2) that mean the grant or client is no longer good: re-authorize */
const OAUTH_AUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied', 'invalid_scope']);

interface GoogleErrorBody {
  error?: { code?: number; message?: string; errors?: { reason?: string; message?: string }[]; status?: string } | string;
  error_description?: string;
}

export function googleReasons(error: GaxiosError): string[] {
  const body = error.response?.data as GoogleErrorBody | undefined;
  if (typeof body?.error !== 'object') return [];
  return (body.error.errors ?? []).map((entry) => entry.reason ?? '').filter(Boolean);
}

/**
 * googleapis and google-auth-library each bring their own gaxios, and GaxiosError's `instanceof` matches its own
 * version only; every version marks its errors with this registered symbol (gaxios' cross-build check), so token
 * refreshes (invalid_grant) are recognized as well as API calls.
 */
const GAXIOS_ERROR_MARK = Symbol.for('gaxios-gaxios-error');

function isGaxiosError(error: unknown): error is GaxiosError {
  return error instanceof GaxiosError || (typeof error === 'object' && error !== null && GAXIOS_ERROR_MARK in error);
}

function classifyGoogle(error: unknown): Classified {
  if (isGaxiosError(error)) {
    const status = error.status ?? error.response?.status ?? 0;
    const headers = error.response?.headers;
    const body = error.response?.data as GoogleErrorBody | undefined;
    // the token endpoint answers `{"error": "invalid_grant", "error_description": …}` (a revoked refresh token,
    // a service account whose domain-wide delegation was withdrawn)
    if (typeof body?.error === 'string') {
      if (OAUTH_AUTH_ERRORS.has(body.error)) return { kind: 'AuthFailed', detail: `${body.error}: ${body.error_description ?? 're-authorize the source'}`, cause: error };
      return byStatus(status, body.error, error, headers);
    }
    const detail = body?.error?.message ?? error.message;
    const reasons = googleReasons(error);
    if (status === 403 && reasons.some((reason) => GOOGLE_RATE_REASONS.has(reason))) {
      return { kind: 'RateLimited', detail: `rate limited (403 ${reasons.join(', ')})`, cause: error, nextRetryDelay: retryAfterMs(headers) };
    }
    return byStatus(status, detail, error, headers);
  }
  return unknown(error);
}

// ---- Microsoft Graph

function classifyGraph(error: unknown): Classified {
  if (error instanceof GraphError) {
    const detail = error.code ? `${error.code}: ${error.message}` : error.message;
    // the SDK reports a network failure as status -1
    return byStatus(Math.max(0, error.statusCode), detail, error, error.headers);
  }
  if (error instanceof TokenRequestError) return classifyToken(error);
  return unknown(error);
}

// ---- OAuth token requests the adapters make themselves

/** For the access-token fetches (OAuth client credentials, refresh tokens) the adapters make themselves. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  constructor(
    readonly status: number,
    readonly headers: Headers,
    message: string,
    /** the token endpoint's `error` field (invalid_grant, invalid_client, …), when it said */
    readonly oauthError?: string,
  ) {
    super(message);
  }
}

function classifyToken(error: TokenRequestError): Classified {
  // 400/401 from a token endpoint is invalid_client / invalid_grant: a configuration fault, not a transient one
  if (error.status === 400 || error.status === 401 || (error.oauthError !== undefined && OAUTH_AUTH_ERRORS.has(error.oauthError))) {
    return { kind: 'AuthFailed', detail: `token request refused (${error.status}${error.oauthError ? ` ${error.oauthError}` : ''}): ${error.message}`, cause: error };
  }
  return byStatus(error.status, error.message, error, error.headers);
}

const CLASSIFIERS: Record<ProviderName, (error: unknown) => Classified> = {
  google: classifyGoogle,
  microsoft: classifyGraph,
  slack: classifySlack,
};

/** What kind of failure a provider error is, for callers that decide more than the failure type (tests, logs). */
export function classifyProviderError(provider: ProviderName, error: unknown): { kind: FailureClass; nextRetryDelay?: number } {
  const c = error instanceof TokenRequestError ? classifyToken(error) : CLASSIFIERS[provider](error);
  return { kind: c.kind, ...(c.nextRetryDelay !== undefined ? { nextRetryDelay: c.nextRetryDelay } : {}) };
}

/**
 * A connector's provider error as the Temporal failure its activity ends with (`SourceFailureType`). An
 * ApplicationFailure passes through, except a delivery-typed one (a connector that reused a delivery helper), whose
 * type is mapped to the source's, so that an auth failure always pauses the source. `what` names the call in the
 * message (`google drive`, `slack conversations.history`); it defaults to the provider.
 */
export function providerFailure(provider: ProviderName, error: unknown, what: string = provider): ApplicationFailure {
  if (error instanceof ApplicationFailure) return asSourceFailure(error);
  const c = error instanceof TokenRequestError ? classifyToken(error) : CLASSIFIERS[provider](error);
  return toFailure(what, SourceFailureType, c);
}

const DELIVERY_TO_SOURCE = new Map<string, string>(
  (Object.keys(DeliveryFailureType) as FailureClass[]).map((k) => [DeliveryFailureType[k], SourceFailureType[k]]),
);

function asSourceFailure(failure: ApplicationFailure): ApplicationFailure {
  const mapped = failure.type ? DELIVERY_TO_SOURCE.get(failure.type) : undefined;
  if (!mapped) return failure;
  return ApplicationFailure.create({
    type: mapped,
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? false,
    ...(failure.nextRetryDelay != null ? { nextRetryDelay: failure.nextRetryDelay } : {}),
    cause: failure,
  });
}

// ---- the delivery side (its types and signatures are unchanged)

export function slackFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  return toFailure('slack', DeliveryFailureType, classifySlack(error));
}

export function googleFailure(error: unknown, provider = 'google'): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  return toFailure(provider, DeliveryFailureType, classifyGoogle(error));
}

export function graphFailure(error: unknown, provider = 'graph'): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof TokenRequestError) return tokenFailure(error, provider);
  return toFailure(provider, DeliveryFailureType, classifyGraph(error));
}

export function tokenFailure(error: unknown, provider: string): ApplicationFailure {
  if (error instanceof TokenRequestError) return toFailure(provider, DeliveryFailureType, classifyToken(error));
  return toFailure(provider, DeliveryFailureType, unknown(error));
}
