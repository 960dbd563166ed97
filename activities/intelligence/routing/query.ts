/**
 * The words that find items similar to a subject: its title's and its opening's content words, weighted by how
 * often the subject uses them. How distinctive each word is, the search decides (memory/term-search.ts).
 */
import type { WeightedTerm } from '../../memory/term-search';
import { contentTerms } from '../extraction/language';

export interface WeightedQueryShape {
  /** a title word counts this many times a body word */
  titleWeight: number;
  /** how much of the text is read (where a message says what it is about) */
  textChars: number;
  /** at most this many words are offered to the search, the most frequent first */
  maxWords: number;
}

export const DEFAULT_WEIGHTED_QUERY: WeightedQueryShape = { titleWeight: 2, textChars: 3000, maxWords: 60 };

/**
 * The subject as weighted words for an IDF-weighted search: each content word of the title and the text's opening
 * weighs 1 + ln(how often it occurs), title occurrences counting `titleWeight` times; the search itself decides how
 * distinctive each word is.
 */
export function weightedQueryTerms(title: string, text: string, shape: WeightedQueryShape = DEFAULT_WEIGHTED_QUERY): WeightedTerm[] {
  const counts = new Map<string, number>();
  const count = (words: readonly string[], by: number) => {
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + by);
  };
  count(tokensOf(title), shape.titleWeight);
  count(tokensOf(text.slice(0, shape.textChars)), 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, shape.maxWords)
    .map(([word, n]) => ({ word, weight: 1 + Math.log(n) }));
}

/** content words with repeats (contentTerms keeps each once): split into the words of their own */
function tokensOf(text: string): string[] {
  const out: string[] = [];
  for (const token of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_]*/gu) ?? []) {
    if (token.length < 2 || /^\d+$/.test(token)) continue;
    const [term] = contentTerms(token);
    if (term) out.push(term);
  }
  return out;
}
