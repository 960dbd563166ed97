/**
 * Teams channel messages (`teams:<teamId>/<channelId>`, or `teams:<teamId>/*` for every channel of a team) and
 * chats (`chats:<user>`). The unit is a THREAD: a channel's root message with its replies (a delta reports roots;
 * their replies come from /replies), each message one `message` Item, as a Slack message with its thread is.
 *
 * Access comes from the source: a channel's items are visible to the channel's members
 * (/teams/{id}/channels/{id}/members), so a private channel's messages reach its members only. Members are Azure AD
 * users with an email; messages name their author by user id, resolved through the member list first.
 */
import type { Item, ParsedUnit, Person } from '../../../schemas/entities';
import { OUTSIDE_OPT_IN } from '../../../schemas/entities';
import { accessList, finishItem, unique } from '../files/common';
import { optedIn } from '../files/directory';
import type { ConnectorContext } from '../port';
import { unitPath } from '../port';
import { bodyText, graphDate, noteHeldBack, optedInByEmail, unitOf, type GraphIdentitySet, type GraphItemBody } from './common';
import { isRemoved } from './delta';
import type { GraphReader } from './graph';

export interface GraphChatMessage {
  id: string;
  '@removed'?: { reason?: string };
  replyToId?: string | null;
  messageType?: string;
  createdDateTime?: string;
  lastModifiedDateTime?: string | null;
  deletedDateTime?: string | null;
  subject?: string | null;
  body?: GraphItemBody | null;
  from?: GraphIdentitySet | null;
  mentions?: { id?: number; mentionText?: string; mentioned?: GraphIdentitySet | null }[] | null;
  webUrl?: string | null;
  chatId?: string | null;
}

export interface GraphConversationMember {
  id?: string;
  displayName?: string | null;
  userId?: string | null;
  email?: string | null;
  roles?: string[];
}

export interface GraphChannel {
  id: string;
  displayName?: string;
  membershipType?: 'standard' | 'private' | 'shared' | string;
}

/** Who is in a conversation, by Azure AD user id, and how to find the person behind a message's author. */
export class Membership {
  readonly #emailOf = new Map<string, string>();
  constructor(
    private readonly ctx: ConnectorContext,
    members: readonly GraphConversationMember[],
  ) {
    for (const member of members) {
      const email = member.email?.trim().toLowerCase();
      if (member.userId && email) this.#emailOf.set(member.userId, email);
    }
  }

  /** the opted-in members (person ids): the access list of everything said in the conversation */
  get optedInMembers(): string[] {
    return unique([...this.#emailOf.values()].map((email) => optedInByEmail(this.ctx, email)?.id).filter((id): id is string => id !== undefined));
  }

  /** the person (opted in or not) behind an identity set */
  person(identity: GraphIdentitySet | null | undefined): Person | undefined {
    const user = identity?.user;
    if (!user) return undefined;
    const email = user.id ? this.#emailOf.get(user.id) : undefined;
    return (email ? this.ctx.directory.byEmail(email) : undefined) ?? (user.displayName ? this.ctx.directory.byName(user.displayName) : undefined);
  }
}

/** Only real messages: system events (member added, call started…) carry no words. */
function isContent(message: GraphChatMessage): boolean {
  return (message.messageType ?? 'message') === 'message' && !isRemoved(message);
}

interface ConversationPlace {
  /** where the items come from, for meta and locators */
  meta: Record<string, unknown>;
  threadId: string;
  members: Membership;
}

function messageItem(ctx: ConnectorContext, path: string, place: ConversationPlace, message: GraphChatMessage): Item | undefined {
  const author = optedIn(place.members.person(message.from));
  if (!author) {
    const known = place.members.person(message.from);
    const name = message.from?.user?.displayName ?? known?.name;
    noteHeldBack(ctx, path, [{ ...(known ? { id: known.id } : {}), ...(name ? { name } : {}), items: 1 }]);
    return undefined;
  }
  const mentions: string[] = [];
  let body = bodyText(message.body);
  for (const mention of message.mentions ?? []) {
    const person = optedIn(place.members.person(mention.mentioned));
    if (person) mentions.push(person.id);
    else if (mention.mentionText) body = body.split(mention.mentionText).join(OUTSIDE_OPT_IN); // never name them
  }
  const occurredAt = graphDate(message.createdDateTime);
  if (!body || !occurredAt) return undefined;
  const recipients = unique(mentions);
  return finishItem(ctx, path, {
    externalId: `${String(place.meta.conversationId)}/${message.id}`,
    kind: 'message',
    title: message.subject?.trim() || undefined,
    body,
    authorId: author.id,
    occurredAt,
    threadId: place.threadId,
    locator: message.webUrl ?? `https://teams.microsoft.com/l/message/${encodeURIComponent(String(place.meta.conversationId))}/${encodeURIComponent(message.id)}`,
    access: accessList([...place.members.optedInMembers, author.id]),
    recipients,
    meta: { ...place.meta, messageId: message.id, ...(message.replyToId ? { replyToId: message.replyToId, isReply: true } : { isReply: false }), mentions: recipients },
    segments: [{ position: 0, text: body }],
  });
}

export interface ChannelRef {
  teamId: string;
  channelId: string;
}

/** The channel's name, kind and members: read once per page. */
export async function channelContext(graph: GraphReader, ctx: ConnectorContext, ref: ChannelRef): Promise<{ channel: GraphChannel; members: Membership }> {
  const base = `/teams/${encodeURIComponent(ref.teamId)}/channels/${encodeURIComponent(ref.channelId)}`;
  const channel = await graph.get<GraphChannel>(base, { query: { $select: 'id,displayName,membershipType' } });
  ctx.heartbeat();
  const members = await graph.all<GraphConversationMember>(`${base}/members`, undefined, () => ctx.heartbeat());
  return { channel, members: new Membership(ctx, members) };
}

/**
 * The units of a page of channel roots: one per thread (`<objectPrefix><rootId>`), replies fetched per root;
 * deleted roots become deletions.
 */
export async function channelThreadUnits(
  graph: GraphReader,
  ctx: ConnectorContext,
  stream: string,
  ref: ChannelRef,
  roots: GraphChatMessage[],
  objectPrefix = '',
): Promise<{ units: ParsedUnit[]; deleted: string[] }> {
  const units: ParsedUnit[] = [];
  const deleted: string[] = [];
  const replyRoots = roots.filter((r) => !r.replyToId);
  if (replyRoots.length === 0) return { units, deleted };
  const { channel, members } = await channelContext(graph, ctx, ref);
  for (const root of replyRoots) {
    const path = unitPath(stream, `${objectPrefix}${root.id}`);
    if (isRemoved(root)) {
      deleted.push(path);
      continue;
    }
    ctx.heartbeat();
    const replies = await graph.all<GraphChatMessage>(
      `/teams/${encodeURIComponent(ref.teamId)}/channels/${encodeURIComponent(ref.channelId)}/messages/${encodeURIComponent(root.id)}/replies`,
      undefined,
      () => ctx.heartbeat(),
    );
    const place: ConversationPlace = {
      threadId: `teams:${ref.channelId}:${root.id}`,
      members,
      meta: {
        conversationId: ref.channelId,
        teamId: ref.teamId,
        channelId: ref.channelId,
        channel: channel.displayName ?? ref.channelId,
        membershipType: channel.membershipType ?? 'standard',
      },
    };
    const thread = [root, ...replies.sort((a, b) => (a.createdDateTime ?? '').localeCompare(b.createdDateTime ?? ''))];
    const items = thread.filter(isContent).map((m) => messageItem(ctx, path, place, m)).filter((i): i is Item => i !== undefined);
    units.push(unitOf(ctx, path, { root, replies, members: members.optedInMembers, channel }, { items }));
  }
  return { units, deleted };
}

export interface GraphChat {
  id: string;
  topic?: string | null;
  chatType?: 'oneOnOne' | 'group' | 'meeting' | string;
  lastUpdatedDateTime?: string | null;
  webUrl?: string | null;
  members?: GraphConversationMember[];
}

/** One chat message as a unit `<chatId>/<messageId>`: chats have no threads, and their history only grows. */
export function chatMessageUnit(ctx: ConnectorContext, stream: string, chat: GraphChat, members: Membership, message: GraphChatMessage): ParsedUnit {
  const path = unitPath(stream, `${chat.id}/${message.id}`);
  const place: ConversationPlace = {
    threadId: `teams-chat:${chat.id}`,
    members,
    meta: { conversationId: chat.id, chatId: chat.id, chatType: chat.chatType ?? 'group', ...(chat.topic ? { topic: chat.topic } : {}) },
  };
  const item = isContent(message) ? messageItem(ctx, path, place, message) : undefined;
  return unitOf(ctx, path, { message, members: members.optedInMembers }, { items: item ? [item] : [] });
}
