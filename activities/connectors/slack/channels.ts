/**
 * The `channels` stream: every conversation the bot reads, one unit per thread (`channels/<channelId>/<ts>`).
 *
 * A pass lists the conversations (conversations.list, cursor paging), then reads them one after the other: the
 * members once per conversation (conversations.members → the access list), then conversations.history page by
 * page, and conversations.replies for each thread that is new or changed. The cursor keeps, per conversation, the
 * latest ts seen (messages, replies and edits alike), so the next pass asks only for what came after it (`oldest`)
 * — plus a recheck window (`recheckDays`): the top-level messages of the last days are listed again and compared
 * with what the previous pass saw there, so an edit, a deletion or a new reply in a recent thread re-reads or
 * removes its unit. Older changes wait for a full pass (the first one, or one the Events webhook asks for), whose
 * end sweeps every unit it did not list.
 *
 * A membership change re-reads the conversation from its start: every unit of it carries the access list, and a
 * person who left a private channel must stop seeing what was said there.
 */
import type { ConversationsListResponse, WebClient } from '@slack/web-api';
import type { ParsedUnit } from '../../../schemas/entities';
import { accessList } from '../files/common';
import { optedIn } from '../files/directory';
import { stableHash } from '../files/ids';
import type { ConnectorContext, StreamCursor, StreamPage, UnitHeldBack } from '../port';
import type { SlackSourceConfig } from './config';
import { channelSelector } from './config';
import { GONE_CONVERSATION_ERRORS, slackErrorCode } from './errors';
import type { SlackPeople } from './people';
import type { ConversationKind, ConversationRef, SlackMessage } from './threads';
import { CHANNELS_STREAM, isThreadStart, threadPath, threadUnit } from './threads';
import { compareTs, maxTs, tsOf } from './ts';

/** What the cursor remembers of one conversation between passes. */
interface ConversationState {
  /** the latest ts seen: of a message, a reply or an edit */
  latest?: string;
  /** hash of the opted-in members: a change re-reads the conversation */
  members: string;
  /** top-level messages inside the recheck window: ts → reply count */
  recent: Record<string, number>;
}

/** A pass under way. */
interface PassState {
  full: boolean;
  /** conversations still to read, the current one first */
  queue: ConversationRef[];
  /** ids of every conversation this pass reads */
  chosen: string[];
  /** id → name of every listed conversation, for rendering `<#C…>` */
  names: Record<string, string>;
  /** the current conversation's read, once started */
  current?: {
    access: string[];
    members: string;
    /** read from the start (new conversation, full pass, membership change) */
    fromStart: boolean;
    /** `oldest` of this read (exclusive); absent when from the start */
    oldest?: string;
    /** conversations.history cursor of the next page */
    next?: string;
    latest?: string;
    seen: Record<string, number>;
  };
}

export interface ChannelsCursor {
  conversations: Record<string, ConversationState>;
  pass?: PassState;
}

export interface ChannelsPage extends StreamPage {
  /** whose messages this page left out (identity and counts only), per thread */
  heldBack: UnitHeldBack[];
}

type ListedConversation = NonNullable<ConversationsListResponse['channels']>[number];

export interface ChannelReaderDeps {
  client: WebClient;
  config: SlackSourceConfig;
  /**
   * resolves Slack users to people: by the directory's Slack ids, and by profile email (users.list, listed only
   * when one of `userIds` is not a known Slack id, and cached by the connector)
   */
  people(ctx: ConnectorContext, userIds: Iterable<string>): Promise<SlackPeople>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function kindOf(c: ListedConversation): ConversationKind {
  if (c.is_im) return 'im';
  if (c.is_mpim) return 'mpim';
  return c.is_private || c.is_group ? 'private' : 'public';
}

function conversationTypes(config: SlackSourceConfig): string {
  return [
    'public_channel',
    ...(config.includePrivate ? ['private_channel'] : []),
    ...(config.includeDirectMessages ? ['im', 'mpim'] : []),
  ].join(',');
}

/** conversations.list, every page: the conversations this source reads, in a stable order. */
async function listConversations(deps: ChannelReaderDeps, ctx: ConnectorContext): Promise<{ queue: ConversationRef[]; names: Record<string, string> }> {
  const listed: ListedConversation[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.client.conversations.list({
      types: conversationTypes(deps.config),
      limit: deps.config.pageSize,
      ...(cursor ? { cursor } : {}),
    });
    listed.push(...(page.channels ?? []));
    cursor = page.response_metadata?.next_cursor || undefined;
    ctx.heartbeat({ stream: CHANNELS_STREAM, listed: listed.length });
  } while (cursor);

  const names: Record<string, string> = {};
  for (const c of listed) if (c.id) names[c.id] = c.name ?? c.id;
  const wanted = deps.config.channels?.map(channelSelector);
  const matches = (c: ListedConversation): boolean =>
    !wanted || wanted.includes(channelSelector(c.id ?? '')) || (c.name !== undefined && wanted.includes(channelSelector(c.name)));
  // the bot reads only where it is a member; a DM with the bot always has it
  const readable = (c: ListedConversation): boolean => c.is_member === true || c.is_im === true || c.is_mpim === true;
  const chosen = listed.filter((c) => c.id && matches(c) && readable(c));
  if (wanted) {
    const found = new Set(chosen.flatMap((c) => [channelSelector(c.id!), ...(c.name ? [channelSelector(c.name)] : [])]));
    const missing = wanted.filter((w) => !found.has(w));
    if (missing.length > 0) {
      ctx.log.warn({ sourceId: ctx.sourceId, missing }, 'configured Slack channels not found or the bot is not a member (invite it with /invite @bot)');
    }
  }
  const queue = chosen
    .map((c) => ({ id: c.id!, name: c.name ?? (c.user ? `dm-${c.user}` : c.id!), kind: kindOf(c) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { queue, names };
}

/** conversations.members, every page, as opted-in person ids. */
async function accessOf(deps: ChannelReaderDeps, conversation: ConversationRef, ctx: ConnectorContext): Promise<string[]> {
  const members: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.client.conversations.members({ channel: conversation.id, limit: 1000, ...(cursor ? { cursor } : {}) });
    members.push(...(page.members ?? []));
    cursor = page.response_metadata?.next_cursor || undefined;
    ctx.heartbeat({ stream: CHANNELS_STREAM, channel: conversation.id });
  } while (cursor);
  const people = await deps.people(ctx, members);
  return accessList(members.flatMap((m) => optedIn(people.personOf(m))?.id ?? []));
}

/** conversations.replies, every page: the parent first, then its replies. */
async function threadMessages(deps: ChannelReaderDeps, channel: string, ts: string, ctx: ConnectorContext): Promise<SlackMessage[]> {
  const messages: SlackMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.client.conversations.replies({ channel, ts, limit: deps.config.pageSize, ...(cursor ? { cursor } : {}) });
    messages.push(...((page.messages ?? []) as SlackMessage[]));
    cursor = page.has_more ? page.response_metadata?.next_cursor || undefined : undefined;
    ctx.heartbeat({ stream: CHANNELS_STREAM, channel, thread: ts });
  } while (cursor);
  return messages;
}

/** Authors and mentioned users of a thread. */
function usersIn(messages: readonly SlackMessage[]): string[] {
  const ids = new Set<string>();
  for (const m of messages) {
    if (m.user) ids.add(m.user);
    for (const match of (m.text ?? '').matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g)) ids.add(match[1]!);
  }
  return [...ids];
}

function parseCursor(cursor: StreamCursor | null): ChannelsCursor | null {
  if (cursor === null) return null;
  const conversations = cursor.conversations;
  if (typeof conversations !== 'object' || conversations === null) {
    throw new Error(`the Slack channels cursor is not one this connector wrote (no "conversations"): ${JSON.stringify(cursor).slice(0, 200)}`);
  }
  return cursor as unknown as ChannelsCursor;
}

/** The window's start as a ts; an incremental read never starts later than this. */
function windowStart(config: SlackSourceConfig, now: Date): string {
  return tsOf(new Date(now.getTime() - config.recheckDays * DAY_MS));
}

/**
 * Should an incremental read (re)emit this thread? New, edited, or its replies changed (a new reply moves
 * `latest_reply`; a deleted one changes the count the previous pass saw).
 */
function changedSince(message: SlackMessage, before: ConversationState): boolean {
  const latest = before.latest;
  if (!latest) return true;
  const after = (ts: string | undefined): boolean => ts !== undefined && compareTs(ts, latest) > 0;
  if (after(message.ts) || after(message.latest_reply) || after(message.edited?.ts)) return true;
  const count = before.recent[message.ts!];
  return count !== undefined && count !== (message.reply_count ?? 0);
}

/** One page of the channels stream (several small conversations may share one page). */
export async function readChannelsPage(deps: ChannelReaderDeps, raw: StreamCursor | null, ctx: ConnectorContext): Promise<ChannelsPage> {
  const previous = parseCursor(raw);
  const state: ChannelsCursor = previous ? structuredClone(previous) : { conversations: {} };
  if (!state.pass) {
    const { queue, names } = await listConversations(deps, ctx);
    state.pass = { full: previous === null, queue, chosen: queue.map((c) => c.id), names };
  }
  const pass = state.pass;
  const units: ParsedUnit[] = [];
  const deleted: string[] = [];
  const heldBack: UnitHeldBack[] = [];
  const channelNames = new Map(Object.entries(pass.names));
  const since = windowStart(deps.config, ctx.now);

  while (pass.queue.length > 0) {
    const conversation = pass.queue[0]!;
    const before = state.conversations[conversation.id];
    if (!pass.current) {
      const access = await accessOf(deps, conversation, ctx);
      const members = stableHash(access);
      const fromStart = pass.full || !before?.latest || before.members !== members;
      const oldest = fromStart ? undefined : compareTs(before.latest!, since) < 0 ? before.latest : since;
      pass.current = { access, members, fromStart, ...(oldest ? { oldest } : {}), seen: {} };
    }
    const current = pass.current;

    let history;
    try {
      history = await deps.client.conversations.history({
        channel: conversation.id,
        limit: deps.config.pageSize,
        ...(current.oldest ? { oldest: current.oldest } : {}),
        ...(current.next ? { cursor: current.next } : {}),
      });
    } catch (error) {
      const code = slackErrorCode(error);
      if (!code || !GONE_CONVERSATION_ERRORS.has(code)) throw error;
      // gone or closed to us since it was listed: its units stay until a full pass no longer lists them
      ctx.log.warn({ sourceId: ctx.sourceId, channel: conversation.id, error: code }, 'Slack conversation skipped');
      pass.queue.shift();
      delete pass.current;
      delete state.conversations[conversation.id];
      continue;
    }
    ctx.heartbeat({ stream: CHANNELS_STREAM, channel: conversation.id });

    for (const message of (history.messages ?? []) as SlackMessage[]) {
      if (!message.ts || !isThreadStart(message)) continue;
      current.latest = maxTs(current.latest, message.ts, message.latest_reply, message.edited?.ts);
      if (compareTs(message.ts, since) >= 0) current.seen[message.ts] = message.reply_count ?? 0;
      if (!current.fromStart && before && !changedSince(message, before)) continue;
      const thread = (message.reply_count ?? 0) > 0 || message.latest_reply ? await threadMessages(deps, conversation.id, message.ts, ctx) : [message];
      const people = await deps.people(ctx, usersIn(thread));
      const built = threadUnit({
        sourceId: ctx.sourceId,
        conversation,
        messages: thread,
        access: current.access,
        people,
        channelNames,
        directoryFingerprint: ctx.directory.fingerprint,
      });
      units.push(built.unit);
      if (built.heldBack.length > 0) heldBack.push({ path: built.unit.path, authors: built.heldBack });
    }

    const next = history.has_more ? history.response_metadata?.next_cursor || undefined : undefined;
    if (next) {
      current.next = next;
      break; // one history page per readPage once a conversation has more: the cursor stays small and fresh
    }

    // the conversation is read: what the previous pass saw in the listed range and this one did not is gone
    const listedFrom = current.oldest;
    const inListedRange = (ts: string): boolean => listedFrom === undefined || compareTs(ts, listedFrom) > 0;
    for (const ts of Object.keys(before?.recent ?? {})) {
      // `seen` holds the window only: older messages are neither listed there nor judged
      if (compareTs(ts, since) >= 0 && inListedRange(ts) && current.seen[ts] === undefined) deleted.push(threadPath(conversation.id, ts));
    }
    const kept = Object.fromEntries(Object.entries(before?.recent ?? {}).filter(([ts]) => compareTs(ts, since) >= 0 && !inListedRange(ts)));
    state.conversations[conversation.id] = {
      ...(maxTs(before?.latest, current.latest) ? { latest: maxTs(before?.latest, current.latest)! } : {}),
      members: current.members,
      recent: { ...kept, ...current.seen },
    };
    pass.queue.shift();
    delete pass.current;
    if (units.length >= deps.config.pageSize) break;
  }

  const full = pass.full;
  const more = pass.queue.length > 0;
  if (!more) {
    // the pass is over: forget conversations it no longer lists (their units go with a full pass's sweep)
    const listed = new Set(pass.chosen);
    for (const id of Object.keys(state.conversations)) if (!listed.has(id)) delete state.conversations[id];
    delete state.pass;
  }
  return { units, deleted, cursor: state as unknown as StreamCursor, more, full, heldBack };
}
