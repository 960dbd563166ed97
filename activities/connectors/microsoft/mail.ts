/**
 * `mail:<user>`: the mailbox's inbox and sent items through /users/{id}/mailFolders/{folder}/messages/delta. One
 * unit per MESSAGE (a conversation's messages change one at a time, and a delta reports messages, not threads),
 * threaded by Graph's conversationId. As with .eml files, a message is stored only when its sender is opted in;
 * its access list is the mailbox owner and the sender and To/Cc recipients who are opted in.
 */
import type { ParsedUnit } from '../../../schemas/entities';
import { stripQuoted } from '../files/eml';
import { accessList, finishItem, paragraphSegments, unique } from '../files/common';
import type { ConnectorContext } from '../port';
import { unitPath } from '../port';
import { addressOf, bodyText, graphDate, noteHeldBack, optedInByEmail, unitOf, type GraphEmailAddress, type GraphItemBody } from './common';

export const MAIL_FOLDERS = ['inbox', 'sentitems'] as const;

export interface GraphMessage {
  id: string;
  '@removed'?: { reason?: string };
  subject?: string | null;
  body?: GraphItemBody | null;
  from?: GraphEmailAddress | null;
  sender?: GraphEmailAddress | null;
  toRecipients?: GraphEmailAddress[] | null;
  ccRecipients?: GraphEmailAddress[] | null;
  receivedDateTime?: string | null;
  sentDateTime?: string | null;
  conversationId?: string | null;
  internetMessageId?: string | null;
  isDraft?: boolean;
  webLink?: string | null;
}

/** The fields we read, so a delta page stays small. */
export const MESSAGE_SELECT = 'subject,body,from,sender,toRecipients,ccRecipients,receivedDateTime,sentDateTime,conversationId,internetMessageId,isDraft,webLink';

export function messageUnit(ctx: ConnectorContext, stream: string, user: string, message: GraphMessage): ParsedUnit {
  const path = unitPath(stream, message.id);
  const fromAddress = addressOf(message.from) ?? addressOf(message.sender);
  const author = optedInByEmail(ctx, fromAddress);
  const occurredAt = graphDate(message.sentDateTime ?? message.receivedDateTime ?? undefined);
  if (message.isDraft || !author || !occurredAt) {
    // outside the opt-in (or not a sent message): nothing stored, and anything stored before is replaced by nothing
    if (!author && fromAddress && !message.isDraft) {
      const name = message.from?.emailAddress?.name ?? message.sender?.emailAddress?.name ?? undefined;
      noteHeldBack(ctx, path, [{ id: fromAddress, ...(name ? { name } : {}), items: 1 }]);
      ctx.log.debug({ unit: path }, 'mail from someone outside the opt-in held back');
    }
    return unitOf(ctx, path, message, {});
  }
  const addressed = unique([...(message.toRecipients ?? []), ...(message.ccRecipients ?? [])].map(addressOf).filter((a): a is string => a !== undefined));
  const recipients = unique(addressed.map((a) => optedInByEmail(ctx, a)?.id).filter((id): id is string => id !== undefined));
  const owner = optedInByEmail(ctx, user.includes('@') ? user : undefined);
  const subject = message.subject?.trim() ?? '';
  const body = stripQuoted(bodyText(message.body));
  const item = finishItem(ctx, path, {
    // scoped to the mailbox: the same message in two configured mailboxes is two units, each replaced on its own
    externalId: `${user.toLowerCase()}/${message.internetMessageId?.trim() || message.id}`,
    kind: 'email',
    title: subject || undefined,
    body,
    authorId: author.id,
    occurredAt,
    threadId: message.conversationId ? `graph-conversation:${message.conversationId}` : undefined,
    locator: message.webLink ?? `https://outlook.office.com/mail/deeplink/read/${encodeURIComponent(message.id)}`,
    access: accessList([author.id, ...recipients, ...(owner ? [owner.id] : [])]),
    recipients,
    meta: {
      messageId: message.internetMessageId ?? null,
      conversationId: message.conversationId ?? null,
      mailbox: user.toLowerCase(),
      subject,
      outsideOptInCount: addressed.length - recipients.length,
    },
    segments: paragraphSegments(body),
  });
  return unitOf(ctx, path, message, { items: [item] });
}
