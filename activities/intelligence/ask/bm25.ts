/**
 * Okapi BM25 over a small in-memory collection (the turns of the transcripts a question is
 * scoped to). IDF is the non-negative Lucene form ln(1 + (N - n + 0.5) / (n + 0.5)).
 */

export interface Bm25Params {
  k1: number;
  b: number;
}

export const BM25_DEFAULTS: Bm25Params = { k1: 1.2, b: 0.75 };

export class Bm25Index {
  readonly #tf: Map<string, number>[];
  readonly #length: number[];
  readonly #df = new Map<string, number>();
  readonly #avgLength: number;
  readonly #params: Bm25Params;

  /** @param documents each document as its list of terms (already tokenized, stemmed, filtered) */
  constructor(documents: readonly (readonly string[])[], params: Bm25Params = BM25_DEFAULTS) {
    this.#params = params;
    this.#tf = documents.map((terms) => {
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const t of tf.keys()) this.#df.set(t, (this.#df.get(t) ?? 0) + 1);
      return tf;
    });
    this.#length = documents.map((d) => d.length);
    const total = this.#length.reduce((a, b) => a + b, 0);
    this.#avgLength = documents.length === 0 ? 0 : total / documents.length;
  }

  get size(): number {
    return this.#tf.length;
  }

  documentFrequency(term: string): number {
    return this.#df.get(term) ?? 0;
  }

  idf(term: string): number {
    const n = this.documentFrequency(term);
    return Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
  }

  /** Term frequency of `term` in document `doc`. */
  tf(doc: number, term: string): number {
    return this.#tf[doc]?.get(term) ?? 0;
  }

  /** BM25 of one document for the query terms (a term repeated in the query counts once per repetition). */
  score(doc: number, query: readonly string[], weights?: ReadonlyMap<string, number>): number {
    const tf = this.#tf[doc];
    if (!tf) return 0;
    const { k1, b } = this.#params;
    const len = this.#length[doc] ?? 0;
    const norm = this.#avgLength === 0 ? 1 : 1 - b + (b * len) / this.#avgLength;
    let s = 0;
    for (const term of query) {
      const f = tf.get(term);
      if (!f) continue;
      s += (weights?.get(term) ?? 1) * this.idf(term) * ((f * (k1 + 1)) / (f + k1 * norm));
    }
    return s;
  }

  /** Scores of every document, in document order. */
  scores(query: readonly string[], weights?: ReadonlyMap<string, number>): number[] {
    return this.#tf.map((_, i) => this.score(i, query, weights));
  }
}
