/**
 * VectorIndex on Qdrant (selected by QDRANT_URL, see vector-index.ts).
 *
 * Collection layout (one collection, default `mycelium_chunks`):
 * - a named dense vector `dense` (the embedder's size, cosine) and a named sparse vector `bm25`
 *   with `modifier: idf`, whose term weights we compute client-side (qdrant/sparse-bm25.ts);
 * - payload: item_id, position, access (the people who may see the chunk), source_id, kind,
 *   occurred_at, thread_id and model (the embedder that made the dense vector), each filtered key
 *   with a payload index, so the access filter runs inside the HNSW walk, not after it;
 * - point ids: UUIDv5 of (item id, position, model), so upserts are idempotent and a re-embed
 *   with another model writes beside, never over, the current vectors.
 *
 * Every write waits (`wait=true`) because a read usually follows (ingest, then search).
 *
 * Not transactional: Qdrant cannot join the caller's SQL transaction, so `tx` is ignored. A
 * write is idempotent and a retried activity repeats it; see the README ("Qdrant").
 */
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { RRF_K } from './fusion';
import type { Hit, RetrievalFilter, Sql, VectorIndex, VectorPoint } from './ports';
import { PAYLOAD, PAYLOAD_INDEXES, qdrantFilterOf } from './qdrant/filter';
import { documentSparseVector, querySparseVector } from './qdrant/sparse-bm25';
import { pointIdOf } from './qdrant/uuid5';
import { assertUsableVector, l2Norm, requireDimensions } from './vectorpoints';

export const DEFAULT_QDRANT_COLLECTION = 'mycelium_chunks';
export const DENSE_VECTOR = 'dense';
export const SPARSE_VECTOR = 'bm25';

/** Points per upsert request: bounded request bodies (a 384-d point is ~8 KB of JSON). */
const UPSERT_BATCH = 256;
/** Candidates each prefetch hands to the fusion, per requested hit (as MemoryStore.searchHybrid). */
const HYBRID_CANDIDATES_PER_HIT = 4;
const HYBRID_MIN_CANDIDATES = 20;

export interface QdrantIndexOptions {
  /** e.g. http://127.0.0.1:6333 or https://xyz.cloud.qdrant.io:6333 */
  url: string;
  /** sent as the `api-key` header (Qdrant Cloud, or a server with service.api_key) */
  apiKey?: string;
  collection?: string;
  /** the embedding model's name: every point is tagged with it and every query filtered by it */
  model: string;
  /** per-request timeout (default 60 s) */
  timeoutMs?: number;
}

export class QdrantConfigError extends Error {
  override readonly name = 'QdrantConfigError';
}

export class QdrantVectorIndex implements VectorIndex {
  readonly name = 'qdrant';
  readonly collection: string;
  readonly model: string;
  readonly #client: QdrantClient;
  /** host:port, for messages (never the key) */
  readonly #host: string;
  #dimensions: number | undefined;

  constructor(opts: QdrantIndexOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new QdrantConfigError(`QDRANT_URL must be an http(s) URL such as http://127.0.0.1:6333, got ${JSON.stringify(opts.url)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new QdrantConfigError(`QDRANT_URL must start with http:// or https://, got ${url.protocol}`);
    }
    if (!opts.model.trim()) throw new QdrantConfigError('the Qdrant index needs the embedding model name, to tag and filter points by it');
    this.collection = opts.collection?.trim() || DEFAULT_QDRANT_COLLECTION;
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(this.collection)) {
      throw new QdrantConfigError(`Qdrant collection name ${JSON.stringify(this.collection)} may hold only letters, digits, _ and -`);
    }
    this.model = opts.model;
    // The client derives port and scheme from the URL; without a port in it, it would assume 6333.
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    this.#host = `${url.hostname}:${port}`;
    const prefix = url.pathname.replace(/\/+$/, '');
    this.#client = new QdrantClient({
      // (the client ignores a path inside `url`: a reverse-proxy path goes in `prefix`)
      url: `${url.protocol}//${url.hostname}:${port}`,
      ...(prefix ? { prefix } : {}),
      apiKey: opts.apiKey?.trim() || undefined,
      timeout: opts.timeoutMs ?? 60_000,
      // The version check is a fire-and-forget GET / that logs through console.warn; our
      // requests are validated against the 1.18 schema instead (test/memory/qdrant-contract.test.ts).
      checkCompatibility: false,
    });
  }

  async ensureReady(dimensions: number): Promise<void> {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`vector dimensions must be a positive integer, got ${dimensions}`);
    const { exists } = await this.#client.collectionExists(this.collection).catch((error: unknown) => {
      throw this.#explainFirstContact(error);
    });
    if (!exists) {
      try {
        await this.#client.createCollection(this.collection, {
          vectors: { [DENSE_VECTOR]: { size: dimensions, distance: 'Cosine' } },
          sparse_vectors: { [SPARSE_VECTOR]: { modifier: 'idf' } },
        });
      } catch (error) {
        // 409: another process created it between our check and our create; checked below.
        if (statusOf(error) !== 409) throw error;
      }
    }
    const info = await this.#client.getCollection(this.collection);
    const existing = denseSizeOf(info);
    if (existing === undefined || !info.config.params.sparse_vectors?.[SPARSE_VECTOR]) {
      throw new Error(
        `Qdrant collection ${this.collection} exists without the named vectors "${DENSE_VECTOR}" (dense) and "${SPARSE_VECTOR}" (sparse) ` +
          'that Mycelium uses: point QDRANT_COLLECTION at another collection, or delete this one',
      );
    }
    if (existing !== dimensions) {
      throw new Error(
        `Qdrant collection ${this.collection} holds ${existing}-dimensional vectors but the embedder makes ${dimensions}: ` +
          're-embed into a fresh collection (QDRANT_COLLECTION) when changing to a model of another size',
      );
    }
    for (const { field, schema } of PAYLOAD_INDEXES) {
      if (info.payload_schema[field]) continue;
      await this.#client.createPayloadIndex(this.collection, { field_name: field, field_schema: schema, wait: true });
    }
    this.#dimensions = dimensions;
  }

  async upsert(points: VectorPoint[], _tx?: Sql): Promise<void> {
    if (points.length === 0) return;
    const dimensions = requireDimensions(this.#dimensions, this.name);
    for (const p of points) assertUsableVector(p.vector, dimensions, `vector of chunk ${p.chunkId}`);
    for (let i = 0; i < points.length; i += UPSERT_BATCH) {
      await this.#client.upsert(this.collection, { wait: true, points: points.slice(i, i + UPSERT_BATCH).map((p) => this.#pointStruct(p)) });
    }
  }

  async deleteByItems(itemIds: string[], _tx?: Sql): Promise<void> {
    if (itemIds.length === 0) return;
    requireDimensions(this.#dimensions, this.name);
    // Every model's points of these items: the item changed or went away, whichever model embedded it.
    await this.#client.delete(this.collection, { wait: true, filter: { must: [{ key: PAYLOAD.itemId, match: { any: [...new Set(itemIds)] } }] } });
  }

  async query(vector: number[], filter: RetrievalFilter, limit: number): Promise<Hit[]> {
    const dimensions = requireDimensions(this.#dimensions, this.name);
    const where = qdrantFilterOf(filter, this.model);
    if (limit <= 0 || l2Norm(vector) === 0 || where === null) return [];
    assertUsableVector(vector, dimensions, 'query vector');
    const { points } = await this.#client.query(this.collection, {
      query: vector,
      using: DENSE_VECTOR,
      filter: where,
      limit,
      with_payload: [PAYLOAD.itemId, PAYLOAD.position],
    });
    return points.map(hitOf);
  }

  async hybridQuery(vector: number[], text: string, filter: RetrievalFilter, limit: number): Promise<Hit[]> {
    const dimensions = requireDimensions(this.#dimensions, this.name);
    const where = qdrantFilterOf(filter, this.model);
    if (limit <= 0 || where === null) return [];
    const candidates = Math.max(limit * HYBRID_CANDIDATES_PER_HIT, HYBRID_MIN_CANDIDATES);
    // The filter goes inside every prefetch: the fusion then only ever sees visible points, and
    // each search fills its candidates from them (a filter after fusion would starve it).
    const prefetch: Schemas['Prefetch'][] = [];
    if (l2Norm(vector) > 0) {
      assertUsableVector(vector, dimensions, 'query vector');
      prefetch.push({ query: vector, using: DENSE_VECTOR, filter: where, limit: candidates });
    }
    const sparse = querySparseVector(text);
    if (sparse.indices.length > 0) prefetch.push({ query: sparse, using: SPARSE_VECTOR, filter: where, limit: candidates });
    if (prefetch.length === 0) return [];
    const { points } = await this.#client.query(this.collection, {
      prefetch,
      // RRF with the same k as our client-side fusion (fusion.ts), so hybrid ranks alike on every index.
      query: { rrf: { k: RRF_K } },
      limit,
      with_payload: [PAYLOAD.itemId, PAYLOAD.position],
    });
    return points.map(hitOf);
  }

  /** The first call's failure in words a person can act on: wrong URL or wrong key. */
  #explainFirstContact(error: unknown): unknown {
    const status = statusOf(error);
    const where = `Qdrant at ${this.#host}`;
    if (status === 401 || status === 403) {
      return new Error(`${where} refused the request (HTTP ${status}): check QDRANT_API_KEY`, { cause: error });
    }
    if (status === undefined) {
      return new Error(`${where} is not reachable (${error instanceof Error ? error.message : String(error)}): check QDRANT_URL`, { cause: error });
    }
    return error;
  }

  #pointStruct(p: VectorPoint): Schemas['PointStruct'] {
    const vector: Record<string, Schemas['Vector']> = { [DENSE_VECTOR]: p.vector };
    const sparse = p.text ? documentSparseVector(p.text) : undefined;
    if (sparse && sparse.indices.length > 0) vector[SPARSE_VECTOR] = sparse;
    return {
      id: pointIdOf(p.itemId, p.position, this.model),
      vector,
      payload: {
        [PAYLOAD.itemId]: p.itemId,
        [PAYLOAD.position]: p.position,
        [PAYLOAD.access]: p.access.map((person) => person.trim().toLowerCase()),
        [PAYLOAD.sourceId]: p.sourceId,
        [PAYLOAD.kind]: p.kind,
        [PAYLOAD.occurredAt]: p.occurredAt.toISOString(),
        [PAYLOAD.threadId]: p.threadId ?? null,
        [PAYLOAD.model]: this.model,
      },
    };
  }
}

function hitOf(point: Schemas['ScoredPoint']): Hit {
  const payload = point.payload ?? {};
  const itemId = payload[PAYLOAD.itemId];
  const position = payload[PAYLOAD.position];
  if (typeof itemId !== 'string' || typeof position !== 'number') {
    throw new Error(`Qdrant point ${String(point.id)} lacks the item_id / position payload Mycelium writes`);
  }
  return { itemId, position, score: point.score };
}

function denseSizeOf(info: Schemas['CollectionInfo']): number | undefined {
  const vectors = info.config.params.vectors;
  if (!vectors || typeof vectors !== 'object') return undefined;
  const dense = (vectors as Record<string, Schemas['VectorParams'] | undefined>)[DENSE_VECTOR];
  return typeof dense?.size === 'number' ? dense.size : undefined;
}

/** HTTP status of a failed Qdrant call (the client throws its fetcher's ApiError, which carries it). */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') return error.status;
  return undefined;
}
