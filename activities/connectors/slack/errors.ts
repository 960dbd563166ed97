/**
 * Slack read errors: classification is the shared provider layer's (activities/providers/errors.ts): a rate limit
 * keeps Slack's Retry-After as nextRetryDelay; refused credentials (invalid_auth, token_revoked, missing_scope…)
 * become the non-retryable `SourceAuthFailed`, on which the framework pauses the source and tells its owner.
 * What stays here is what only the Slack connector decides: which `error` codes mean a conversation is gone.
 */
import { WebAPIPlatformError } from '@slack/web-api';

/** Slack's `error` code of a platform error (ok: false), else undefined. */
export function slackErrorCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
}

/** Conversations that vanished or locked us out between listing and reading: skipped, not fatal for the pass. */
export const GONE_CONVERSATION_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'thread_not_found']);
