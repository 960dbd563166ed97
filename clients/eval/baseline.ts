/**
 * The reference baseline of shared/eval/README.md: BM25 over single transcript turns, with
 * lower-cased alphanumeric tokens, a small stop-word list, k1 = 1.2, b = 0.75. Deliberately
 * nothing more (no stemming, no context): it is the bar `ask` is measured against.
 */
import { Bm25Index } from '../../activities/intelligence/ask/bm25';

/** A small English stop-word list (function words only). */
export const BASELINE_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'did', 'do', 'does', 'for', 'from', 'had', 'has',
  'have', 'he', 'her', 'his', 'how', 'i', 'if', 'in', 'into', 'is', 'it', 'its', 'of', 'on', 'or', 'our',
  'she', 'so', 'that', 'the', 'their', 'them', 'there', 'they', 'this', 'to', 'was', 'we', 'were', 'what',
  'when', 'where', 'which', 'who', 'why', 'will', 'with', 'you', 'your',
]);

export function baselineTokens(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((t) => !BASELINE_STOP_WORDS.has(t));
}

export class Bm25TurnBaseline {
  readonly #index: Bm25Index;

  constructor(turns: readonly string[]) {
    this.#index = new Bm25Index(turns.map(baselineTokens), { k1: 1.2, b: 0.75 });
  }

  scores(query: string): number[] {
    return this.#index.scores(baselineTokens(query));
  }

  /** The top k turn indices: by score, ties to the earlier turn; turns scoring 0 are not cited. */
  rank(query: string, k: number): number[] {
    return this.scores(query)
      .map((score, turn) => ({ score, turn }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score || a.turn - b.turn)
      .slice(0, k)
      .map((x) => x.turn);
  }
}
