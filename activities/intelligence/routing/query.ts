/**
 * The full-text query that finds items similar to a subject: its title's words, the content words of the text's
 * opening (where a message says what it is about: "This patch adds …", the file it touches), then the text's most
 * repeated content words. A long body OR-ed whole would match nearly everything and cost a scan.
 */
import { contentTerms } from '../extraction/language';

export interface SimilarityQueryShape {
  /** at most this many words of the title */
  titleWords: number;
  /** content words from this many characters at the start of the text */
  leadChars: number;
  /** then this many of the text's most repeated content words */
  repeatedWords: number;
}

export const DEFAULT_QUERY_SHAPE: SimilarityQueryShape = { titleWords: 12, leadChars: 0, repeatedWords: 10 };

export function similarityQuery(title: string, text: string, shape: SimilarityQueryShape = DEFAULT_QUERY_SHAPE): string | undefined {
  const words = new Set(contentTerms(title).slice(0, shape.titleWords));
  if (shape.leadChars > 0) for (const w of contentTerms(text.slice(0, shape.leadChars))) words.add(w);
  let extra = 0;
  for (const w of repeatedTerms(text)) {
    if (extra >= shape.repeatedWords) break;
    if (words.has(w)) continue;
    words.add(w);
    extra += 1;
  }
  return words.size > 0 ? [...words].join(' ') : undefined;
}

/** content words (file paths and identifiers included) by how often the text repeats them, first seen first */
function repeatedTerms(text: string): string[] {
  const counts = new Map<string, { n: number; first: number }>();
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_./-]*[\p{L}\p{N}]/gu) ?? [];
  const content = new Set(contentTerms(text.slice(0, 20_000)));
  tokens.forEach((t, i) => {
    if (t.length < 3 || /^\d+$/.test(t)) return;
    if (!content.has(t) && !t.includes('/') && !t.includes('_')) return;
    const c = counts.get(t) ?? { n: 0, first: i };
    c.n += 1;
    counts.set(t, c);
  });
  return [...counts].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([w]) => w);
}
