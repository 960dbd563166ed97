/**
 * Push channels: a Calendar `events.watch` per calendar and a Drive `changes.watch`, addressed to the service's
 * webhook endpoints (/webhooks/google/calendar, /webhooks/google/drive) and registered in the webhook channel store
 * with the secret Google echoes (X-Goog-Channel-Token). A notification only asks for a sync of the source; the
 * streams' own cursors say what changed.
 *
 * Google channels cannot be extended, only replaced: before a channel expires (RENEW_BEFORE_MS) a new one is
 * opened and registered, then the old one is stopped. Channel ids start with a digest of (source, stream), so the
 * store alone tells which stream a channel watches. Gmail has no webhook channel (its push goes through Cloud
 * Pub/Sub); a mailbox is kept fresh by the scheduled incremental sync, which the history API makes cheap.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { WebhookChannel, WebhookStore } from '../../memory/webhooks';
import type { GoogleApis } from './apis';
import { must, request } from './apis';
import type { GoogleSourceConfig } from './config';
import { isUserCalendar } from './config';
import { calendarStream } from './calendar';
import { DRIVE_STREAM } from './drive';

/** a channel lives this long (Google's maximum for both APIs is about a week) */
export const CHANNEL_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** and is replaced this long before it expires, so a missed renewal run has a day to catch up */
export const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

export interface WatchedStream {
  stream: string;
  kind: 'calendar' | 'drive';
  calendarId?: string;
}

/** The streams that can have a push channel, from the configuration. */
export function watchableStreams(config: GoogleSourceConfig): WatchedStream[] {
  return [
    ...config.calendars.map((calendarId) => ({ stream: calendarStream(calendarId), kind: 'calendar' as const, calendarId })),
    ...(config.drive ? [{ stream: DRIVE_STREAM, kind: 'drive' as const }] : []),
  ];
}

/** `myc-<16 hex of sha256(source, stream)>-`: Google allows [A-Za-z0-9-_+/=], up to 64 characters. */
export function channelPrefix(sourceId: string, stream: string): string {
  return `myc-${createHash('sha256').update(`${sourceId}\u0000${stream}`).digest('hex').slice(0, 16)}-`;
}

export interface ChannelPlan {
  /** streams that need a new channel (none yet, or the newest expires within the margin), with what it replaces */
  renew: { watched: WatchedStream; replaces: WebhookChannel[] }[];
  /** active channels of streams the source no longer reads */
  obsolete: WebhookChannel[];
}

/** What to open and close, from the channels on record: a pure function, so a schedule can be reasoned about. */
export function channelsToRenew(
  sourceId: string,
  config: GoogleSourceConfig,
  existing: readonly WebhookChannel[],
  now: Date,
  renewBeforeMs = RENEW_BEFORE_MS,
): ChannelPlan {
  const active = existing.filter((c) => c.provider === 'google' && c.sourceId === sourceId && c.status === 'active');
  const claimed = new Set<string>();
  const renew: ChannelPlan['renew'] = [];
  for (const watched of watchableStreams(config)) {
    const prefix = channelPrefix(sourceId, watched.stream);
    const mine = active.filter((c) => c.channelId.startsWith(prefix));
    mine.forEach((c) => claimed.add(c.channelId));
    const lasts = Math.max(...mine.map((c) => c.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY), Number.NEGATIVE_INFINITY);
    if (mine.length === 0 || lasts - now.getTime() < renewBeforeMs) renew.push({ watched, replaces: mine });
  }
  return { renew, obsolete: active.filter((c) => !claimed.has(c.channelId)) };
}

export interface ChannelDeps {
  apis: GoogleApis;
  config: GoogleSourceConfig;
  sourceId: string;
  webhooks: WebhookStore;
  /** the service's public base URL, e.g. https://mycelium.acme.com (Google needs HTTPS on a verified domain) */
  publicUrl: string;
  now?: () => Date;
}

export interface RenewedChannels {
  opened: WebhookChannel[];
  stopped: string[];
}

/** Opens the channels `channelsToRenew` asks for, registers them, then stops what they replace. Idempotent. */
export async function renewChannels(deps: ChannelDeps): Promise<RenewedChannels> {
  const now = deps.now?.() ?? new Date();
  const plan = channelsToRenew(deps.sourceId, deps.config, await deps.webhooks.list(deps.sourceId), now);
  const opened: WebhookChannel[] = [];
  const stopped: string[] = [];
  for (const { watched, replaces } of plan.renew) {
    opened.push(await openChannel(deps, watched, now));
    for (const old of replaces) {
      await stopChannel(deps, watched, old);
      stopped.push(old.channelId);
    }
  }
  for (const old of plan.obsolete) {
    // which account opened it is no longer known: Google drops it at expiry, and the store refuses its messages now
    await deps.webhooks.setStatus('google', old.channelId, 'removed');
    stopped.push(old.channelId);
  }
  return { opened, stopped };
}

function subjectFor(deps: ChannelDeps, watched: WatchedStream): string {
  return watched.kind === 'calendar' && isUserCalendar(watched.calendarId!) ? watched.calendarId!.toLowerCase() : deps.config.actAs!;
}

async function openChannel(deps: ChannelDeps, watched: WatchedStream, now: Date): Promise<WebhookChannel> {
  const channelId = `${channelPrefix(deps.sourceId, watched.stream)}${now.getTime().toString(36)}${randomBytes(3).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  const expiration = now.getTime() + CHANNEL_TTL_MS;
  const base = deps.publicUrl.replace(/\/+$/, '');
  const auth = await deps.apis.as(subjectFor(deps, watched));
  const answer =
    watched.kind === 'calendar'
      ? await must(`calendar ${watched.calendarId}`, async () =>
          (
            await deps.apis.calendar.events.watch(
              {
                calendarId: watched.calendarId!,
                requestBody: { id: channelId, type: 'web_hook', address: `${base}/webhooks/google/calendar`, token: secret, params: { ttl: String(CHANNEL_TTL_MS / 1000) } },
              },
              auth,
            )
          ).data,
        )
      : await must('google drive', async () => {
          const start = (await deps.apis.drive.changes.getStartPageToken({ supportsAllDrives: true }, auth)).data;
          return (
            await deps.apis.drive.changes.watch(
              {
                pageToken: start.startPageToken ?? undefined,
                supportsAllDrives: true,
                includeItemsFromAllDrives: true,
                requestBody: { id: channelId, type: 'web_hook', address: `${base}/webhooks/google/drive`, token: secret, expiration: String(expiration) },
              },
              auth,
            )
          ).data;
        });
  const expiresAt = answer.expiration ? new Date(Number(answer.expiration)) : new Date(expiration);
  const { channel } = await deps.webhooks.register({
    provider: 'google',
    channelId,
    sourceId: deps.sourceId,
    secret,
    ...(answer.resourceId ? { resourceId: answer.resourceId } : {}),
    expiresAt,
  });
  return channel;
}

async function stopChannel(deps: ChannelDeps, watched: WatchedStream, old: WebhookChannel): Promise<void> {
  const auth = await deps.apis.as(subjectFor(deps, watched));
  const requestBody = { id: old.channelId, ...(old.resourceId ? { resourceId: old.resourceId } : {}) };
  // 404: Google forgot it already (expired); either way it is gone
  await request(
    'google channels.stop',
    async () => (watched.kind === 'calendar' ? deps.apis.calendar.channels.stop({ requestBody }, auth) : deps.apis.drive.channels.stop({ requestBody }, auth)),
    [404],
  );
  await deps.webhooks.setStatus('google', old.channelId, 'removed');
}
