/**
 * The `gmail:<mailbox>` stream: one unit per thread (`gmail:<mailbox>/<threadId>`), one `email` Item per message,
 * made by the files connector's .eml parser (mailparser) from the message's headers and its text part, so a Gmail
 * message and the same message as a file come out alike: opted-in senders only (others held back), quoted text cut,
 * thread by References. On top: the mailbox owner may see every message of their mailbox, labels go to meta.
 *
 * First sync: users.threads.list pages, each thread read with users.threads.get format=full; the history id taken
 * (users.getProfile) before the listing starts is the cursor afterwards, so nothing that changes during the listing
 * is missed. Incremental: users.history.list from that id (messageAdded/messageDeleted/labelAdded/labelRemoved), each
 * touched thread re-read whole; a thread that is gone (404) or only in Trash/Spam now is deleted. 404 on the history
 * id (older than Gmail keeps, about a week) → a full listing, swept.
 *
 * Item ids are per mailbox (`gmail:<mailbox>:<Message-ID>`): the same message in two mailboxes is two items, each
 * going away with its own mailbox's copy.
 */
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';
import type { Item } from '../../../schemas/entities';
import { accessList, finishItem, HeldBackTally } from '../files/common';
import { optedIn } from '../files/directory';
import { parseEml } from '../files/eml';
import { QuarantineError } from '../files/types';
import type { StreamCursor, StreamPage } from '../port';
import { unitPath } from '../port';
import { mapLimit, must, request } from './apis';
import type { GoogleReadContext } from './context';
import { FETCH_CONCURRENCY, filesContextOf, googleUnit, logHeldBack, MAX_OBJECT_BYTES } from './context';

export interface GmailCursor {
  /** incremental: history after this id; during a full listing: the id taken before it began */
  historyId?: string;
  pageToken?: string;
  full?: boolean;
}

const THREAD_PAGE_SIZE = 100;
const HISTORY_PAGE_SIZE = 500;
const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];
/** a thread whose messages all carry one of these is not in the mailbox any more, as far as memory goes */
const GONE_LABELS = new Set(['TRASH', 'SPAM']);

export function gmailStream(mailbox: string): string {
  return `gmail:${mailbox}`;
}

export async function readGmailPage(rc: GoogleReadContext, mailbox: string, cursor: StreamCursor | null): Promise<StreamPage> {
  const state = (cursor ?? {}) as GmailCursor;
  if (state.full || !state.historyId) return fullPage(rc, mailbox, state.full ? state : {});
  return historyPage(rc, mailbox, state);
}

async function fullPage(rc: GoogleReadContext, mailbox: string, state: GmailCursor): Promise<StreamPage> {
  const stream = gmailStream(mailbox);
  const auth = () => rc.apis.as(mailbox);
  let historyId = state.historyId;
  if (!historyId) {
    const profile = await must(`gmail ${mailbox}`, async () => (await rc.apis.gmail.users.getProfile({ userId: mailbox }, await auth())).data);
    historyId = profile.historyId ?? undefined;
    if (!historyId) throw new Error(`gmail ${mailbox}: users.getProfile returned no historyId`);
  }
  const list = await must(`gmail ${mailbox}`, async () =>
    (await rc.apis.gmail.users.threads.list({ userId: mailbox, maxResults: THREAD_PAGE_SIZE, ...(state.pageToken ? { pageToken: state.pageToken } : {}) }, await auth())).data,
  );
  rc.ctx.heartbeat({ stream });
  const ids = (list.threads ?? []).map((t) => t.id).filter((id): id is string => Boolean(id));
  const { units, deleted } = await readThreads(rc, mailbox, ids);
  const more = Boolean(list.nextPageToken);
  return {
    units,
    deleted,
    cursor: more ? { full: true, historyId, pageToken: list.nextPageToken! } : { historyId },
    more,
    full: true,
  };
}

async function historyPage(rc: GoogleReadContext, mailbox: string, state: GmailCursor): Promise<StreamPage> {
  const stream = gmailStream(mailbox);
  const answer = await request(
    `gmail ${mailbox}`,
    async () =>
      (
        await rc.apis.gmail.users.history.list(
          { userId: mailbox, startHistoryId: state.historyId, historyTypes: HISTORY_TYPES, maxResults: HISTORY_PAGE_SIZE, ...(state.pageToken ? { pageToken: state.pageToken } : {}) },
          await rc.apis.as(mailbox),
        )
      ).data,
    [404],
  );
  if ('status' in answer) {
    rc.ctx.log.info({ sourceId: rc.ctx.sourceId, stream }, 'gmail history id too old (404): full resync');
    return fullPage(rc, mailbox, {});
  }
  rc.ctx.heartbeat({ stream });
  const data = answer.ok;
  const touched = new Set<string>();
  for (const record of data.history ?? []) {
    const messages = [
      ...(record.messages ?? []),
      ...(record.messagesAdded ?? []).map((m) => m.message),
      ...(record.messagesDeleted ?? []).map((m) => m.message),
      ...(record.labelsAdded ?? []).map((m) => m.message),
      ...(record.labelsRemoved ?? []).map((m) => m.message),
    ];
    for (const message of messages) if (message?.threadId) touched.add(message.threadId);
  }
  const { units, deleted } = await readThreads(rc, mailbox, [...touched]);
  const more = Boolean(data.nextPageToken);
  if (!more && !data.historyId) throw new Error(`gmail ${mailbox}: the last history page carries no historyId`);
  return {
    units,
    deleted,
    cursor: more ? { historyId: state.historyId, pageToken: data.nextPageToken! } : { historyId: data.historyId! },
    more,
    full: false,
  };
}

/** Reads threads whole (a few at a time); the ones that are gone come back as deleted paths. */
async function readThreads(rc: GoogleReadContext, mailbox: string, threadIds: string[]): Promise<Pick<StreamPage, 'units' | 'deleted'>> {
  const stream = gmailStream(mailbox);
  const labels = threadIds.length > 0 ? await labelNames(rc, mailbox) : new Map<string, string>();
  const threads = await mapLimit(threadIds, FETCH_CONCURRENCY, async (id) => {
    const got = await request(`gmail ${mailbox}`, async () => (await rc.apis.gmail.users.threads.get({ userId: mailbox, id, format: 'full' }, await rc.apis.as(mailbox))).data, [404]);
    rc.ctx.heartbeat({ stream, thread: id });
    return { id, thread: 'ok' in got ? got.ok : undefined };
  });
  const units: StreamPage['units'] = [];
  const deleted: string[] = [];
  for (const { id, thread } of threads) {
    const path = unitPath(stream, id);
    const messages = (thread?.messages ?? []).filter((m) => !(m.labelIds ?? []).some((l) => GONE_LABELS.has(l)));
    if (messages.length === 0) {
      deleted.push(path);
      continue;
    }
    const heldBack = new HeldBackTally();
    const items: Item[] = [];
    for (const message of messages) {
      const item = await messageItem(rc, mailbox, path, message, labels, heldBack);
      if (item) items.push(item);
    }
    logHeldBack(rc, path, heldBack.authors);
    units.push(googleUnit(rc, path, { items }));
  }
  return { units, deleted };
}

/** label id → name (user labels have opaque ids); system labels keep their ids (INBOX, SENT, IMPORTANT, …) */
async function labelNames(rc: GoogleReadContext, mailbox: string): Promise<Map<string, string>> {
  const data = await must(`gmail ${mailbox}`, async () => (await rc.apis.gmail.users.labels.list({ userId: mailbox }, await rc.apis.as(mailbox))).data);
  return new Map((data.labels ?? []).filter((l) => l.id && l.type === 'user' && l.name).map((l) => [l.id!, l.name!]));
}

function findPart(part: gmail_v1.Schema$MessagePart | undefined, mimeType: string): gmail_v1.Schema$MessagePart | undefined {
  if (!part) return undefined;
  if (part.mimeType?.toLowerCase() === mimeType && part.body?.data && !part.filename) return part;
  for (const child of part.parts ?? []) {
    const found = findPart(child, mimeType);
    if (found) return found;
  }
  return undefined;
}

const header = (part: gmail_v1.Schema$MessagePart | undefined, name: string): string | undefined =>
  part?.headers?.find((h) => h.name?.toLowerCase() === name)?.value ?? undefined;

/**
 * An RFC 5322 message of the message's own headers and its text part (plain, else HTML), with the part's own
 * Content-Type (its charset) and its bytes in base64: what the .eml parser reads.
 */
export function rfc822Of(message: gmail_v1.Schema$Message): Buffer {
  const payload = message.payload;
  const part = findPart(payload, 'text/plain') ?? findPart(payload, 'text/html') ?? (payload?.body?.data ? payload : undefined);
  const bytes = part?.body?.data ? Buffer.from(part.body.data, 'base64url').subarray(0, MAX_OBJECT_BYTES) : Buffer.alloc(0);
  const lines = (payload?.headers ?? [])
    .filter((h) => h.name && !/^(content-|mime-version$)/i.test(h.name))
    .map((h) => `${h.name}: ${(h.value ?? '').replace(/\r?\n(?![ \t])/g, '\r\n ')}`);
  if (!header(payload, 'date') && message.internalDate) lines.push(`Date: ${new Date(Number(message.internalDate)).toUTCString()}`);
  lines.push('MIME-Version: 1.0', `Content-Type: ${header(part, 'content-type') ?? part?.mimeType ?? 'text/plain; charset=utf-8'}`, 'Content-Transfer-Encoding: base64');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${bytes.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`, 'utf8');
}

async function messageItem(
  rc: GoogleReadContext,
  mailbox: string,
  path: string,
  message: gmail_v1.Schema$Message,
  labels: Map<string, string>,
  heldBack: HeldBackTally,
): Promise<Item | undefined> {
  let parsed;
  try {
    parsed = await parseEml(filesContextOf(rc), path, rfc822Of(message));
  } catch (error) {
    if (!(error instanceof QuarantineError)) throw error;
    rc.ctx.log.warn({ sourceId: rc.ctx.sourceId, path, message: message.id, reason: error.reason }, 'gmail message skipped');
    return undefined;
  }
  for (const author of parsed.heldBack ?? []) heldBack.add(author, author.items);
  const base = parsed.items?.[0];
  if (!base) return undefined;
  const owner = optedIn(rc.ctx.directory.byEmail(mailbox));
  const { id: _id, sourceId: _source, contentHash: _hash, ...draft } = base;
  const messageId = typeof base.meta.messageId === 'string' ? base.meta.messageId : `gmail-id:${message.id}`;
  return finishItem(rc.ctx, path, {
    ...draft,
    externalId: `gmail:${mailbox}:${messageId}`,
    locator: `https://mail.google.com/mail/?authuser=${encodeURIComponent(mailbox)}#all/${message.threadId ?? message.id}`,
    access: accessList([...base.access, ...(owner ? [owner.id] : [])]),
    meta: {
      ...base.meta,
      mailbox,
      gmailId: message.id,
      gmailThreadId: message.threadId,
      labels: (message.labelIds ?? []).map((id) => labels.get(id) ?? id),
    },
  });
}
