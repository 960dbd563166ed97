/**
 * The Qdrant adapter against a local stand-in that validates every request against Qdrant's
 * published OpenAPI document (test/support/qdrant-contract.ts): each test fails on any request the
 * document does not allow, and checks what the adapter asked for (collection layout, payload
 * indexes, point ids, filters inside every prefetch, RRF fusion, wait=true, the api-key header).
 * The ranking and filtering themselves are checked by the vector-index suite against a live
 * Qdrant (QDRANT_URL).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db, VectorPoint } from '../../activities/memory/ports';
import { DENSE_VECTOR, QdrantConfigError, QdrantVectorIndex, SPARSE_VECTOR } from '../../activities/memory/qdrant';
import { documentSparseVector, querySparseVector, termIndex } from '../../activities/memory/qdrant/sparse-bm25';
import { pointIdOf, uuidV5 } from '../../activities/memory/qdrant/uuid5';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { QdrantContractServer, QdrantSchema, type RecordedRequest } from '../support/qdrant-contract';
import { ANA, at, BEN, CY } from './fixtures';

const MODEL = 'test-model-v1';
const COLLECTION = 'contract_chunks';
const DIMS = 4;

function point(itemId: string, position: number, overrides: Partial<VectorPoint> = {}): VectorPoint {
  return {
    chunkId: `${itemId}#${position}`,
    itemId,
    position,
    vector: [1, 0.5, 0, 0],
    access: [ANA, BEN],
    sourceId: 'src',
    kind: 'message',
    occurredAt: at(0),
    threadId: null,
    text: 'The store submission deadline is on the 12th',
    ...overrides,
  };
}

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const bodyOf = (r: RecordedRequest | undefined): Body => {
  if (!r) throw new Error('expected a request');
  return r.body as Body;
};

let schema: QdrantSchema;
let server: QdrantContractServer;

beforeAll(() => {
  schema = new QdrantSchema();
});

beforeEach(async () => {
  server = await new QdrantContractServer(schema).start();
});

afterEach(async () => {
  // Every request of every test conforms to the document, and the stand-in answered in its shape.
  expect(server.violations()).toEqual([]);
  expect(server.responseFaults).toEqual([]);
  await server.stop();
});

const newIndex = (opts: { apiKey?: string; model?: string } = {}) =>
  new QdrantVectorIndex({ url: server.url, collection: COLLECTION, model: opts.model ?? MODEL, apiKey: opts.apiKey });

async function readyIndex(opts: { apiKey?: string; model?: string } = {}): Promise<QdrantVectorIndex> {
  const index = newIndex(opts);
  await index.ensureReady(DIMS);
  return index;
}

describe('the stand-in holds requests to the document', () => {
  it('reports bodies, parameters and routes the document does not allow', () => {
    const none = new URLSearchParams();
    const bad = (method: string, path: string, body: unknown, query = none) => schema.check(method, path, query, body).violations;
    expect(bad('POST', '/collections/c/points/query', { query: { fusion: 'rrf' }, limit: 3 })).toEqual([]);
    expect(bad('POST', '/collections/c/points/query', { query: { fusion: 'rfr' }, limit: 3 })).not.toEqual([]);
    expect(bad('POST', '/collections/c/points/query', { query: [1, 0], filtre: { must: [] } })).not.toEqual([]); // misspelt key
    expect(bad('PUT', '/collections/c/points', { points: [{ id: 'chunk#0', vector: { dense: [1] } }] })).not.toEqual([]); // not a uuid
    expect(bad('PUT', '/collections/c/points', { points: [{ id: 1, vector: { bm25: { indices: [-1], values: [1] } } }] })).not.toEqual([]); // not u32
    expect(bad('PUT', '/collections/c', { vectors: { dense: { size: 4, distance: 'Cosine' } }, sparse_vectors: { bm25: { modifier: 'IDF' } } })).not.toEqual([]);
    expect(bad('PUT', '/collections/c/points', { points: [] }, new URLSearchParams('wait=yes'))).not.toEqual([]);
    expect(bad('PUT', '/collections/c/points', { points: [] }, new URLSearchParams('waitt=true'))).not.toEqual([]);
    expect(bad('GET', '/collections/c/exists', { unexpected: true })).not.toEqual([]);
    expect(bad('POST', '/collections/c/points/search-hybrid', {})).not.toEqual([]);
  });
});

describe('QdrantVectorIndex against Qdrant 1.18 OpenAPI', () => {
  it('creates the collection once: named dense vector (cosine), sparse bm25 with idf, payload indexes', async () => {
    const index = await readyIndex();
    expect(index.collection).toBe(COLLECTION);
    const [create, ...more] = server.of('create_collection');
    expect(more).toEqual([]);
    expect(create?.path).toBe(`/collections/${COLLECTION}`);
    expect(bodyOf(create)).toEqual({
      vectors: { [DENSE_VECTOR]: { size: DIMS, distance: 'Cosine' } },
      sparse_vectors: { [SPARSE_VECTOR]: { modifier: 'idf' } },
    });
    const indexes = server.of('create_field_index');
    expect(indexes.map((r) => [bodyOf(r).field_name, bodyOf(r).field_schema])).toEqual([
      ['access', 'keyword'],
      ['item_id', 'keyword'],
      ['kind', 'keyword'],
      ['thread_id', 'keyword'],
      ['occurred_at', 'datetime'],
      ['model', 'keyword'],
    ]);
    for (const r of indexes) expect(r.query.get('wait')).toBe('true');

    // ready again (another process, a restart): nothing is created twice
    const before = server.requests.length;
    await newIndex().ensureReady(DIMS);
    const again = server.requests.slice(before).map((r) => r.operationId);
    expect(again).toEqual(['collection_exists', 'get_collection']);
  });

  it('tolerates losing the race to create the collection (409), and refuses a collection of another size', async () => {
    await readyIndex(); // another process made it
    server.answerNext.set('collection_exists', [{ exists: false }]); // ... just after we looked
    await readyIndex();
    expect(server.of('create_collection').map((r) => r.status)).toEqual([200, 409]);
    await expect(newIndex().ensureReady(DIMS + 1)).rejects.toThrow(/4-dimensional/);
    server.failNext.set('create_collection', [503]);
    server.collections.delete(COLLECTION);
    await expect(newIndex().ensureReady(DIMS)).rejects.toMatchObject({ status: 503 }); // any other failure surfaces
  });

  it('upserts with wait=true, UUIDv5 ids of (item, position, model), access and model in the payload, and a BM25 sparse vector', async () => {
    const index = await readyIndex();
    await index.upsert([point('m1', 0, { access: [' Ana@ACME.test', BEN], threadId: 't1' }), point('m1', 1, { text: undefined })]);
    const [upsert] = server.of('upsert_points');
    expect(upsert?.query.get('wait')).toBe('true');
    const [first, second] = bodyOf(upsert).points as Body[];
    expect(first?.id).toBe(pointIdOf('m1', 0, MODEL));
    expect(second?.id).toBe(pointIdOf('m1', 1, MODEL));
    expect(first?.payload).toEqual({
      item_id: 'm1',
      position: 0,
      access: [ANA, BEN],
      source_id: 'src',
      kind: 'message',
      occurred_at: at(0).toISOString(),
      thread_id: 't1',
      model: MODEL,
    });
    expect(first?.vector[DENSE_VECTOR]).toEqual([1, 0.5, 0, 0]);
    expect(first?.vector[SPARSE_VECTOR]).toEqual(documentSparseVector('The store submission deadline is on the 12th'));
    expect(first?.vector[SPARSE_VECTOR].indices).toContain(termIndex('deadlin')); // stemmed
    expect(Object.keys(second?.vector ?? {})).toEqual([DENSE_VECTOR]); // no text, no sparse vector

    // the same chunk by another model is another point; by the same model, the same point
    expect(pointIdOf('m1', 0, 'other-model')).not.toBe(pointIdOf('m1', 0, MODEL));
    await index.upsert([point('m1', 0)]);
    expect(bodyOf(server.of('upsert_points')[1]).points[0].id).toBe(first?.id);
  });

  it('splits large upserts into bounded requests', async () => {
    const index = await readyIndex();
    await index.upsert(Array.from({ length: 600 }, (_, i) => point(`bulk${i}`, 0)));
    expect(server.of('upsert_points').map((r) => bodyOf(r).points.length)).toEqual([256, 256, 88]);
  });

  it('hybrid query: dense and sparse prefetches, each carrying the whole filter, fused by RRF in Qdrant', async () => {
    const index = await readyIndex();
    await index.upsert([point('a', 0), point('b', 2)]);
    const hits = await index.hybridQuery([1, 0, 0, 0], 'When is the store deadline?', { visibleTo: [ANA, BEN], kinds: ['message'], since: at(-1) }, 5);
    expect(hits).toEqual([
      { itemId: 'a', position: 0, score: 1 },
      { itemId: 'b', position: 2, score: 0.5 },
    ]);
    const [query] = server.of('query_points');
    const body = bodyOf(query);
    const filter = {
      must: [
        { key: 'access', match: { value: ANA } },
        { key: 'access', match: { value: BEN } },
        { key: 'model', match: { value: MODEL } },
        { key: 'kind', match: { any: ['message'] } },
        { key: 'occurred_at', range: { gte: at(-1).toISOString() } },
      ],
    };
    expect(body).toEqual({
      prefetch: [
        { query: [1, 0, 0, 0], using: DENSE_VECTOR, filter, limit: 20 },
        { query: querySparseVector('When is the store deadline?'), using: SPARSE_VECTOR, filter, limit: 20 },
      ],
      query: { rrf: { k: 60 } },
      limit: 5,
      with_payload: ['item_id', 'position'],
    });
    // never a filter after the fusion: every candidate already passed it inside its prefetch
    expect(body.filter).toBeUndefined();
    expect(querySparseVector('When is the store deadline?').values.every((v) => v === 1)).toBe(true);
  });

  it('hybrid query without lexical terms, or with a zero vector, keeps the one prefetch that can rank', async () => {
    const index = await readyIndex();
    await index.hybridQuery([1, 0, 0, 0], 'the of and', { visibleTo: [ANA] }, 3);
    await index.hybridQuery([0, 0, 0, 0], 'deadline', { visibleTo: [ANA] }, 3);
    const [denseOnly, sparseOnly] = server.of('query_points').map(bodyOf);
    expect(denseOnly?.prefetch.map((p: Body) => p.using)).toEqual([DENSE_VECTOR]);
    expect(sparseOnly?.prefetch.map((p: Body) => p.using)).toEqual([SPARSE_VECTOR]);
    expect(await index.hybridQuery([0, 0, 0, 0], 'the', { visibleTo: [ANA] }, 3)).toEqual([]);
    expect(server.of('query_points')).toHaveLength(2);
  });

  it('dense query: the filter (thread, items, time window) in the search itself; empty item list asks nothing', async () => {
    const index = await readyIndex();
    await index.query([0, 1, 0, 0], { visibleTo: [CY], threadId: 't9', itemIds: ['x', 'y'], since: at(0), until: at(5) }, 7);
    const body = bodyOf(server.of('query_points')[0]);
    expect(body).toEqual({
      query: [0, 1, 0, 0],
      using: DENSE_VECTOR,
      filter: {
        must: [
          { key: 'access', match: { value: CY } },
          { key: 'model', match: { value: MODEL } },
          { key: 'item_id', match: { any: ['x', 'y'] } },
          { key: 'thread_id', match: { value: 't9' } },
          { key: 'occurred_at', range: { gte: at(0).toISOString(), lt: at(5).toISOString() } },
        ],
      },
      limit: 7,
      with_payload: ['item_id', 'position'],
    });
    expect(await index.query([1, 0, 0, 0], { visibleTo: [ANA], itemIds: [] }, 5)).toEqual([]);
    expect(await index.query([0, 0, 0, 0], { visibleTo: [ANA] }, 5)).toEqual([]);
    await expect(index.query([1, 0, 0, 0], { visibleTo: [] }, 5)).rejects.toThrow(/visibleTo/);
    await expect(index.query([1, 0], { visibleTo: [ANA] }, 5)).rejects.toThrow(/dimensions/);
    expect(server.of('query_points')).toHaveLength(1);
  });

  it('a read shared by several viewers asks for points any of them may see, in one `match: any` condition', async () => {
    const index = await readyIndex();
    await index.query([0, 1, 0, 0], { visibleTo: [ANA, CY], visibleToMatch: 'any' }, 7);
    await index.query([0, 1, 0, 0], { visibleTo: [ANA, CY] }, 7);
    const [shared, everyone] = server.of('query_points').map((r) => bodyOf(r).filter.must[0]);
    expect(shared).toEqual({ key: 'access', match: { any: [ANA, CY] } });
    expect(everyone).toEqual({ key: 'access', match: { value: ANA } });
  });

  it('deletes every point of the given items (whichever model made them), waiting for it', async () => {
    const index = await readyIndex();
    await index.upsert([point('a', 0), point('a', 1), point('b', 0)]);
    await index.deleteByItems(['a', 'a']);
    const [del] = server.of('delete_points');
    expect(del?.query.get('wait')).toBe('true');
    expect(bodyOf(del)).toEqual({ filter: { must: [{ key: 'item_id', match: { any: ['a'] } }] } });
    expect([...(server.collections.get(COLLECTION)?.points.keys() ?? [])]).toEqual([pointIdOf('b', 0, MODEL)]);
    await index.deleteByItems([]);
    expect(server.of('delete_points')).toHaveLength(1);
  });

  it('refuses what it cannot store before sending anything', async () => {
    const index = await readyIndex();
    const before = server.requests.length;
    await expect(index.upsert([point('short', 0, { vector: [1, 0, 0] })])).rejects.toThrow(/3 dimensions/);
    await expect(index.upsert([point('zero', 0, { vector: [0, 0, 0, 0] })])).rejects.toThrow(/zero vector/);
    await expect(index.upsert([point('nan', 0, { vector: [Number.NaN, 0, 0, 0] })])).rejects.toThrow(/non-finite/);
    await expect(newIndex().upsert([point('early', 0)])).rejects.toThrow(/ensureReady/);
    expect(server.requests.length).toBe(before);
  });

  it('sends QDRANT_API_KEY as the api-key header, and no such header without one', async () => {
    await readyIndex({ apiKey: 'secret-key-1' });
    expect(new Set(server.requests.map((r) => r.headers['api-key']))).toEqual(new Set(['secret-key-1']));
    const before = server.requests.length;
    await readyIndex();
    expect(server.requests.slice(before).every((r) => r.headers['api-key'] === undefined)).toBe(true);
  });

  it('surfaces Qdrant errors (status and message) instead of answering empty', async () => {
    const index = await readyIndex();
    server.failNext.set('query_points', [500]);
    await expect(index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 3)).rejects.toMatchObject({ status: 500 });
  });

  it('names the setting to fix when the server cannot be reached or refuses the key', async () => {
    server.failNext.set('collection_exists', [401]);
    await expect(newIndex({ apiKey: 'wrong' }).ensureReady(DIMS)).rejects.toThrow(/HTTP 401\): check QDRANT_API_KEY/);
    const closed = new QdrantContractServer(schema);
    await closed.start();
    await closed.stop(); // a port nobody listens on any more
    const unreachable = new QdrantVectorIndex({ url: closed.url, model: MODEL });
    await expect(unreachable.ensureReady(DIMS)).rejects.toThrow(/not reachable .*check QDRANT_URL/);
  });

  it('says what is wrong with its configuration', () => {
    expect(() => new QdrantVectorIndex({ url: 'localhost:6333', model: MODEL })).toThrow(QdrantConfigError);
    expect(() => new QdrantVectorIndex({ url: 'ftp://q', model: MODEL })).toThrow(/http/);
    expect(() => new QdrantVectorIndex({ url: server.url, model: ' ' })).toThrow(/model/);
    expect(() => new QdrantVectorIndex({ url: server.url, model: MODEL, collection: 'a/b' })).toThrow(/collection name/);
  });
});

describe('chooseVectorIndex with QDRANT_URL', () => {
  const noDb = {} as Db; // Qdrant never touches the database: any use would throw here

  it('picks Qdrant, readies it, and logs no secret', async () => {
    const messages: string[] = [];
    const env = { QDRANT_URL: server.url, QDRANT_API_KEY: 'k-123', QDRANT_COLLECTION: 'chosen' };
    const index = await chooseVectorIndex(noDb, DIMS, { info: (details, msg) => void messages.push(`${msg} ${JSON.stringify(details)}`) }, { model: MODEL, env });
    expect(index).toBeInstanceOf(QdrantVectorIndex);
    expect((index as QdrantVectorIndex).collection).toBe('chosen');
    expect(server.collections.has('chosen')).toBe(true);
    expect(messages.join('\n')).toMatch(/Qdrant/);
    expect(messages.join('\n')).not.toContain('k-123');
  });

  it('needs the embedding model to tag points', async () => {
    await expect(chooseVectorIndex(noDb, DIMS, { info: () => undefined }, { env: { QDRANT_URL: server.url } })).rejects.toThrow(/model/);
  });
});

describe('point ids', () => {
  it('are RFC 9562 UUIDv5', () => {
    // the RFC's own example: the DNS namespace and "www.example.com"
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(pointIdOf('item', 0, MODEL)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pointIdOf('item', 1, MODEL)).not.toBe(pointIdOf('item', 0, MODEL));
    expect(pointIdOf('it', 10, MODEL)).not.toBe(pointIdOf('it1', 0, MODEL));
  });
});

describe('the BM25 sparse vector', () => {
  it('stems, drops stop words, merges repeats into saturated term frequencies, and keeps indices unique and sorted', () => {
    const doc = documentSparseVector('Deadlines, deadline and the DEADLINE: the store deadline');
    const deadline = doc.indices.indexOf(termIndex('deadlin'));
    const store = doc.indices.indexOf(termIndex('store'));
    expect(doc.indices).toHaveLength(2); // "and", "the" are stop words; four spellings of one stem
    expect(doc.indices).toEqual([...doc.indices].sort((a, b) => a - b));
    // 5 terms, avgLength 64: norm = 1.2 * (0.25 + 0.75 * 5 / 64)
    const norm = 1.2 * (0.25 + (0.75 * 5) / 64);
    expect(doc.values[deadline]).toBeCloseTo((4 * 2.2) / (4 + norm), 10);
    expect(doc.values[store]).toBeCloseTo((1 * 2.2) / (1 + norm), 10);
    expect(doc.values[deadline]!).toBeLessThan(2.2); // saturates below k1 + 1
    expect(documentSparseVector('the and of')).toEqual({ indices: [], values: [] });
    expect(querySparseVector('deadline deadlines store')).toEqual({
      indices: [termIndex('deadlin'), termIndex('store')].sort((a, b) => a - b),
      values: [1, 1],
    });
    for (const i of doc.indices) expect(i >>> 0).toBe(i); // u32
  });
});
