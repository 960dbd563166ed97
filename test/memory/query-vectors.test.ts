/**
 * Query vectors remembered per process (activities/memory/query-vectors.ts): a text is embedded once per model, a
 * failed embedding is tried again, and the memory stays bounded.
 */
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../activities/memory/ports';
import { QueryVectors } from '../../activities/memory/query-vectors';

function countingEmbedder(model: string, fail = false): Embedder & { calls: string[] } {
  const calls: string[] = [];
  return {
    model,
    dimensions: 2,
    calls,
    async embed(texts) {
      calls.push(...texts);
      if (fail) throw new Error('encoder down');
      return texts.map((t) => [t.length, model.length]);
    },
  };
}

describe('QueryVectors', () => {
  it('embeds a text once per model, however often (and however concurrently) it is asked for', async () => {
    const vectors = new QueryVectors();
    const a = countingEmbedder('a');
    const b = countingEmbedder('bb');
    const [first, second] = await Promise.all([vectors.of(a, 'release plan'), vectors.of(a, 'release plan')]);
    expect(first).toEqual([12, 1]);
    expect(second).toBe(first);
    expect(await vectors.of(a, 'release plan')).toBe(first);
    expect(await vectors.of(b, 'release plan')).toEqual([12, 2]);
    expect(a.calls).toEqual(['release plan']);
    expect(b.calls).toEqual(['release plan']);
  });

  it('uses the model’s query embedding when it has one', async () => {
    const embedder: Embedder = { model: 'q', dimensions: 1, embed: async () => [[0]], embedQueries: async () => [[1]] };
    expect(await new QueryVectors().of(embedder, 'x')).toEqual([1]);
  });

  it('does not remember a failed embedding', async () => {
    const vectors = new QueryVectors();
    const down = countingEmbedder('m', true);
    await expect(vectors.of(down, 'x')).rejects.toThrow(/encoder down/);
    await expect(vectors.of(down, 'x')).rejects.toThrow(/encoder down/);
    expect(down.calls).toEqual(['x', 'x']);
  });

  it('forgets the oldest texts past its bound', async () => {
    const vectors = new QueryVectors(2);
    const e = countingEmbedder('m');
    for (const t of ['one', 'two', 'three', 'one']) await vectors.of(e, t);
    expect(e.calls).toEqual(['one', 'two', 'three', 'one']);
  });
});
