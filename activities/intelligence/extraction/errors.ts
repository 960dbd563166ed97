/**
 * The one place LLM errors are classified into Temporal failures. Transient trouble is retryable (and a
 * rate limit carries the server's own Retry-After as the next retry delay); a refusal or output that is
 * still unusable after the SDK's own retries is not, with a type that says why.
 */
import { ApplicationFailure } from '@temporalio/common';
import OpenAI from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';

export const LlmFailureType = {
  RateLimited: 'LlmRateLimited',
  Unavailable: 'LlmUnavailable',
  Timeout: 'LlmTimeout',
  RequestRejected: 'LlmRequestRejected',
  AuthFailed: 'LlmAuthFailed',
  Refused: 'LlmRefused',
  MalformedOutput: 'LlmMalformedOutput',
  OutputTruncated: 'LlmOutputTruncated',
} as const;
export type LlmFailureType = (typeof LlmFailureType)[keyof typeof LlmFailureType];

/** The model answered, but not with something we can use. */
export class LlmOutputError extends Error {
  override readonly name = 'LlmOutputError';
  constructor(
    readonly type: typeof LlmFailureType.Refused | typeof LlmFailureType.MalformedOutput | typeof LlmFailureType.OutputTruncated,
    message: string,
  ) {
    super(message);
  }
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, in ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function toApplicationFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const cause = error instanceof Error ? error : undefined;
  const failure = (type: LlmFailureType, message: string, nonRetryable: boolean, nextRetryDelay?: number): ApplicationFailure =>
    ApplicationFailure.create({ type, message, nonRetryable, ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}), ...(cause ? { cause } : {}) });

  if (error instanceof LlmOutputError) return failure(error.type, error.message, true);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return failure(LlmFailureType.Timeout, `LLM request timed out: ${error.message}`, false);
  if (error instanceof OpenAI.APIUserAbortError) return failure(LlmFailureType.Timeout, `LLM request aborted: ${error.message}`, false);
  if (error instanceof OpenAI.APIConnectionError) return failure(LlmFailureType.Unavailable, `LLM server unreachable: ${error.message}`, false);
  if (error instanceof LengthFinishReasonError) return failure(LlmFailureType.OutputTruncated, 'LLM output was cut off (length)', true);
  if (error instanceof ContentFilterFinishReasonError) return failure(LlmFailureType.Refused, 'LLM output was withheld by its content filter', true);
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    if (status === 429) {
      const delay = retryAfterMs(error.headers);
      return failure(LlmFailureType.RateLimited, `LLM rate limit (429)${delay !== undefined ? `, retry after ${delay} ms` : ''}`, false, delay);
    }
    if (status === 408) return failure(LlmFailureType.Timeout, `LLM server timed out (408): ${error.message}`, false);
    if (status === 409 || status >= 500) return failure(LlmFailureType.Unavailable, `LLM server error (${status}): ${error.message}`, false);
    if (status === 401 || status === 403) return failure(LlmFailureType.AuthFailed, `LLM server refused the credentials (${status}): check OPENAI_API_KEY`, true);
    return failure(LlmFailureType.RequestRejected, `LLM server rejected the request (${status}): ${error.message}`, true);
  }
  // Unknown: let Temporal's retry policy decide (a bug shows up as repeated failures, not a silent drop).
  return failure(LlmFailureType.Unavailable, cause?.message ?? String(error), false);
}
