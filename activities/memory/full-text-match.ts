/**
 * Which chunks a full-text search reads. OR-ing every word of a question makes Postgres rank every chunk that holds
 * any of them: in a large memory a common word ("release", "team") matches a large share of the chunks and the
 * search grows with the corpus (P3: 22 ms at 10k chunks, 208 ms at 100k). So, as search engines do with common terms:
 * - a word in at least `cap` chunks (a share of the memory, never fewer than `minDocCap`) is common;
 * - if the question has rarer words, a chunk must hold one of them; common words only add to its rank;
 * - if every word is common, a chunk must hold them all.
 * A memory smaller than `minDocCap` chunks has no common words: every word matches, as before.
 */
export interface FullTextMatchOptions {
  /** a word in at least this share of the chunks is common… */
  maxDocShare: number;
  /** …and in at least this many: a small memory's frequent words still tell chunks apart, and cost little */
  minDocCap: number;
}

export const DEFAULT_FULL_TEXT_MATCH: FullTextMatchOptions = { maxDocShare: 0.05, minDocCap: 2000 };

/** the document-frequency threshold above which a word is common, for a memory of `total` chunks */
export function commonWordCap(total: number, options: FullTextMatchOptions): number {
  return Math.max(options.minDocCap, Math.ceil(options.maxDocShare * total));
}

export interface FullTextPlan {
  /** the words a chunk must hold: any of them (`or`) or all of them (`and`) */
  match: { words: string[]; mode: 'or' | 'and' };
  /** the words a matching chunk is ranked by: all of the question's */
  rank: string[];
}

/**
 * The plan for `words` given each one's document frequency (`df`, counted up to `cap`); undefined when no chunk can
 * match (no word with a lexeme occurs anywhere).
 */
export function planFullTextMatch(words: readonly string[], df: ReadonlyMap<string, number>, cap: number): FullTextPlan | undefined {
  const unique = [...new Set(words)];
  const occurring = unique.filter((w) => (df.get(w) ?? 0) > 0);
  if (occurring.length === 0) return undefined;
  const rare = occurring.filter((w) => df.get(w)! < cap);
  return { match: rare.length > 0 ? { words: rare, mode: 'or' } : { words: occurring, mode: 'and' }, rank: occurring };
}

/** the plan when every word counts as rare (a memory smaller than the cap): any word matches */
export function matchAnyWord(words: readonly string[]): FullTextPlan {
  const unique = [...new Set(words)];
  return { match: { words: unique, mode: 'or' }, rank: unique };
}
