/**
 * The sparse BM25 vector of a text, computed client-side for Qdrant's sparse vector with
 * `modifier: idf`: Qdrant multiplies each query term by the collection's inverse document
 * frequency at query time, and we supply the rest of BM25.
 *
 * - Terms: lowercased runs of letters and digits, English stop words dropped, Porter-stemmed, so
 *   "deadlines" and "deadline" meet (as they do in Postgres' 'english' full-text search).
 * - Term ids: FNV-1a 32-bit hash of the term, an unsigned 32-bit index (Qdrant's sparse indices
 *   are u32). No vocabulary to store or share; two terms colliding merely share a weight.
 * - Document values: BM25's saturated term frequency tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)).
 * - Query values: 1 per distinct term, so the score is Σ idf(t) · tf-part(t, doc) — BM25.
 */
import { stemmer } from 'stemmer';
import { eng } from 'stopword';

export interface SparseVector {
  indices: number[];
  values: number[];
}

export interface Bm25Params {
  k1: number;
  b: number;
  /** expected document length in terms; chunks are a few sentences */
  avgLength: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75, avgLength: 64 };

const STOP_WORDS = new Set(eng);

export function bm25Terms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => !STOP_WORDS.has(w)).map((w) => stemmer(w));
}

/** FNV-1a over the UTF-8 bytes: a stable u32 per term. */
export function termIndex(term: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(term, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The document-side vector; empty when the text has no terms. */
export function documentSparseVector(text: string, params: Bm25Params = DEFAULT_BM25): SparseVector {
  const terms = bm25Terms(text);
  const counts = countByIndex(terms);
  const norm = params.k1 * (1 - params.b + (params.b * terms.length) / params.avgLength);
  return toVector(counts, (tf) => (tf * (params.k1 + 1)) / (tf + norm));
}

/** The query-side vector: each distinct term once, weight 1 (Qdrant applies idf). */
export function querySparseVector(text: string): SparseVector {
  return toVector(countByIndex(bm25Terms(text)), () => 1);
}

function countByIndex(terms: string[]): Map<number, number> {
  // Indices must be unique in a Qdrant sparse vector, so colliding terms are merged here.
  const counts = new Map<number, number>();
  for (const term of terms) {
    const index = termIndex(term);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  return counts;
}

function toVector(counts: Map<number, number>, weight: (tf: number) => number): SparseVector {
  const entries = [...counts.entries()].sort(([a], [b]) => a - b);
  return { indices: entries.map(([i]) => i), values: entries.map(([, tf]) => weight(tf)) };
}
