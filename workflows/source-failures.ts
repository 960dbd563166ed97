/**
 * The failure types a connector's page activity ends with (activities/providers/errors.ts makes them). Plain data
 * with no imports, beside the workflows, so the sync workflow (which pauses a source on `SourceAuthFailed`) can
 * import it without pulling the provider SDKs into Temporal's sandbox.
 */
export const SourceFailureType = {
  RateLimited: 'SourceRateLimited',
  Unavailable: 'SourceUnavailable',
  AuthFailed: 'SourceAuthFailed',
  Rejected: 'SourceRejected',
} as const;
export type SourceFailureType = (typeof SourceFailureType)[keyof typeof SourceFailureType];
