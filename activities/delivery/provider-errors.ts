/**
 * The one place delivery-provider errors (Slack, Google, Microsoft Graph) become Temporal failures, beside the
 * LLM's (intelligence/extraction/errors.ts, whose Retry-After reader it reuses). The SDKs are configured not to
 * retry on their own: Temporal's retry policy owns retries, and a rate limit hands it the provider's own
 * Retry-After as the next retry delay. Classification reads the SDKs' error classes and the providers' error
 * fields (status, Slack's `error`, Google's `reason`, Graph's `code`), never message text.
 */
import { ApplicationFailure } from '@temporalio/common';
import { GaxiosError } from 'googleapis-common';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import { retryAfterMs } from '../intelligence/extraction/errors';

export const DeliveryFailureType = {
  RateLimited: 'DeliveryRateLimited',
  Unavailable: 'DeliveryUnavailable',
  AuthFailed: 'DeliveryAuthFailed',
  Rejected: 'DeliveryRejected',
} as const;
export type DeliveryFailureType = (typeof DeliveryFailureType)[keyof typeof DeliveryFailureType];

function failure(provider: string, type: DeliveryFailureType, detail: string, cause: unknown, nextRetryDelay?: number): ApplicationFailure {
  const nonRetryable = type === DeliveryFailureType.AuthFailed || type === DeliveryFailureType.Rejected;
  return ApplicationFailure.create({
    type,
    message: `${provider}: ${detail}`,
    nonRetryable,
    ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
    ...(cause instanceof Error ? { cause } : {}),
  });
}

/** by HTTP status alone, for providers whose error body adds nothing decisive */
function byStatus(provider: string, status: number, detail: string, cause: unknown, headers?: Headers): ApplicationFailure {
  if (status === 429) {
    const delay = retryAfterMs(headers);
    return failure(provider, DeliveryFailureType.RateLimited, `rate limited (429)${delay !== undefined ? `, retry after ${delay} ms` : ''}`, cause, delay);
  }
  if (status === 401) return failure(provider, DeliveryFailureType.AuthFailed, `credentials refused (401): ${detail}`, cause);
  if (status === 408 || status === 409 || status >= 500) {
    // 503 from Graph and Google carries Retry-After too when the service sheds load
    return failure(provider, DeliveryFailureType.Unavailable, `unavailable (${status}): ${detail}`, cause, retryAfterMs(headers));
  }
  if (status === 403) return failure(provider, DeliveryFailureType.AuthFailed, `not permitted (403): ${detail}`, cause);
  if (status === 0) return failure(provider, DeliveryFailureType.Unavailable, `unreachable: ${detail}`, cause);
  return failure(provider, DeliveryFailureType.Rejected, `rejected the request (${status}): ${detail}`, cause);
}

/** Slack `error` codes that no retry can fix. */
const SLACK_AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope', 'not_allowed_token_type', 'ekm_access_denied']);
const SLACK_TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export function slackFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof WebAPIRateLimitedError) {
    const delay = Math.ceil(error.retryAfter * 1000);
    return failure('slack', DeliveryFailureType.RateLimited, `ratelimited, retry after ${delay} ms`, error, delay);
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (code === 'ratelimited') return failure('slack', DeliveryFailureType.RateLimited, 'ratelimited', error);
    if (SLACK_AUTH_ERRORS.has(code)) return failure('slack', DeliveryFailureType.AuthFailed, `${code}: check MYCELIUM_SLACK_TOKEN and the app's scopes`, error);
    if (SLACK_TRANSIENT_ERRORS.has(code)) return failure('slack', DeliveryFailureType.Unavailable, code, error);
    return failure('slack', DeliveryFailureType.Rejected, code, error);
  }
  if (error instanceof WebAPIHTTPError) return byStatus('slack', error.statusCode, error.statusMessage, error, new Headers(error.headers));
  if (error instanceof WebAPIRequestError) return failure('slack', DeliveryFailureType.Unavailable, `unreachable: ${error.original.message}`, error);
  return unknownFailure('slack', error);
}

/** Google's per-error reasons that mean "slow down" even on a 403 */
const GOOGLE_RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);

interface GoogleErrorBody {
  error?: { code?: number; message?: string; errors?: { reason?: string; message?: string }[]; status?: string };
}

export function googleReasons(error: GaxiosError): string[] {
  const body = error.response?.data as GoogleErrorBody | undefined;
  return (body?.error?.errors ?? []).map((entry) => entry.reason ?? '').filter(Boolean);
}

export function googleFailure(error: unknown, provider = 'google'): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof GaxiosError) {
    const status = error.status ?? error.response?.status ?? 0;
    const headers = error.response?.headers;
    const body = error.response?.data as GoogleErrorBody | undefined;
    const detail = body?.error?.message ?? error.message;
    if (status === 403 && googleReasons(error).some((reason) => GOOGLE_RATE_REASONS.has(reason))) {
      const delay = retryAfterMs(headers);
      return failure(provider, DeliveryFailureType.RateLimited, `rate limited (403 ${googleReasons(error).join(', ')})`, error, delay);
    }
    return byStatus(provider, status, detail, error, headers);
  }
  return unknownFailure(provider, error);
}

export function graphFailure(error: unknown, provider = 'graph'): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof GraphError) {
    const detail = error.code ? `${error.code}: ${error.message}` : error.message;
    // the SDK reports a network failure as status -1
    return byStatus(provider, Math.max(0, error.statusCode), detail, error, error.headers);
  }
  return unknownFailure(provider, error);
}

/** Unknown: let Temporal's retry policy decide (a bug shows up as repeated failures, not a silent drop). */
function unknownFailure(provider: string, error: unknown): ApplicationFailure {
  return failure(provider, DeliveryFailureType.Unavailable, error instanceof Error ? error.message : String(error), error);
}

/** For the access-token fetches (OAuth client credentials) the adapters make themselves. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  constructor(
    readonly status: number,
    readonly headers: Headers,
    message: string,
  ) {
    super(message);
  }
}

export function tokenFailure(error: unknown, provider: string): ApplicationFailure {
  if (error instanceof TokenRequestError) {
    // 400 from a token endpoint is invalid_client / invalid_grant: a configuration fault, not a transient one
    if (error.status === 400) return failure(provider, DeliveryFailureType.AuthFailed, `token request refused (400): ${error.message}`, error);
    return byStatus(provider, error.status, error.message, error, error.headers);
  }
  return unknownFailure(provider, error);
}
