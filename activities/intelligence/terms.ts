/**
 * Term statistics over a window of items: which words of a statement are rare (distinctive) there.
 * Used to tell a real follow-up ("the rollback runbook is linked") from a message that merely shares
 * the everyday words of a team ("release", "sync").
 */
import { eng, removeStopwords } from 'stopword';

/** Lower-cased word tokens; identifiers like offline_sync_v2 and versions like 4.2 stay whole. */
export function termsOf(text: string): string[] {
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_.'-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ?? [];
  return removeStopwords(tokens.map((t) => t.replace(/'s$/, '')), [...eng, ...CONVERSATIONAL]).filter((t) => t.length >= 3);
}

/** Words that carry no topic in meeting talk, on top of the standard English stop words. */
const CONVERSATIONAL = ['okay', 'yeah', 'yes', 'let', "let's", 'lets', 'will', 'going', 'think', 'just', 'also', 'can', 'need', 'want', 'get', 'one', 'two'];

export class DocumentFrequencies {
  private constructor(
    private readonly documentCount: number,
    private readonly counts: Map<string, number>,
  ) {}

  static of(documents: string[]): DocumentFrequencies {
    const counts = new Map<string, number>();
    for (const doc of documents) {
      for (const term of new Set(termsOf(doc))) counts.set(term, (counts.get(term) ?? 0) + 1);
    }
    return new DocumentFrequencies(documents.length, counts);
  }

  idf(term: string): number {
    return Math.log((1 + this.documentCount) / (1 + (this.counts.get(term) ?? 0)));
  }

  /** the n terms of text that are rarest in the window (ties broken alphabetically, for determinism) */
  rarestTerms(text: string, n: number): string[] {
    return [...new Set(termsOf(text))]
      .sort((a, b) => this.idf(b) - this.idf(a) || a.localeCompare(b))
      .slice(0, n);
  }

  sharedTerms(text: string, terms: string[]): number {
    const present = new Set(termsOf(text));
    return terms.filter((t) => present.has(t)).length;
  }
}
