/**
 * The full-text query that finds items similar to a subject: its title's words, then its text's most repeated
 * content words (file paths and identifiers included). A long body OR-ed whole would match nearly everything and
 * cost a scan; its few most repeated words say what it is about.
 */
import { contentTerms } from '../extraction/language';

const TITLE_WORDS = 12;
const BODY_WORDS = 10;

export function similarityQuery(title: string, text: string): string | undefined {
  const titleWords = contentTerms(title).slice(0, TITLE_WORDS);
  const counts = new Map<string, { n: number; first: number }>();
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_./-]*[\p{L}\p{N}]/gu) ?? [];
  const content = new Set(contentTerms(text.slice(0, 20_000)));
  tokens.forEach((t, i) => {
    if (t.length < 3 || /^\d+$/.test(t)) return;
    const key = content.has(t) || t.includes('/') || t.includes('_') ? t : undefined;
    if (!key) return;
    const c = counts.get(key) ?? { n: 0, first: i };
    c.n += 1;
    counts.set(key, c);
  });
  const bodyWords = [...counts].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([w]) => w).filter((w) => !titleWords.includes(w)).slice(0, BODY_WORDS);
  const words = [...titleWords, ...bodyWords];
  return words.length > 0 ? words.join(' ') : undefined;
}
