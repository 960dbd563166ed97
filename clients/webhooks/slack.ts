/**
 * The Slack Events API endpoint (the app's Request URL: POST /webhooks/slack/events).
 *
 * Every request is signed: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` keyed by the
 * app's signing secret, with `X-Slack-Request-Timestamp`. A request older or newer than five minutes, or whose
 * signature does not match, is refused with 401 before anything else happens (a replayed or forged event
 * triggers nothing). The body's team_id names the workspace, and so the Slack source(s) it belongs to; their
 * signing secret (from their encrypted credentials, else MYCELIUM_SLACK_SIGNING_SECRET) is the key.
 *
 * `url_verification` (when the Request URL is saved) is answered with its challenge. An `event_callback` about
 * messages, members, channels or users is a debounced sync request to each matching source; a change to a message
 * older than the source's recheck window asks for a full pass, since an incremental one would not see it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { DEFAULT_RECHECK_DAYS } from '../../activities/connectors/slack/config';
import type { Logger } from 'pino';
import { resolveCredentials } from '../../activities/connectors/credentials';
import type { SourceRegistry } from '../../activities/memory/sources';
import type { SyncRequest } from '../../workflows/sync-defs';
import { InvalidInputError, UnauthorizedError } from '../registry/errors';
import type { SlackWebhookSource, WebhookDeps } from './deps';

/** Slack's own replay window */
export const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;
export const SLACK_SIGNING_SECRET_ENV = 'MYCELIUM_SLACK_SIGNING_SECRET';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Events that change what a sync reads: messages (every subtype), membership, conversations, people. */
const SYNCING_EVENTS = new Set([
  'message',
  'member_joined_channel',
  'member_left_channel',
  'channel_created',
  'channel_deleted',
  'channel_rename',
  'channel_archive',
  'channel_unarchive',
  'channel_left',
  'group_deleted',
  'group_rename',
  'group_archive',
  'group_unarchive',
  'group_left',
  'user_change',
  'team_join',
]);

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` */
export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}

/** Constant-time comparison of a presented signature with the expected one (length leaks nothing: both are fixed). */
function sameSignature(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

interface SlackEnvelope {
  type?: string;
  challenge?: string;
  team_id?: string;
  event_id?: string;
  event?: {
    type?: string;
    subtype?: string;
    channel?: string | { id?: string };
    ts?: string;
    thread_ts?: string;
    deleted_ts?: string;
    message?: { ts?: string; thread_ts?: string };
    previous_message?: { ts?: string; thread_ts?: string };
  };
}

function parseEnvelope(raw: string): SlackEnvelope | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SlackEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

/** The sources a workspace's events belong to: those naming its team id, else those naming none (one workspace). */
function sourcesOf(all: readonly SlackWebhookSource[], teamId: string | undefined): SlackWebhookSource[] {
  const named = teamId ? all.filter((s) => s.teamId === teamId) : [];
  return named.length > 0 ? named : all.filter((s) => !s.teamId);
}

/**
 * The sync an event asks for, or undefined when it changes nothing we read. A message event names the thread it
 * touched (the reply's parent, the edited or deleted message); older than the recheck window, it needs a full pass.
 */
export function syncRequestFor(envelope: SlackEnvelope, source: Pick<SlackWebhookSource, 'recheckDays'>, now: Date): SyncRequest | undefined {
  const event = envelope.event;
  if (!event?.type || !SYNCING_EVENTS.has(event.type)) return undefined;
  const channel = typeof event.channel === 'string' ? event.channel : event.channel?.id;
  const what = `slack ${event.type}${event.subtype ? `/${event.subtype}` : ''}${channel ? ` in ${channel}` : ''}`;
  if (event.type !== 'message') return { reason: what };
  const touched =
    event.subtype === 'message_deleted'
      ? (event.previous_message?.thread_ts ?? event.deleted_ts)
      : event.subtype === 'message_changed'
        ? (event.message?.thread_ts ?? event.message?.ts)
        : (event.thread_ts ?? event.ts);
  const windowStartSeconds = (now.getTime() - source.recheckDays * DAY_MS) / 1000;
  const old = touched !== undefined && Number(touched.split('.')[0]) < Math.floor(windowStartSeconds);
  return old ? { reason: `${what} (a thread older than ${source.recheckDays} days)`, full: true } : { reason: what };
}

export async function slackEvents(c: Context, deps: WebhookDeps): Promise<Response> {
  const timestamp = c.req.header('x-slack-request-timestamp');
  const signature = c.req.header('x-slack-signature');
  if (!timestamp || !signature) throw new UnauthorizedError('X-Slack-Signature and X-Slack-Request-Timestamp are required');
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - seconds) > SLACK_TIMESTAMP_WINDOW_SECONDS) {
    throw new UnauthorizedError('X-Slack-Request-Timestamp is outside the five-minute window (a replay, or a clock off)');
  }
  const raw = await c.req.text();
  const envelope = parseEnvelope(raw);

  // the team id is read before the signature is checked only to choose the key; nothing acts on it unless it verifies
  const all = deps.slackSources ? await deps.slackSources() : [];
  const candidates = envelope?.type === 'url_verification' ? all : sourcesOf(all, envelope?.team_id);
  const fallback = process.env[SLACK_SIGNING_SECRET_ENV] || undefined;
  const verified = candidates.filter((s) => {
    const secret = s.signingSecret ?? fallback;
    return secret !== undefined && sameSignature(signature, slackSignature(secret, timestamp, raw));
  });
  const byFallback = candidates.length === 0 && fallback !== undefined && sameSignature(signature, slackSignature(fallback, timestamp, raw));
  if (verified.length === 0 && !byFallback) throw new UnauthorizedError('the Slack request signature does not match');
  if (!envelope) throw new InvalidInputError('the body is not a JSON object');

  if (envelope.type === 'url_verification') {
    if (typeof envelope.challenge !== 'string') throw new InvalidInputError('url_verification without a challenge');
    return c.json({ challenge: envelope.challenge });
  }
  if (envelope.type !== 'event_callback') {
    // app_rate_limited and future envelope types: acknowledged, nothing to sync
    deps.log.info({ type: envelope.type, teamId: envelope.team_id }, 'slack envelope ignored');
    return c.json({ received: true, triggered: 0 });
  }
  if (verified.length === 0) {
    deps.log.warn({ teamId: envelope.team_id, eventId: envelope.event_id }, 'slack event for a workspace no source reads');
    return c.json({ received: true, triggered: 0 });
  }
  const now = new Date();
  let triggered = 0;
  for (const source of verified) {
    const request = syncRequestFor(envelope, source, now);
    if (!request) continue;
    await deps.requestSync(source.sourceId, request);
    triggered += 1;
  }
  return c.json({ received: true, triggered });
}

/**
 * The registered Slack sources: the workspace (`teamId`, filled from auth.test by `myc sources add`) and recheck
 * window from their configuration, the app's signing secret from their credentials, decrypted here (they are
 * sealed at rest with MYCELIUM_SECRET_KEY). A source whose credentials cannot be opened verifies nothing but by
 * MYCELIUM_SLACK_SIGNING_SECRET, and the log says why.
 */
export async function slackSourcesIn(sources: Pick<SourceRegistry, 'list' | 'secret'>, log: Logger): Promise<SlackWebhookSource[]> {
  const out: SlackWebhookSource[] = [];
  for (const source of (await sources.list()).filter((s) => s.kind === 'slack')) {
    const config = source.config;
    const teamId = typeof config.teamId === 'string' && config.teamId ? config.teamId : undefined;
    const recheckDays = typeof config.recheckDays === 'number' ? config.recheckDays : DEFAULT_RECHECK_DAYS;
    let signingSecret: string | undefined;
    try {
      const credentials = await resolveCredentials(sources, source);
      if (credentials.provider === 'slack') signingSecret = credentials.signingSecret;
    } catch (error) {
      log.warn({ sourceId: source.id, reason: error instanceof Error ? error.message : String(error) }, 'slack source credentials not readable: its signing secret is unknown');
    }
    out.push({ sourceId: source.id, ...(teamId ? { teamId } : {}), ...(signingSecret ? { signingSecret } : {}), recheckDays });
  }
  return out;
}
