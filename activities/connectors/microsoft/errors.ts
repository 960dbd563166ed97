/**
 * Graph failures as the connector framework wants them. The delivery layer already classifies Graph errors by
 * status and Graph's error `code` (never message text); a connector needs the same classes under source names, so
 * that an auth failure is the non-retryable `SourceAuthFailed` the framework pauses a source on. Once the shared
 * provider layer (activities/providers/errors.ts) lands, `microsoftFailure` becomes a call to `providerFailure`.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import { ApplicationFailure } from '@temporalio/common';
import { DeliveryFailureType, graphFailure } from '../../delivery/provider-errors';

export const SourceFailureType = {
  RateLimited: 'SourceRateLimited',
  Unavailable: 'SourceUnavailable',
  AuthFailed: 'SourceAuthFailed',
  Rejected: 'SourceRejected',
} as const;

const SOURCE_TYPE: Record<string, string> = {
  [DeliveryFailureType.RateLimited]: SourceFailureType.RateLimited,
  [DeliveryFailureType.Unavailable]: SourceFailureType.Unavailable,
  [DeliveryFailureType.AuthFailed]: SourceFailureType.AuthFailed,
  [DeliveryFailureType.Rejected]: SourceFailureType.Rejected,
};

/** Any error of a Graph call (or of the token request before it) as the ApplicationFailure Temporal retries by. */
export function microsoftFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure && Object.values(SourceFailureType).includes(error.type as never)) return error;
  const classified = graphFailure(error, 'microsoft');
  const type = SOURCE_TYPE[classified.type ?? ''] ?? SourceFailureType.Unavailable;
  return ApplicationFailure.create({
    type,
    message: classified.message,
    nonRetryable: type === SourceFailureType.AuthFailed || type === SourceFailureType.Rejected,
    ...(classified.nextRetryDelay !== undefined ? { nextRetryDelay: classified.nextRetryDelay } : {}),
    ...(classified.cause ? { cause: classified.cause } : {}),
  });
}

/** Graph's error codes for a delta token it no longer knows (Outlook, directory and Teams resources differ in case). */
const RESYNC_CODES = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

/** The stored delta link is no longer valid: the stream must start over with a full listing. */
export function isDeltaReset(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  return error.statusCode === 410 || RESYNC_CODES.has((error.code ?? '').toLowerCase());
}
