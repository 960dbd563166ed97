/**
 * A Slack thread as one unit: the top-level message and its replies, each an `Item` exactly as the export reader
 * (files/slack.ts) makes them — same external ids, thread ids, locators, mention rendering and opt-in rules — so a
 * workspace read through the API and one read from its export store the same memory.
 */
import type { ConversationsHistoryResponse } from '@slack/web-api';
import type { Item, ParsedUnit } from '../../../schemas/entities';
import { accessList, finishItem, finishUnit, HeldBackTally, unique } from '../files/common';
import { optedIn } from '../files/directory';
import { stableHash } from '../files/ids';
import { renderSlackText, SKIPPED_SUBTYPES, slackTsToDate } from '../files/slack';
import type { HeldBackAuthor } from '../files/types';
import { unitPath } from '../port';
import type { SlackPeople } from './people';

export type SlackMessage = NonNullable<ConversationsHistoryResponse['messages']>[number];
export type ConversationKind = 'public' | 'private' | 'im' | 'mpim';

/** A conversation as the channel reader carries it between pages (kept small: it lives in the cursor). */
export interface ConversationRef {
  id: string;
  name: string;
  kind: ConversationKind;
}

export const CHANNELS_STREAM = 'channels';

/** `channels/<channelId>/<thread ts>` */
export function threadPath(channelId: string, ts: string): string {
  return unitPath(CHANNELS_STREAM, `${channelId}/${ts}`);
}

/** Subtypes that are not someone's words, or that live elsewhere (a broadcast reply is stored in its thread). */
const NOT_CONTENT = new Set([...SKIPPED_SUBTYPES, 'tombstone', 'thread_broadcast_hidden', 'bot_message', 'channel_topic', 'channel_purpose', 'channel_name']);

/** true for a message that starts a unit in conversations.history (not a join notice, not a broadcast reply) */
export function isThreadStart(message: SlackMessage): boolean {
  if (!message.ts) return false;
  if (message.subtype === 'thread_broadcast') return false;
  if (message.thread_ts && message.thread_ts !== message.ts) return false;
  return message.subtype !== undefined ? !SKIPPED_SUBTYPES.has(message.subtype) : true;
}

export interface ThreadUnit {
  unit: ParsedUnit;
  heldBack: HeldBackAuthor[];
}

/**
 * The unit of one thread. `access` is the conversation's opted-in members; each item adds its author, like the
 * export reader. In a DM or group DM, the other members are also the message's recipients.
 */
export function threadUnit(input: {
  sourceId: string;
  conversation: ConversationRef;
  /** the thread's messages: the parent first (conversations.replies order), or the lone message */
  messages: readonly SlackMessage[];
  /** opted-in person ids of the conversation's members */
  access: readonly string[];
  people: SlackPeople;
  channelNames: ReadonlyMap<string, string>;
  /** part of the unit's hash: who is who changes how the same messages are stored */
  directoryFingerprint: string;
}): ThreadUnit {
  const { conversation, people } = input;
  const parentTs = input.messages[0]?.thread_ts ?? input.messages[0]?.ts ?? '';
  const path = threadPath(conversation.id, parentTs);
  const heldBack = new HeldBackTally();
  const items: Item[] = [];
  const direct = conversation.kind === 'im' || conversation.kind === 'mpim';
  const seen = new Set<string>();

  for (const message of input.messages) {
    if (!message.ts || seen.has(message.ts)) continue;
    seen.add(message.ts);
    if (message.type !== undefined && message.type !== 'message') continue;
    if (message.subtype && NOT_CONTENT.has(message.subtype)) continue;
    if (!message.user) continue; // a bot or an integration: nobody to opt in
    const known = people.personOf(message.user);
    const author = optedIn(known);
    if (!author) {
      // outside the opt-in: never ingested, only who wrote it is reported
      heldBack.add({ id: known?.id ?? people.emailOf(message.user), name: people.displayName(message.user) ?? known?.name ?? message.user });
      continue;
    }
    const { body, mentions } = renderSlackText(message.text ?? '', { personOf: people.personOf, channelNames: input.channelNames });
    if (!body) continue;
    const threadTs = message.thread_ts ?? message.ts;
    const recipients = unique([...mentions, ...(direct ? input.access.filter((id) => id !== author.id) : [])]);
    items.push(
      finishItem({ sourceId: input.sourceId }, path, {
        externalId: `${conversation.id}/${message.ts}`,
        kind: 'message',
        body,
        authorId: author.id,
        occurredAt: slackTsToDate(message.ts),
        threadId: `slack:${conversation.id}:${threadTs}`,
        locator: `slack://channel?id=${encodeURIComponent(conversation.id)}&message=${encodeURIComponent(message.ts)}`,
        access: accessList([...input.access, author.id]),
        recipients,
        meta: {
          channel: conversation.name,
          channelId: conversation.id,
          conversation: conversation.kind,
          ts: message.ts,
          ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
          isReply: message.thread_ts !== undefined && message.thread_ts !== message.ts,
          ...(message.reply_count !== undefined ? { replyCount: message.reply_count } : {}),
          ...(message.edited?.ts ? { editedTs: message.edited.ts } : {}),
          mentions,
        },
        segments: [{ position: 0, text: body }],
      }),
    );
  }
  const fileHash = stableHash({
    messages: input.messages.map((m) => ({ ts: m.ts, user: m.user, text: m.text, subtype: m.subtype, thread_ts: m.thread_ts, edited: m.edited?.ts })),
    access: input.access,
    conversation,
    directory: input.directoryFingerprint,
  });
  return { unit: finishUnit(path, { path, fileHash, items }), heldBack: heldBack.authors };
}
