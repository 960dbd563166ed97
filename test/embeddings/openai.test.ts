/**
 * MYCELIUM_EMBEDDER=openai against a local HTTP server speaking the OpenAI `/v1/embeddings` wire format:
 * the exact requests (path, auth, model, inputs, batching) and the vectors put back in input order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, embedderConfigFromEnv } from '../../activities/intelligence/embeddings/select';
import { OpenAIEmbedder } from '../../activities/intelligence/embeddings/openai';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: { model: string; input: string[]; encoding_format?: string };
}

let server: http.Server;
let baseURL: string;
const seen: Seen[] = [];
let dims = 4;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Seen['body'];
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      // answer out of order, as the wire format allows: `index` says which input a vector belongs to
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from({ length: dims }, (_, d) => text.length + d) })).reverse();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('OpenAI-compatible embedder', () => {
  it('posts the texts to /v1/embeddings with the key and model, in batches, and returns vectors in input order', async () => {
    seen.length = 0;
    const embedder = new OpenAIEmbedder({ apiKey: 'sk-test', baseURL, model: 'nomic-embed-text', dimensions: 4, batchSize: 2 });
    const vectors = await embedder.embed(['a', 'bb', 'ccc']);
    expect(vectors).toEqual([[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]]);
    expect(seen.map((s) => [s.method, s.url, s.auth, s.body.model, s.body.input, s.body.encoding_format])).toEqual([
      ['POST', '/v1/embeddings', 'Bearer sk-test', 'nomic-embed-text', ['a', 'bb'], 'float'],
      ['POST', '/v1/embeddings', 'Bearer sk-test', 'nomic-embed-text', ['ccc'], 'float'],
    ]);
    expect(embedder.model).toBe('openai/nomic-embed-text/d4');
  });

  it('is chosen by MYCELIUM_EMBEDDER=openai with OPENAI_BASE_URL, and refuses vectors of another size', async () => {
    seen.length = 0;
    const env = { MYCELIUM_EMBEDDER: 'openai', OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'sk-env', MYCELIUM_EMBEDDING_MODEL: 'm', MYCELIUM_EMBEDDING_DIMENSIONS: '8' };
    const { embedder } = await createEmbedder(embedderConfigFromEnv(env), { log: { warn() {}, info() {} } });
    expect(embedder.dimensions).toBe(8);
    await expect(embedder.embed(['x'])).rejects.toThrow(/returned 4-dimensional vectors, MYCELIUM_EMBEDDING_DIMENSIONS says 8/);
    expect(seen[0]?.auth).toBe('Bearer sk-env');
    dims = 8;
    expect(await embedder.embed(['x'])).toEqual([[1, 2, 3, 4, 5, 6, 7, 8]]);
  });
});
