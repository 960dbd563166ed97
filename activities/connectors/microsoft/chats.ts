/**
 * `chats:<user>`: the user's Teams chats (/users/{id}/chats with their members) and their messages
 * (/chats/{id}/messages). Chat history has no delta for app-only callers, so a pass lists the chats and, for each
 * chat updated since the previous pass began, the messages modified since then ($filter on lastModifiedDateTime,
 * which Graph accepts with $orderby=lastModifiedDateTime desc). The first pass lists everything and is `full`.
 * Access: the chat's members.
 */
import type { ParsedUnit } from '../../../schemas/entities';
import type { ConnectorContext, StreamCursor } from '../port';
import { unitPath } from '../port';
import { isRemoved } from './delta';
import type { GraphPage, GraphReader } from './graph';
import { chatMessageUnit, Membership, type GraphChat, type GraphChatMessage } from './teams';

type ChatsCursor = { since?: string; passStartedAt: string; next?: string };

export async function readChats(
  graph: GraphReader,
  ctx: ConnectorContext,
  stream: string,
  user: string,
  stored: StreamCursor | null,
): Promise<{ units: ParsedUnit[]; deleted: string[]; cursor: StreamCursor; more: boolean; full: boolean }> {
  const previous = stored as Partial<ChatsCursor> | null;
  const cursor: ChatsCursor = previous?.next && previous.passStartedAt
    ? (previous as ChatsCursor)
    : { passStartedAt: ctx.now.toISOString(), ...(previous?.since ? { since: previous.since } : {}) };
  const page = cursor.next
    ? await graph.get<GraphPage<GraphChat>>(cursor.next)
    : await graph.get<GraphPage<GraphChat>>(`/users/${encodeURIComponent(user)}/chats`, { query: { $expand: 'members', $top: 50 } });

  const units: ParsedUnit[] = [];
  const deleted: string[] = [];
  for (const chat of page.value ?? []) {
    if (cursor.since && chat.lastUpdatedDateTime && chat.lastUpdatedDateTime <= cursor.since) continue;
    ctx.heartbeat();
    const members = new Membership(ctx, chat.members ?? []);
    const messages = await graph.all<GraphChatMessage>(
      `/chats/${encodeURIComponent(chat.id)}/messages`,
      { query: cursor.since ? { $top: 50, $filter: `lastModifiedDateTime gt ${cursor.since}`, $orderby: 'lastModifiedDateTime desc' } : { $top: 50 } },
      () => ctx.heartbeat(),
    );
    for (const message of messages) {
      if (isRemoved(message)) deleted.push(unitPath(stream, `${chat.id}/${message.id}`));
      else units.push(chatMessageUnit(ctx, stream, chat, members, message));
    }
  }
  const full = cursor.since === undefined;
  const next = page['@odata.nextLink'];
  if (next) return { units, deleted, cursor: { ...cursor, next }, more: true, full };
  // the next pass reads what changed since this one began: a message written during the pass is read twice, never lost
  return { units, deleted, cursor: { since: cursor.passStartedAt, passStartedAt: cursor.passStartedAt }, more: false, full };
}
