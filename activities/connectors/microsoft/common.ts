/**
 * What the Microsoft streams share: Graph's value shapes they read, identity resolution through the directory (with
 * the opt-in), HTML bodies as text, and turning a provider object into a checked ParsedUnit the way the files
 * connector does (finishItem / finishMeeting / finishUnit), so both produce the same items, meetings and people.
 */
import type { ParsedUnit, Person } from '../../../schemas/entities';
import { finishUnit, type UnitContent } from '../files/common';
import { optedIn } from '../files/directory';
import type { HeldBackAuthor } from '../files/types';
import { stableHash } from '../files/ids';
import type { FilesContext } from '../files/types';
import type { ConnectorContext, UnitHeldBack } from '../port';

export interface GraphEmailAddress {
  emailAddress?: { name?: string | null; address?: string | null } | null;
}

export interface GraphIdentitySet {
  user?: { id?: string | null; displayName?: string | null; userIdentityType?: string | null } | null;
  application?: { id?: string | null; displayName?: string | null } | null;
}

export interface GraphItemBody {
  contentType?: 'text' | 'html' | string | null;
  content?: string | null;
}

/** The files connector's context, for the shared finishers and the VTT parser (no time shift, no size cap). */
export function filesContext(ctx: ConnectorContext): FilesContext {
  return { sourceId: ctx.sourceId, root: '', timeShiftMs: 0, maxFileBytes: Number.MAX_SAFE_INTEGER, directory: ctx.directory, now: ctx.now, horizonDays: 0 };
}

/** A provider object's unit: its hash covers the raw object and the directory (an opt-in change re-stores it). */
export function unitOf(ctx: ConnectorContext, path: string, raw: unknown, content: UnitContent): ParsedUnit {
  return finishUnit(path, {
    path,
    fileHash: stableHash({ raw, directory: ctx.directory.fingerprint }),
    people: content.people ?? [],
    items: content.items ?? [],
    meetings: content.meetings ?? [],
  });
}

export function addressOf(value: GraphEmailAddress | null | undefined): string | undefined {
  const address = value?.emailAddress?.address?.trim().toLowerCase();
  return address && address.includes('@') ? address : undefined;
}

/**
 * Who a page held back (people outside the opt-in: identity and counts, never content), per unit path. The
 * connector opens a collection per readPage (`collectHeldBack(ctx)`) and returns it with the page; the stream
 * readers note into it through the context they already carry.
 */
const heldBackByPage = new WeakMap<ConnectorContext, UnitHeldBack[]>();

export function collectHeldBack(ctx: ConnectorContext): UnitHeldBack[] {
  const collected: UnitHeldBack[] = [];
  heldBackByPage.set(ctx, collected);
  return collected;
}

export function noteHeldBack(ctx: ConnectorContext, path: string, authors: readonly HeldBackAuthor[]): void {
  const collected = heldBackByPage.get(ctx);
  const kept = authors.filter((a) => a.items > 0 && (a.id || a.name));
  if (!collected || kept.length === 0) return;
  const entry = collected.find((e) => e.path === path);
  if (entry) entry.authors.push(...kept);
  else collected.push({ path, authors: [...kept] });
}

/** The opted-in person behind an email address, if any. */
export function optedInByEmail(ctx: ConnectorContext, email: string | undefined): Person | undefined {
  return email ? optedIn(ctx.directory.byEmail(email)) : undefined;
}

/** Graph date-times: ISO with an offset, or a dateTimeTimeZone we asked for in UTC (Prefer: outlook.timezone="UTC"). */
export function graphDate(value: string | { dateTime?: string | null } | null | undefined): Date | undefined {
  const raw = typeof value === 'string' ? value : value?.dateTime;
  if (!raw) return undefined;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Teams and Outlook bodies are HTML: paragraphs and line breaks kept, tags dropped, entities decoded. */
export function bodyText(body: GraphItemBody | null | undefined): string {
  const content = body?.content ?? '';
  if ((body?.contentType ?? 'text').toLowerCase() !== 'html') return content.replace(/\r\n?/g, '\n').trim();
  return content
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6]|tr)>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
      if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
      return ENTITIES[entity.toLowerCase()] ?? all;
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The Prefer header values every Outlook read sends: UTC times and text bodies, so nothing depends on the mailbox. */
export const OUTLOOK_PREFER = ['outlook.timezone="UTC"', 'outlook.body-content-type="text"'];
