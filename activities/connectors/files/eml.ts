/**
 * Email messages (.eml, RFC 5322), parsed by mailparser. One `email` Item per file, only when
 * the sender is opted in; otherwise the sender is reported as held back (identity only).
 */
import type { AddressObject, EmailAddress } from 'mailparser';
import { simpleParser } from 'mailparser';
import type { UnitContent } from './common';
import { accessList, finishItem, paragraphSegments, shifted, unique } from './common';
import { optedIn } from './directory';
import type { FilesContext } from './types';
import { QuarantineError } from './types';

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const flatten = (list: EmailAddress[]): string[] =>
    list.flatMap((a) => [...(a.address ? [a.address.trim().toLowerCase()] : []), ...flatten(a.group ?? [])]);
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((f) => flatten(f.value));
}

/**
 * The new text of a reply: quoted lines ("> ...") dropped, then a trailing attribution
 * ("On <date>, <name> wrote:", possibly wrapped over two lines) or an Outlook
 * "-----Original Message-----" tail cut. Left as is when that would leave nothing.
 */
export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const outlook = lines.findIndex((l) => /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i.test(l));
  let kept = (outlook === -1 ? lines : lines.slice(0, outlook)).filter((l) => !/^\s*>/.test(l));
  while (kept.length > 0 && (kept[kept.length - 1] ?? '').trim() === '') kept.pop();
  const last = kept[kept.length - 1] ?? '';
  const beforeLast = kept[kept.length - 2] ?? '';
  if (/^\s*On\b.*\bwrote:\s*$/.test(last)) kept = kept.slice(0, -1);
  else if (/\bwrote:\s*$/.test(last) && /^\s*On\b/.test(beforeLast)) kept = kept.slice(0, -2);
  const result = kept.join('\n').trim();
  return result || text.trim();
}

function firstMessageId(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value?.trim().split(/\s+/)[0];
  return first?.trim() || undefined;
}

export async function parseEml(ctx: FilesContext, relPath: string, raw: Buffer): Promise<UnitContent> {
  let mail;
  try {
    mail = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true });
  } catch (err) {
    throw new QuarantineError(relPath, `invalid email (${err instanceof Error ? err.message : String(err)})`);
  }
  const from = addresses(mail.from);
  if (mail.headers.size === 0 || !mail.headers.has('from')) throw new QuarantineError(relPath, 'not an email (no From header)');
  const fromAddress = from[0];
  if (!fromAddress) throw new QuarantineError(relPath, 'From header has no email address');
  // mailparser substitutes the current time for an unreadable Date header: check the raw line
  const dateLine = mail.headerLines.find((h) => h.key === 'date')?.line.replace(/^date:\s*/i, '').replace(/\r?\n[ \t]+/g, ' ');
  if (!dateLine) throw new QuarantineError(relPath, 'missing Date header');
  if (Number.isNaN(new Date(dateLine).getTime()) || !mail.date || Number.isNaN(mail.date.getTime())) throw new QuarantineError(relPath, `invalid Date header "${dateLine}"`);

  const known = ctx.directory.byEmail(fromAddress);
  const author = optedIn(known);
  if (!author) {
    // sender outside the opt-in: nothing from this message is stored, only who it was from
    const shown = mail.from?.value.find((a) => a.address?.trim().toLowerCase() === fromAddress)?.name?.trim();
    return { heldBack: [{ id: known?.id ?? fromAddress, ...(shown || known ? { name: shown || known?.name } : {}), items: 1 }] };
  }

  const toCc = unique([...addresses(mail.to), ...addresses(mail.cc)]);
  const recipients = unique(toCc.map((a) => optedIn(ctx.directory.byEmail(a))?.id).filter((id): id is string => id !== undefined));
  const outsideOptInCount = toCc.filter((a) => !optedIn(ctx.directory.byEmail(a))).length;

  const messageId = mail.messageId?.trim() || undefined;
  const inReplyTo = firstMessageId(mail.inReplyTo);
  const references = Array.isArray(mail.references) ? mail.references : mail.references ? mail.references.trim().split(/\s+/) : [];
  const externalId = messageId ?? `file:${relPath}`;
  const threadId = firstMessageId(references) ?? inReplyTo ?? externalId;
  const subject = mail.subject?.trim() ?? '';
  const body = stripQuoted(mail.text ?? '');

  const item = finishItem(ctx, relPath, {
    externalId,
    kind: 'email',
    title: subject || undefined,
    body,
    authorId: author.id,
    occurredAt: shifted(ctx, mail.date),
    threadId,
    locator: relPath,
    access: accessList([author.id, ...recipients]),
    recipients,
    meta: {
      messageId: messageId ?? null,
      inReplyTo: inReplyTo ?? null,
      references,
      subject,
      outsideOptInCount,
    },
    segments: paragraphSegments(body),
  });
  return { items: [item] };
}
