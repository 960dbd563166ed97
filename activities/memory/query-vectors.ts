/**
 * Query vectors remembered per process. A meeting's brief searches its topic once on behalf of all attendees and
 * once more per attendee (each attendee's own brief): the same text, embedded by the same model, every time. A
 * model's vector for a text never changes, so a remembered one is never stale; only the embedding is saved, never a
 * search result. Bounded: the oldest entries are dropped first.
 */
import type { Embedder } from './ports';

export class QueryVectors {
  readonly #vectors = new Map<string, Promise<number[] | undefined>>();

  constructor(private readonly maxEntries = 256) {}

  /** the embedder's query vector for `text` (concurrent asks for the same text share one embedding) */
  of(embedder: Embedder, text: string): Promise<number[] | undefined> {
    const key = `${embedder.model}\n${text}`;
    const known = this.#vectors.get(key);
    if (known) return known;
    const vector = (embedder.embedQueries ? embedder.embedQueries([text]) : embedder.embed([text])).then((vectors) => vectors[0]);
    this.#vectors.set(key, vector);
    // a failed embedding is not remembered: the next search tries again
    vector.catch(() => this.#vectors.delete(key));
    if (this.#vectors.size > this.maxEntries) this.#vectors.delete(this.#vectors.keys().next().value!);
    return vector;
  }
}
