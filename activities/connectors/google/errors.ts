/**
 * Google read errors: classification is the shared provider layer's (activities/providers/errors.ts,
 * `providerFailure('google', …)`): 403 rate reasons and 429 → retryable with Retry-After as nextRetryDelay, 5xx →
 * retryable, 401 / a forbidden 403 / a refused token grant (TokenRequestError with the OAuth `error`) → the
 * non-retryable `SourceAuthFailed`. What stays here is the status the streams branch on (410 Gone, 404).
 */
import { GaxiosError } from 'googleapis-common';
import { providerFailure } from '../../providers/errors';

/** A Google error of the read side as the Temporal failure its activity ends with; `what` names the call. */
export function googleSourceFailure(error: unknown, what = 'google') {
  return providerFailure('google', error, what);
}

/** The HTTP status of a googleapis error (410 Gone, 404 …), undefined for anything else. */
export function googleStatus(error: unknown): number | undefined {
  return error instanceof GaxiosError ? (error.status ?? error.response?.status) : undefined;
}
