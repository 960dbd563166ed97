/**
 * Slack read errors as Temporal failures, through the one provider classification (slackFailure): a rate limit
 * keeps Slack's Retry-After as nextRetryDelay; refused credentials (invalid_auth, token_revoked, missing_scope…)
 * become the non-retryable `SourceAuthFailed`, on which the framework pauses the source and tells its owner.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WebAPIPlatformError } from '@slack/web-api';
import { DeliveryFailureType, slackFailure } from '../../delivery/provider-errors';

export const SOURCE_AUTH_FAILED = 'SourceAuthFailed';

export function slackSourceFailure(error: unknown): ApplicationFailure {
  const failure = slackFailure(error);
  if (failure.type !== DeliveryFailureType.AuthFailed) return failure;
  return ApplicationFailure.create({
    type: SOURCE_AUTH_FAILED,
    message: failure.message,
    nonRetryable: true,
    ...(failure.cause ? { cause: failure.cause } : {}),
  });
}

/** Slack's `error` code of a platform error (ok: false), else undefined. */
export function slackErrorCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
}

/** Conversations that vanished or locked us out between listing and reading: skipped, not fatal for the pass. */
export const GONE_CONVERSATION_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'thread_not_found']);
