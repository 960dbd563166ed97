/**
 * The Microsoft 365 connector: a source's calendars, mailboxes, Teams channels and chats, meeting transcripts and
 * directory, read through Microsoft Graph page by page (the port in ../port.ts), normalized into the same items,
 * meetings and people as the files connector.
 *
 *   createMicrosoftConnector(MicrosoftSourceConfig.parse(config), credentials) → Connector
 *
 * Streams (stable order): per user `calendar:<user>`, `mail:<user>`, then `transcripts:<user>` and `chats:<user>`
 * when enabled; per configured team `teams:<teamId>/<channelId>` (or `teams:<teamId>/*` for all its channels);
 * `directory`. Every Graph error leaves through `microsoftFailure` (429/503 + Retry-After → nextRetryDelay,
 * 401 / a refused token → SourceAuthFailed).
 */
import { z } from 'zod';
import type { Connector, ConnectorContext, StreamCursor, StreamPage } from '../port';
import { unitPath } from '../port';
import { DAY_MS } from '../files/common';
import { eventUnit, type GraphEvent } from './calendar';
import { readChats } from './chats';
import { collectHeldBack, OUTLOOK_PREFER } from './common';
import { isRemoved, readDelta, type DeltaSource } from './delta';
import { readDirectory } from './directory';
import { microsoftFailure } from './errors';
import { GraphReader, type MicrosoftCredentials } from './graph';
import { MAIL_FOLDERS, MESSAGE_SELECT, messageUnit, type GraphMessage } from './mail';
import type { SubscriptionTarget } from './subscriptions';
import { channelThreadUnits, type GraphChannel, type GraphChatMessage } from './teams';
import { readTranscripts } from './transcripts';

export type { MicrosoftCredentials } from './graph';
export { refreshTokenTokens } from './auth';
export { MicrosoftSubscriptions, type SubscriptionTarget } from './subscriptions';
export { SourceFailureType, microsoftFailure } from './errors';

const ALL_CHANNELS = '*';

export const MicrosoftSourceConfig = z
  .object({
    /** mailboxes and calendars, by user principal name (alice@contoso.com) or Azure AD object id */
    users: z.array(z.string().trim().min(1, { message: 'a user must not be empty' })).default([]),
    teams: z
      .array(
        z.object({
          teamId: z.string().trim().min(1, { message: 'teamId must not be empty' }),
          /** omitted: every channel of the team, found at the start of each pass */
          channelIds: z.array(z.string().trim().min(1)).min(1, { message: 'list at least one channel, or omit channelIds for all' }).optional(),
        }),
      )
      .default([]),
    calendar: z.boolean().default(true),
    mail: z.boolean().default(true),
    chats: z.boolean().default(false),
    transcripts: z.boolean().default(false),
    directory: z.boolean().default(false),
    /** Graph's base URL; default MYCELIUM_GRAPH_BASE_URL, else https://graph.microsoft.com */
    baseUrl: z.url({ message: 'baseUrl must be a URL' }).optional(),
    /** the calendar window: days before and after now */
    calendarPastDays: z.number().int().min(0).max(3650).default(90),
    calendarFutureDays: z.number().int().min(1).max(3650).default(180),
    /** how far back the first pass looks for meeting transcripts */
    transcriptLookbackDays: z.number().int().min(1).max(365).default(30),
    /** items per Graph page (Prefer: odata.maxpagesize) */
    pageSize: z.number().int().min(1).max(1000).default(50),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.users.forEach((user, i) => {
      if (seen.has(user.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['users', i], message: `"${user}" is listed twice` });
      seen.add(user.toLowerCase());
    });
    if (config.users.length === 0 && config.teams.length === 0 && !config.directory) {
      ctx.addIssue({ code: 'custom', path: [], message: 'nothing to read: list users, teams, or set directory: true' });
    }
  });
export type MicrosoftSourceConfig = z.infer<typeof MicrosoftSourceConfig>;

type Stream =
  | { kind: 'calendar' | 'mail' | 'transcripts' | 'chats'; user: string }
  | { kind: 'teams'; teamId: string; channelId: string }
  | { kind: 'directory' };

function parseStream(stream: string): Stream {
  if (stream === 'directory') return { kind: 'directory' };
  const sep = stream.indexOf(':');
  const kind = stream.slice(0, sep);
  const rest = stream.slice(sep + 1);
  if (sep > 0 && rest && (kind === 'calendar' || kind === 'mail' || kind === 'transcripts' || kind === 'chats')) return { kind, user: rest };
  const slash = rest.indexOf('/');
  if (kind === 'teams' && slash > 0 && slash < rest.length - 1) return { kind, teamId: rest.slice(0, slash), channelId: rest.slice(slash + 1) };
  throw new Error(`not a Microsoft stream: "${stream}" (expected calendar:, mail:, transcripts:, chats:<user>, teams:<teamId>/<channelId> or directory)`);
}

/** The day-aligned calendar window, so a pass started twice in a day asks for the same one. */
function calendarWindow(now: Date, pastDays: number, futureDays: number): { start: string; end: string } {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { start: new Date(today - pastDays * DAY_MS).toISOString(), end: new Date(today + (futureDays + 1) * DAY_MS).toISOString() };
}

export class MicrosoftConnector implements Connector {
  readonly provider = 'microsoft' as const;
  constructor(
    private readonly config: MicrosoftSourceConfig,
    /** (read by the push upkeep, which creates and renews this source's subscriptions through it) */
    readonly graph: GraphReader,
  ) {}

  streams(): string[] {
    const streams: string[] = [];
    for (const user of this.config.users) {
      if (this.config.calendar) streams.push(`calendar:${user}`);
      if (this.config.mail) streams.push(`mail:${user}`);
      if (this.config.transcripts) streams.push(`transcripts:${user}`);
      if (this.config.chats) streams.push(`chats:${user}`);
    }
    for (const team of this.config.teams) {
      for (const channelId of team.channelIds ?? [ALL_CHANNELS]) streams.push(`teams:${team.teamId}/${channelId}`);
    }
    if (this.config.directory) streams.push('directory');
    return streams;
  }

  /** The Graph resources to subscribe to for change notifications, one per stream that has one. */
  subscriptionTargets(): SubscriptionTarget[] {
    const targets: SubscriptionTarget[] = [];
    for (const user of this.config.users) {
      const u = encodeURIComponent(user);
      if (this.config.calendar) targets.push({ resource: `users/${u}/events`, changeType: 'created,updated,deleted', lifetimeMinutes: 4230 });
      if (this.config.mail) targets.push({ resource: `users/${u}/messages`, changeType: 'created,updated,deleted', lifetimeMinutes: 4230 });
      if (this.config.chats) targets.push({ resource: `users/${u}/chats/getAllMessages`, changeType: 'created,updated,deleted', lifetimeMinutes: 60 });
    }
    for (const team of this.config.teams) {
      const t = encodeURIComponent(team.teamId);
      if (!team.channelIds) targets.push({ resource: `teams/${t}/channels/getAllMessages`, changeType: 'created,updated,deleted', lifetimeMinutes: 60 });
      for (const channelId of team.channelIds ?? []) {
        targets.push({ resource: `teams/${t}/channels/${encodeURIComponent(channelId)}/messages`, changeType: 'created,updated,deleted', lifetimeMinutes: 60 });
      }
    }
    if (this.config.directory) targets.push({ resource: 'users', changeType: 'updated,deleted', lifetimeMinutes: 41760 });
    return targets;
  }

  async readPage(stream: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
    // a context of this page's own, so what it holds back is collected for this page only
    const pageCtx: ConnectorContext = { ...ctx };
    const heldBack = collectHeldBack(pageCtx);
    const page = await this.readStreamPage(stream, cursor, pageCtx);
    return { ...page, heldBack };
  }

  private async readStreamPage(stream: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
    const parsed = parseStream(stream);
    try {
      switch (parsed.kind) {
        case 'calendar':
          return await this.calendarPage(stream, parsed.user, cursor, ctx);
        case 'mail':
          return await this.mailPage(stream, parsed.user, cursor, ctx);
        case 'teams':
          return await this.teamsPage(stream, parsed.teamId, parsed.channelId, cursor, ctx);
        case 'transcripts': {
          const page = await readTranscripts(this.graph, ctx, stream, parsed.user, cursor, this.config.transcriptLookbackDays);
          return { ...page, deleted: [], full: false };
        }
        case 'chats':
          return await readChats(this.graph, ctx, stream, parsed.user, cursor);
        case 'directory': {
          const page = await readDirectory(this.graph, ctx, stream, cursor);
          return { ...page, deleted: [], full: true };
        }
      }
    } catch (error) {
      throw microsoftFailure(error);
    }
  }

  private prefer(): string[] {
    return [...OUTLOOK_PREFER, `odata.maxpagesize=${this.config.pageSize}`];
  }

  private async calendarPage(stream: string, user: string, stored: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
    // a delta tracks the window it started with: once half the future it covers has passed, start a new one
    const windowEnd = typeof stored?.windowEnd === 'string' ? stored.windowEnd : undefined;
    const atPassStart = !stored?.next && (stored?.index ?? 0) === 0;
    const stale = windowEnd !== undefined && atPassStart && ctx.now.getTime() > new Date(windowEnd).getTime() - (this.config.calendarFutureDays * DAY_MS) / 2;
    const cursor = stale ? null : stored;
    const window = calendarWindow(ctx.now, this.config.calendarPastDays, this.config.calendarFutureDays);
    const source: DeltaSource = {
      keys: async () => [user],
      initial: () => ({
        path: `/users/${encodeURIComponent(user)}/calendarView/delta`,
        options: { query: { startDateTime: window.start, endDateTime: window.end }, prefer: this.prefer() },
      }),
      prefer: this.prefer(),
    };
    const page = await readDelta<GraphEvent>(this.graph, source, cursor, ctx.log);
    const units = page.values.filter((e) => !isRemoved(e)).map((e) => eventUnit(ctx, stream, user, e));
    const deleted = page.values.filter(isRemoved).map((e) => unitPath(stream, e.id));
    const end = page.reset || !cursor ? window.end : (windowEnd ?? window.end);
    return { units, deleted, cursor: { ...page.cursor, windowEnd: end }, more: page.more, full: page.full };
  }

  private async mailPage(stream: string, user: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
    const source: DeltaSource = {
      keys: async () => [...MAIL_FOLDERS],
      initial: (folder) => ({
        path: `/users/${encodeURIComponent(user)}/mailFolders/${folder}/messages/delta`,
        options: { query: { $select: MESSAGE_SELECT }, prefer: this.prefer() },
      }),
      prefer: this.prefer(),
    };
    const page = await readDelta<GraphMessage>(this.graph, source, cursor, ctx.log);
    const units = page.values.filter((m) => !isRemoved(m)).map((m) => messageUnit(ctx, stream, user, m));
    const deleted = page.values.filter(isRemoved).map((m) => unitPath(stream, m.id));
    return { units, deleted, cursor: page.cursor, more: page.more, full: page.full };
  }

  private async teamsPage(stream: string, teamId: string, channelId: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
    const t = encodeURIComponent(teamId);
    const all = channelId === ALL_CHANNELS;
    const source: DeltaSource = {
      keys: async () => (all ? (await this.graph.all<GraphChannel>(`/teams/${t}/channels`, { query: { $select: 'id' } })).map((c) => c.id) : [channelId]),
      initial: (c) => ({ path: `/teams/${t}/channels/${encodeURIComponent(c)}/messages/delta`, options: { query: { $top: this.config.pageSize } } }),
    };
    const page = await readDelta<GraphChatMessage>(this.graph, source, cursor, ctx.log);
    if (page.key === undefined) return { units: [], deleted: [], cursor: page.cursor, more: page.more, full: page.full };
    const { units, deleted } = await channelThreadUnits(this.graph, ctx, stream, { teamId, channelId: page.key }, page.values, all ? `${page.key}/` : '');
    return { units, deleted, cursor: page.cursor, more: page.more, full: page.full };
  }
}

/** The connector of one Microsoft source. `config` is parsed (and defaulted) here; secrets stay in `credentials`. */
export function createMicrosoftConnector(
  config: z.input<typeof MicrosoftSourceConfig>,
  credentials: MicrosoftCredentials,
  options: { baseUrl?: string } = {},
): MicrosoftConnector {
  const parsed = MicrosoftSourceConfig.parse(config);
  // the source's own baseUrl, else the deployment's (MYCELIUM_GRAPH_BASE_URL, given by the framework), else Graph
  const baseUrl = parsed.baseUrl ?? options.baseUrl ?? process.env.MYCELIUM_GRAPH_BASE_URL;
  return new MicrosoftConnector(parsed, GraphReader.create(credentials, baseUrl));
}
