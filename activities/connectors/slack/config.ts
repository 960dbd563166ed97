/**
 * What a Slack source is configured with. The bot token is a secret: it comes from the source's sealed credentials
 * (the framework's factory puts it here, in memory) and never from the stored configuration; so does the app's
 * signing secret, which only the Events webhook reads. Everything else is plain settings.
 */
import { z } from 'zod';
import { formatIssue } from '../files/common';

export const DEFAULT_SLACK_BASE_URL = 'https://slack.com';
export const SLACK_BASE_URL_ENV = 'MYCELIUM_SLACK_BASE_URL';
/** How far back an incremental pass re-lists each channel to notice edits, deletions and new thread replies. */
export const DEFAULT_RECHECK_DAYS = 7;

export const SlackSourceConfig = z.object({
  /** bot token (xoxb-…); only ever sent in the Authorization header */
  token: z.string().trim().min(1, { message: 'the Slack bot token (xoxb-…) is required' }),
  /** e.g. https://slack.com (default) or a proxy / local stand-in; the Web API lives under `<baseUrl>/api/` */
  baseUrl: z.url({ message: 'baseUrl must be an http(s) URL like https://slack.com' }).optional(),
  /** channel ids (C…, G…) or names (with or without #) to read; default every conversation the bot is a member of */
  channels: z.array(z.string().trim().min(1)).optional(),
  /** read private channels the bot was invited to (needs groups:read, groups:history); default true */
  includePrivate: z.boolean().default(true),
  /** read direct messages and group DMs with the bot (needs im:/mpim: scopes); default false */
  includeDirectMessages: z.boolean().default(false),
  /** the workspace (team id, T…) whose Events API callbacks belong to this source */
  teamId: z.string().trim().min(1).optional(),
  /** days an incremental pass re-reads for edits, deletions and new replies (older changes wait for a full pass) */
  recheckDays: z.number().int().min(0).max(90).default(DEFAULT_RECHECK_DAYS),
  /** messages per conversations.history / users.list page (Slack advises at most 200) */
  pageSize: z.number().int().min(1).max(1000).default(200),
});
export type SlackSourceConfig = z.infer<typeof SlackSourceConfig>;
export type SlackSourceConfigInput = z.input<typeof SlackSourceConfig>;

/** `#general` and `general` name the same channel. */
export function channelSelector(value: string): string {
  return value.replace(/^#/, '').toLowerCase();
}

/** The configuration, or an error naming every bad field ("Slack source configuration: baseUrl: must be …"). */
export function parseSlackSourceConfig(input: unknown): SlackSourceConfig {
  const parsed = SlackSourceConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new Error(`Slack source configuration: ${parsed.error.issues.map((issue) => formatIssue(issue)).join('; ')}`);
}
