/**
 * Google errors of the read side as Temporal failures: the delivery layer's classification (403 rate reasons and
 * 429 → nextRetryDelay from Retry-After; 5xx → retryable) with one change for sources: credentials that no retry
 * can fix (401, a 403 that is not a rate limit, a refused token grant) are the non-retryable `SourceAuthFailed`,
 * on which the framework pauses the source and tells its owner.
 *
 * TODO(issue 9 framework): switch to activities/providers/errors.ts `providerFailure('google', error)` once it lands.
 */
import { ApplicationFailure } from '@temporalio/common';
import { GaxiosError } from 'googleapis-common';
import { DeliveryFailureType, googleFailure } from '../../delivery/provider-errors';
import { GoogleTokenError } from './auth';

export const SOURCE_AUTH_FAILED = 'SourceAuthFailed';

/** OAuth token-endpoint errors that mean the grant itself is bad (RFC 6749 §5.2) */
const GRANT_ERRORS = new Set(['invalid_grant', 'unauthorized_client', 'invalid_client', 'access_denied', 'invalid_scope']);

function authFailed(message: string, cause: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: SOURCE_AUTH_FAILED, message, nonRetryable: true, ...(cause instanceof Error ? { cause } : {}) });
}

export function googleSourceFailure(error: unknown, what = 'google'): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof GoogleTokenError) {
    if (error.status === 401 || (error.code !== undefined && GRANT_ERRORS.has(error.code))) return authFailed(`${what}: ${error.message}`, error);
    if (error.status === 429 || error.status >= 500) {
      return ApplicationFailure.create({ type: DeliveryFailureType.Unavailable, message: `${what}: ${error.message}`, cause: error });
    }
    return authFailed(`${what}: ${error.message}`, error);
  }
  const failure = googleFailure(error, what);
  if (failure.type === DeliveryFailureType.AuthFailed) return authFailed(failure.message, error);
  return failure;
}

/** The HTTP status of a googleapis error (410 Gone, 404 …), undefined for anything else. */
export function googleStatus(error: unknown): number | undefined {
  return error instanceof GaxiosError ? (error.status ?? error.response?.status) : undefined;
}
