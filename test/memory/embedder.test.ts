import { describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
const norm = (a: number[]) => Math.sqrt(cosine(a, a));

describe('LocalHashingEmbedder', () => {
  const embedder = new LocalHashingEmbedder();

  it('makes 256-dimensional unit vectors', async () => {
    const [v] = await embedder.embed(['Quarterly budget review']);
    expect(embedder.dimensions).toBe(256);
    expect(v).toHaveLength(256);
    expect(norm(v!)).toBeCloseTo(1, 10);
  });

  it('is deterministic across calls and instances', async () => {
    const text = 'Hiring plan for the platform team';
    const [a] = await embedder.embed([text]);
    const [b] = await new LocalHashingEmbedder().embed([text]);
    expect(b).toEqual(a);
  });

  it('ignores case and punctuation', async () => {
    const [a, b] = await embedder.embed(['Budget, REVIEW!', 'budget review']);
    expect(a).toEqual(b);
  });

  it('ranks texts sharing word fragments above unrelated ones', async () => {
    const [query, variant, related, unrelated] = await embedder.embed([
      'budget review',
      'budgets reviewed',
      'the budget for next quarter',
      'lunch order for friday',
    ]);
    const toVariant = cosine(query!, variant!);
    const toRelated = cosine(query!, related!);
    const toUnrelated = cosine(query!, unrelated!);
    expect(toVariant).toBeGreaterThan(toRelated);
    expect(toRelated).toBeGreaterThan(toUnrelated);
    expect(toVariant).toBeGreaterThan(0.5);
  });

  it('embeds a text without words to the zero vector', async () => {
    const [v] = await embedder.embed(['  ... !! ']);
    expect(v!.every((x) => x === 0)).toBe(true);
  });

  it('returns one vector per text, in order', async () => {
    const texts = ['alpha', 'beta', 'alpha'];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
  });

  it('supports other sizes', async () => {
    const small = new LocalHashingEmbedder({ dimensions: 32 });
    const [v] = await small.embed(['budget']);
    expect(v).toHaveLength(32);
    expect(small.model).not.toBe(embedder.model);
  });
});
