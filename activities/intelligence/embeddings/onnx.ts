/**
 * A real sentence encoder, run locally: a BERT-style ONNX model (all-MiniLM-L6-v2, bge-small-en-v1.5)
 * through onnxruntime-node, tokenized by @huggingface/tokenizers from the model's own tokenizer.json.
 *
 * - Batched: at most ENCODER_BATCH_SIZE texts per inference call, texts sorted by length first so a
 *   batch pads to similar lengths (padding is masked out, so a text's vector does not depend on its
 *   batch-mates beyond float rounding — the fp32 model is exact to ~1e-6).
 * - Heartbeats: inside a Temporal activity, each batch heartbeats that activity.
 * - Off the event loop: `session.run` executes on onnxruntime's native threads and resolves a
 *   promise; between batches we yield, so a long embed never starves timers (heartbeats) or I/O.
 * - Pooling as the model was trained: mean over real tokens for MiniLM, the [CLS] token for BGE;
 *   then L2 normalisation, so cosine = dot product.
 * - Queries may take a prefix (BGE's "Represent this sentence for searching relevant passages: ").
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import * as ort from 'onnxruntime-node';
import { ENCODER_BATCH_SIZE, type LocalModelSpec } from '../../../config/embeddings';
import type { QueryEmbedder } from './select';

export interface OnnxEncoderOptions {
  /** texts per inference call (default ENCODER_BATCH_SIZE) */
  batchSize?: number;
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core) */
  threads?: number;
}

export class OnnxSentenceEncoder implements QueryEmbedder {
  readonly model: string;
  readonly dimensions: number;
  readonly #spec: LocalModelSpec;
  readonly #session: ort.InferenceSession;
  readonly #tokenizer: Tokenizer;
  readonly #batchSize: number;
  readonly #needsTokenTypes: boolean;
  readonly #sepId: number;

  private constructor(spec: LocalModelSpec, session: ort.InferenceSession, tokenizer: Tokenizer, opts: OnnxEncoderOptions) {
    this.#spec = spec;
    this.model = spec.name;
    this.dimensions = spec.dimensions;
    this.#session = session;
    this.#tokenizer = tokenizer;
    this.#batchSize = opts.batchSize ?? ENCODER_BATCH_SIZE;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize <= 0) throw new Error(`batchSize must be a positive integer, got ${this.#batchSize}`);
    this.#needsTokenTypes = session.inputNames.includes('token_type_ids');
    const sep = tokenizer.token_to_id('[SEP]');
    if (sep === undefined) throw new Error(`${spec.name}: tokenizer has no [SEP] token (not a BERT-style tokenizer?)`);
    this.#sepId = sep;
  }

  /** Loads the model files (see infra/model.ts for obtaining them). */
  static async load(spec: LocalModelSpec, files: { onnx: string; tokenizer: string }, opts: OnnxEncoderOptions = {}): Promise<OnnxSentenceEncoder> {
    const tokenizerJson = JSON.parse(await readFile(files.tokenizer, 'utf8')) as Record<string, unknown>;
    // tokenizers.js takes tokenizer_config.json beside it; the jar has none, and BERT needs nothing from it.
    const tokenizer = new Tokenizer(tokenizerJson, {});
    const session = await ort.InferenceSession.create(files.onnx, {
      graphOptimizationLevel: 'all',
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    });
    return new OnnxSentenceEncoder(spec, session, tokenizer, opts);
  }

  /** Document vectors (no prefix). */
  embed(texts: string[]): Promise<number[][]> {
    return this.#encode(texts);
  }

  /** Query vectors: with the model's query prefix, if it has one. */
  embedQueries(texts: string[]): Promise<number[][]> {
    const prefix = this.#spec.queryPrefix;
    return this.#encode(prefix ? texts.map((t) => prefix + t) : texts);
  }

  async close(): Promise<void> {
    await this.#session.release();
  }

  /** Token ids with [CLS] … [SEP], cut to maxTokens the way the reference truncates (keep the head, end with [SEP]). */
  tokenIds(text: string): number[] {
    const ids = this.#tokenizer.encode(text).ids;
    const max = this.#spec.maxTokens;
    return ids.length <= max ? ids : [...ids.slice(0, max - 1), this.#sepId];
  }

  async #encode(texts: string[]): Promise<number[][]> {
    const tokenized = texts.map((t) => this.tokenIds(t));
    // Longest first: similar lengths share a batch, so little compute goes into padding.
    const order = tokenized.map((_, i) => i).sort((a, b) => tokenized[b]!.length - tokenized[a]!.length || a - b);
    const out = new Array<number[]>(texts.length);
    for (let start = 0; start < order.length; start += this.#batchSize) {
      const batch = order.slice(start, start + this.#batchSize);
      const vectors = await this.#run(batch.map((i) => tokenized[i]!));
      batch.forEach((i, j) => (out[i] = vectors[j]!));
      // Inside an activity (ingest, re-embed), every batch is a sign of life: a long file keeps its
      // heartbeat going, and a cancelled activity learns of it between batches.
      activityContext.getStore()?.heartbeat({ embedded: Math.min(start + this.#batchSize, order.length), of: order.length });
      // Let timers and I/O (heartbeats, other activities) run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
  }

  async #run(batch: number[][]): Promise<number[][]> {
    const rows = batch.length;
    const width = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(rows * width);
    const mask = new BigInt64Array(rows * width);
    batch.forEach((tokens, r) => {
      tokens.forEach((id, c) => {
        ids[r * width + c] = BigInt(id);
        mask[r * width + c] = 1n;
      });
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [rows, width]),
      attention_mask: new ort.Tensor('int64', mask, [rows, width]),
    };
    if (this.#needsTokenTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(rows * width), [rows, width]);
    const results = await this.#session.run(feeds);
    const output = results[this.#session.outputNames[0]!]!;
    try {
      const [, seq, hidden] = output.dims as [number, number, number];
      if (hidden !== this.dimensions) throw new Error(`${this.model}: the model outputs ${hidden} dimensions, configuration says ${this.dimensions}`);
      const data = output.data as Float32Array;
      return batch.map((tokens, r) => normalized(this.#pool(data, r, seq, hidden, tokens.length)));
    } finally {
      for (const tensor of Object.values(results)) tensor.dispose();
    }
  }

  #pool(data: Float32Array, row: number, seq: number, hidden: number, length: number): number[] {
    const base = row * seq * hidden;
    const vector = new Array<number>(hidden).fill(0);
    if (this.#spec.pooling === 'cls') {
      for (let h = 0; h < hidden; h++) vector[h] = data[base + h]!;
      return vector;
    }
    // mean over the real tokens ([CLS] and [SEP] included, padding not), as sentence-transformers does
    for (let t = 0; t < length; t++) {
      const off = base + t * hidden;
      for (let h = 0; h < hidden; h++) vector[h]! += data[off + h]!;
    }
    for (let h = 0; h < hidden; h++) vector[h]! /= length;
    return vector;
  }
}

function normalized(vector: number[]): number[] {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm === 0 ? vector : vector.map((x) => x / norm);
}
