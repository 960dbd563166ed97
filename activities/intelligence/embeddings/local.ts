/**
 * An embedder that needs no model and no network: character n-grams hashed into a fixed
 * number of dimensions (the "hashing trick"), L2-normalized.
 *
 * It is honestly LEXICAL, not semantic: texts are close when they share word fragments
 * ("budget" ~ "budgets" ~ "budgeting"), and "car" is no closer to "automobile" than to "tulip".
 * That is enough to exercise the vector path end to end and to rank spelling variants, and it
 * is deterministic, so tests and offline demos give the same answers on every machine.
 */
import type { Embedder } from '../../memory/ports';

const MIN_GRAM = 3;
const MAX_GRAM = 5;
const WORD = /[\p{L}\p{N}]+/gu;

export class LocalHashingEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;

  constructor(opts: { dimensions?: number } = {}) {
    this.dimensions = opts.dimensions ?? 256;
    if (!Number.isInteger(this.dimensions) || this.dimensions <= 0) throw new Error('dimensions must be a positive integer');
    this.model = `local-hashing-ngram${MIN_GRAM}-${MAX_GRAM}-d${this.dimensions}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }

  /** The zero vector for a text without words (callers must not rank by it). */
  embedOne(text: string): number[] {
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const word of text.toLowerCase().match(WORD) ?? []) {
      // Boundary markers make prefixes and suffixes features of their own ("<bu", "et>").
      const marked = `<${word}>`;
      for (let n = MIN_GRAM; n <= MAX_GRAM; n++) {
        for (let i = 0; i + n <= marked.length; i++) {
          const hash = fnv1a(marked.slice(i, i + n));
          // A hash-derived sign makes colliding features cancel on average instead of piling up.
          const sign = hash & 0x80000000 ? -1 : 1;
          const slot = hash % this.dimensions;
          vector[slot] = (vector[slot] ?? 0) + sign;
        }
      }
    }
    return normalized(vector);
  }
}

/** 32-bit FNV-1a over UTF-16 code units: tiny, fast, and well spread for short strings. */
function fnv1a(s: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    hash ^= s.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function normalized(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}
