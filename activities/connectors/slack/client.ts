/**
 * The Slack Web API client as every Slack adapter configures it: base URL from configuration, no retries and no
 * queueing on rate limits inside the SDK — Temporal's retry policy owns retries, and a rate limit rejects at once
 * with Slack's Retry-After (see errors.ts).
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { DEFAULT_SLACK_BASE_URL } from './config';

export function slackWebClient(options: { token: string; baseUrl?: string; fetch?: typeof globalThis.fetch }): WebClient {
  return new WebClient(options.token, {
    slackApiUrl: `${(options.baseUrl ?? DEFAULT_SLACK_BASE_URL).replace(/\/+$/, '')}/api/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The workspace a bot token belongs to (auth.test): what routes the Events API's callbacks to the source. */
export async function slackWorkspaceOf(options: { token: string; baseUrl?: string }): Promise<{ teamId: string; team?: string }> {
  const answer = await slackWebClient(options).auth.test();
  if (!answer.team_id) throw new Error('auth.test answered without a team_id');
  return { teamId: answer.team_id, ...(answer.team ? { team: answer.team } : {}) };
}
