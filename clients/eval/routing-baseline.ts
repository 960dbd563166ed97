/**
 * The README's recipient-prediction baselines, computed in the same run as ours: per sender, recipient frequency,
 * recency-weighted frequency (30-day half-life), a TF-IDF centroid per past recipient (the centroid of the TF-IDF
 * vectors of the messages the sender sent them; cosine to the test message), and the ½ + ½ fusions (each score
 * divided by its maximum for that query). Deliberately independent of Mycelium's own routing code.
 */
import type { HistoryMessage, TestQuery } from './routing-data';
import { recipientsOf } from './routing-data';

const DAY_MS = 86_400_000;
const HALF_LIFE_DAYS = 30;

type Scores = Map<string, number>;
type SparseVector = Map<string, number>;

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9_]{2,}/g) ?? [];
}

export interface BaselineRankings {
  frequency: string[];
  recency: string[];
  tfidf: string[];
  frequency_tfidf: string[];
  recency_tfidf: string[];
}

export class RecipientBaselines {
  readonly #bySender = new Map<string, number[]>();
  readonly #df = new Map<string, number>();
  readonly #vectors: SparseVector[] = [];

  constructor(private readonly history: readonly HistoryMessage[]) {
    const tfs = history.map((m) => {
      const tf = new Map<string, number>();
      for (const w of words(`${m.subject} ${m.body}`)) tf.set(w, (tf.get(w) ?? 0) + 1);
      for (const w of tf.keys()) this.#df.set(w, (this.#df.get(w) ?? 0) + 1);
      return tf;
    });
    history.forEach((m, i) => {
      const list = this.#bySender.get(m.sender) ?? [];
      list.push(i);
      this.#bySender.set(m.sender, list);
      this.#vectors.push(this.#weigh(tfs[i]!));
    });
  }

  #weigh(tf: Map<string, number>): SparseVector {
    const n = this.history.length;
    const v: SparseVector = new Map();
    let norm = 0;
    for (const [w, c] of tf) {
      const df = this.#df.get(w);
      if (!df) continue;
      const x = (1 + Math.log(c)) * Math.log(n / df);
      v.set(w, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [w, x] of v) v.set(w, x / norm);
    return v;
  }

  rank(query: TestQuery, k = 10): BaselineRankings {
    const at = query.date.getTime();
    const frequency: Scores = new Map();
    const recency: Scores = new Map();
    const centroids = new Map<string, SparseVector>();
    for (const i of this.#bySender.get(query.sender) ?? []) {
      const m = this.history[i]!;
      if (m.date.getTime() >= at) continue;
      const decay = Math.pow(2, -(at - m.date.getTime()) / (HALF_LIFE_DAYS * DAY_MS));
      for (const r of recipientsOf(m)) {
        frequency.set(r, (frequency.get(r) ?? 0) + 1);
        recency.set(r, (recency.get(r) ?? 0) + decay);
        const c = centroids.get(r) ?? new Map<string, number>();
        for (const [w, x] of this.#vectors[i]!) c.set(w, (c.get(w) ?? 0) + x);
        centroids.set(r, c);
      }
    }
    const tf = new Map<string, number>();
    for (const w of words(`${query.subject} ${query.body}`)) tf.set(w, (tf.get(w) ?? 0) + 1);
    const q = this.#weigh(tf);
    const tfidf: Scores = new Map();
    for (const [r, c] of centroids) {
      let dot = 0;
      let norm = 0;
      for (const [w, x] of c) {
        norm += x * x;
        dot += x * (q.get(w) ?? 0);
      }
      tfidf.set(r, norm > 0 ? dot / Math.sqrt(norm) : 0);
    }
    return {
      frequency: top(frequency, k),
      recency: top(recency, k),
      tfidf: top(tfidf, k),
      frequency_tfidf: top(fuse(frequency, tfidf), k),
      recency_tfidf: top(fuse(recency, tfidf), k),
    };
  }
}

function byMax(s: Scores): Scores {
  const max = Math.max(0, ...s.values());
  return new Map([...s].map(([k, v]) => [k, max > 0 ? v / max : 0]));
}

function fuse(a: Scores, b: Scores): Scores {
  const out: Scores = new Map();
  for (const [k, v] of byMax(a)) out.set(k, (out.get(k) ?? 0) + 0.5 * v);
  for (const [k, v] of byMax(b)) out.set(k, (out.get(k) ?? 0) + 0.5 * v);
  return out;
}

function top(s: Scores, k: number): string[] {
  return [...s].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([id]) => id);
}
