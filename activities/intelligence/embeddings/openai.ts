/**
 * Embeddings from any OpenAI-compatible `/v1/embeddings` (OpenAI, Ollama, vLLM, …), through the
 * official SDK. Errors are left as the SDK's classes; activities classify them
 * (extraction/errors.ts's toApplicationFailure knows them).
 */
import OpenAI from 'openai';
import type { QueryEmbedder } from './select';

export interface OpenAIEmbedderOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  dimensions: number;
  /** texts per request (OpenAI accepts up to 2048) */
  batchSize?: number;
  fetch?: typeof fetch;
}

export class OpenAIEmbedder implements QueryEmbedder {
  readonly model: string;
  readonly dimensions: number;
  readonly #client: OpenAI;
  readonly #remoteModel: string;
  readonly #batchSize: number;

  constructor(options: OpenAIEmbedderOptions) {
    this.#remoteModel = options.model;
    this.model = `openai/${options.model}/d${options.dimensions}`;
    this.dimensions = options.dimensions;
    this.#batchSize = options.batchSize ?? 256;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      const input = texts.slice(start, start + this.#batchSize);
      const response = await this.#client.embeddings.create({ model: this.#remoteModel, input, encoding_format: 'float' });
      // The server may answer out of order; `index` says which input each vector belongs to.
      const byIndex = [...response.data].sort((a, b) => a.index - b.index);
      if (byIndex.length !== input.length) throw new Error(`${this.model}: asked for ${input.length} vectors, got ${byIndex.length}`);
      for (const d of byIndex) {
        if (d.embedding.length !== this.dimensions) {
          throw new Error(`${this.model}: the server returned ${d.embedding.length}-dimensional vectors, MYCELIUM_EMBEDDING_DIMENSIONS says ${this.dimensions}`);
        }
        out.push(d.embedding);
      }
    }
    return out;
  }
}
