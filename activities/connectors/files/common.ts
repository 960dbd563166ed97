/** Helpers shared by the format modules: time shift, zod-checked output, issue formatting. */
import { z } from 'zod';
import { Item, Meeting, ParsedUnit, Person } from '../../../schemas/entities';
import { itemIdFor, stableHash } from './ids';
import type { FilesContext, HeldBackAuthor } from './types';
import { QuarantineError } from './types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export function shifted(ctx: Pick<FilesContext, 'timeShiftMs'>, d: Date): Date {
  return new Date(d.getTime() + ctx.timeShiftMs);
}

/** "people[3].email: invalid email address" */
export function formatIssue(issue: z.core.$ZodIssue, root = ''): string {
  let where = root;
  for (const key of issue.path) {
    where += typeof key === 'number' ? `[${key}]` : `${where ? '.' : ''}${String(key)}`;
  }
  return `${where || '(top level)'}: ${issue.message}`;
}

/** What a format module returns; index.ts adds path and fileHash and validates the whole unit. */
export interface UnitContent {
  people?: Person[];
  items?: Item[];
  meetings?: Meeting[];
  /** whose content was left out, and how much of it */
  heldBack?: HeldBackAuthor[];
}

/**
 * Counts held-back content per author. Keyed by email when known, else by normalized name, so one person
 * named two ways in a unit is still one entry once an email is seen for them.
 */
export class HeldBackTally {
  readonly #byKey = new Map<string, HeldBackAuthor>();

  add(author: { id?: string; name?: string }, items = 1): void {
    const id = author.id?.trim().toLowerCase() || undefined;
    const name = author.name?.trim() || undefined;
    if (!id && !name) return;
    const key = id ? `id:${id}` : `name:${name!.normalize('NFKC').replace(/\s+/g, ' ').toLowerCase()}`;
    const entry = this.#byKey.get(key);
    if (entry) {
      entry.items += items;
      entry.name ??= name;
    } else this.#byKey.set(key, { ...(id ? { id } : {}), ...(name ? { name } : {}), items });
  }

  get authors(): HeldBackAuthor[] {
    return [...this.#byKey.values()].sort((a, b) => b.items - a.items || (a.id ?? a.name ?? '').localeCompare(b.id ?? b.name ?? ''));
  }
}

export type ItemDraft = Omit<z.input<typeof Item>, 'id' | 'sourceId' | 'contentHash'>;

/** Validates an item and fills in its id and content hash (sha256 over everything stored but the hash). */
export function finishItem(ctx: Pick<FilesContext, 'sourceId'>, unitPath: string, draft: ItemDraft): Item {
  const candidate = { ...draft, id: itemIdFor(ctx.sourceId, draft.externalId), sourceId: ctx.sourceId, contentHash: 'pending' };
  const parsed = Item.safeParse(candidate);
  if (!parsed.success) {
    throw new QuarantineError(unitPath, `item ${draft.externalId}: ${parsed.error.issues.map((i) => formatIssue(i)).join('; ')}`);
  }
  const { contentHash: _pending, ...content } = parsed.data;
  return { ...parsed.data, contentHash: stableHash(content) };
}

export function finishMeeting(unitPath: string, draft: z.input<typeof Meeting>): Meeting {
  const parsed = Meeting.safeParse(draft);
  if (!parsed.success) {
    throw new QuarantineError(unitPath, `meeting ${draft.id}: ${parsed.error.issues.map((i) => formatIssue(i)).join('; ')}`);
  }
  return parsed.data;
}

/** The final all-or-nothing check of a unit. */
export function finishUnit(unitPath: string, unit: z.input<typeof ParsedUnit>): ParsedUnit {
  const parsed = ParsedUnit.safeParse(unit);
  if (!parsed.success) {
    throw new QuarantineError(unitPath, `output failed validation: ${parsed.error.issues.map((i) => formatIssue(i)).join('; ')}`);
  }
  return parsed.data;
}

/** Unique values in first-seen order. */
export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Body paragraphs as segments (blank-line separated). */
export function paragraphSegments(body: string): { position: number; text: string }[] {
  return body
    .split(/\n[ \t]*\n+/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((text, position) => ({ position, text }));
}

/** Person ids as an access list: unique and sorted. */
export function accessList(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}
