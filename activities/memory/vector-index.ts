/**
 * Picks the vector index: Qdrant when QDRANT_URL is set (QDRANT_API_KEY, QDRANT_COLLECTION
 * optional); else, inside the database, pgvector where the extension can be created, else the
 * brute-force float8[] fallback (e.g. a stock Debian PostgreSQL without pgvector).
 */
import { pino } from 'pino';
import { PgVectorIndex } from './pgvector';
import { QdrantVectorIndex } from './qdrant';
import type { Db, VectorIndex } from './ports';
import { SqlArrayVectorIndex } from './sqlvectors';

/** The one logging call made here; a pino Logger fits. */
export interface ChoiceLogger {
  info(details: object, message: string): void;
}

export interface ChoiceOptions {
  /** the embedding model's name; required when QDRANT_URL is set (Qdrant points are tagged with it) */
  model?: string;
  /** reads QDRANT_URL, QDRANT_API_KEY, QDRANT_COLLECTION (default process.env) */
  env?: NodeJS.ProcessEnv;
}

/**
 * @param dimensions when given, the chosen index is made ready for vectors of that size
 * @param log told which index was chosen, and why when it is the fallback
 * @param opts.model the model whose vectors the index holds (default: the legacy hashing model); pass the
 *   embedder's `model`, so that searches only ever compare vectors of one model
 */
export async function chooseVectorIndex(db: Db, dimensions?: number, log?: ChoiceLogger, opts: ChoiceOptions = {}): Promise<VectorIndex> {
  const logger = log ?? pino({ name: 'memory.vectors', level: process.env.LOG_LEVEL ?? 'info' });
  const env = opts.env ?? process.env;
  const qdrantUrl = env.QDRANT_URL?.trim();
  let index: VectorIndex;
  if (qdrantUrl) {
    if (!opts.model?.trim()) {
      throw new Error('QDRANT_URL is set, but no embedding model name was given to chooseVectorIndex: Qdrant points are tagged with it');
    }
    const qdrant = new QdrantVectorIndex({ url: qdrantUrl, apiKey: env.QDRANT_API_KEY, collection: env.QDRANT_COLLECTION, model: opts.model });
    // host and collection only: the URL may carry credentials, the API key never appears
    logger.info(
      { index: 'qdrant', host: new URL(qdrantUrl).host, collection: qdrant.collection, model: qdrant.model, apiKey: Boolean(env.QDRANT_API_KEY?.trim()) },
      'vector index: Qdrant (dense + sparse BM25, fused by RRF in Qdrant)',
    );
    index = qdrant;
    if (dimensions !== undefined) await index.ensureReady(dimensions);
    return index;
  }
  const unavailable = await whyPgvectorUnavailable(db);
  if (unavailable === null) {
    logger.info({ index: 'pgvector', flavor: db.flavor, model: opts.model }, 'vector index: pgvector (HNSW, cosine)');
    index = new PgVectorIndex(db, opts);
  } else {
    logger.info(
      { index: 'sql-float8[]', flavor: db.flavor, reason: unavailable },
      'vector index: float8[] fallback with brute-force cosine (pgvector unavailable)',
    );
    index = new SqlArrayVectorIndex(db, opts);
  }
  if (dimensions !== undefined) await index.ensureReady(dimensions);
  return index;
}

/** null when `CREATE EXTENSION vector` works here, else the reason it does not. */
async function whyPgvectorUnavailable(db: Db): Promise<string | null> {
  // Asking first keeps "extension not installed" out of the server's error log.
  const { rows } = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  if (rows.length === 0) return 'the server has no vector extension installed';
  try {
    await db.transaction((tx) => tx.exec('CREATE EXTENSION IF NOT EXISTS vector'));
    return null;
  } catch (error) {
    // Typically "permission denied": the role may not create extensions.
    return (error as Error).message;
  }
}
