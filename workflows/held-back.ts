/**
 * What a sync held back and from whom (identity and counts, never content), summed over its batches.
 * Pure and import-free: the sync workflow sums batch results with it, the activities build them with it.
 */
export interface HeldBackAuthorCount {
  /** lower-cased email; absent when the data named the author only */
  id?: string;
  /** the display name as the data showed it */
  name?: string;
  items: number;
}

export interface HeldBackSummary {
  /** pieces of content held back: emails, messages, transcript turns */
  items: number;
  /** most held back first */
  authors: HeldBackAuthorCount[];
}

export const noneHeldBack = (): HeldBackSummary => ({ items: 0, authors: [] });

const keyOf = (a: HeldBackAuthorCount): string => (a.id ? `id:${a.id}` : `name:${(a.name ?? '').toLowerCase()}`);

/** The sum of summaries: one entry per author (by email, else by name). */
export function mergeHeldBack(...summaries: HeldBackSummary[]): HeldBackSummary {
  const byKey = new Map<string, HeldBackAuthorCount>();
  for (const summary of summaries) {
    for (const author of summary.authors) {
      const key = keyOf(author);
      const entry = byKey.get(key);
      if (entry) {
        entry.items += author.items;
        if (entry.name === undefined && author.name !== undefined) entry.name = author.name;
      } else byKey.set(key, { ...author });
    }
  }
  const authors = [...byKey.values()].sort((a, b) => b.items - a.items || keyOf(a).localeCompare(keyOf(b)));
  return { items: authors.reduce((n, a) => n + a.items, 0), authors };
}
