/**
 * Graph read errors: classification is the shared provider layer's (activities/providers/errors.ts,
 * `providerFailure('microsoft', …)`: 429/503 with Retry-After → retryable with nextRetryDelay, 401 / a refused
 * token request → the non-retryable `SourceAuthFailed`). What stays here is what the delta streams branch on.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { ApplicationFailure } from '@temporalio/common';
import { providerFailure } from '../../providers/errors';

export { SourceFailureType } from '../../../workflows/source-failures';

/** Any error of a Graph call (or of the token request before it) as the ApplicationFailure Temporal retries by. */
export function microsoftFailure(error: unknown): ApplicationFailure {
  return providerFailure('microsoft', error);
}

/** Graph's error codes for a delta token it no longer knows (Outlook, directory and Teams resources differ in case). */
const RESYNC_CODES = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

/** The stored delta link is no longer valid: the stream must start over with a full listing. */
export function isDeltaReset(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  return error.statusCode === 410 || RESYNC_CODES.has((error.code ?? '').toLowerCase());
}
