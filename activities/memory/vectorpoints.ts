/**
 * Checks and encodings shared by the SQL vector indexes (pgvector and the float8[] fallback).
 */
import { createHash } from 'node:crypto';
import type { VectorPoint } from './ports';

/** The model of every vector stored before vectors were tagged (the hashing embedder's default). */
export const LEGACY_VECTOR_MODEL = 'local-hashing-ngram3-5-d256';

/**
 * The table holding one model's vectors: `<base>__<slug>_<hash>` (at most 48 characters, so index
 * names derived from it stay under Postgres' 63), or `<base>` itself for the legacy model.
 */
export function vectorTableName(base: 'chunk_vectors' | 'chunk_vectors_float', model: string): string {
  if (!model.trim()) throw new Error('a vector model name must not be empty');
  if (model === LEGACY_VECTOR_MODEL) return base;
  const slug = model.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 18);
  const hash = createHash('sha256').update(model).digest('hex').slice(0, 8);
  return `${base}__${slug}_${hash}`;
}

/** A model name as an SQL string literal (for the CHECK constraint of its table). */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function l2Norm(vector: readonly number[]): number {
  let sum = 0;
  for (const x of vector) sum += x * x;
  return Math.sqrt(sum);
}

/**
 * A vector an index can rank by cosine: right length, finite, not all zeros (cosine with a
 * zero vector is undefined; callers skip texts that embed to nothing).
 */
export function assertUsableVector(vector: readonly number[], dimensions: number, what: string): void {
  if (vector.length !== dimensions) {
    throw new Error(`${what} has ${vector.length} dimensions, the index holds ${dimensions}`);
  }
  if (!vector.every(Number.isFinite)) throw new Error(`${what} contains a non-finite number`);
  if (l2Norm(vector) === 0) throw new Error(`${what} is the zero vector: cosine similarity is undefined`);
}

export function requireDimensions(dimensions: number | undefined, indexName: string): number {
  if (dimensions === undefined) throw new Error(`vector index ${indexName}: call ensureReady(dimensions) first`);
  return dimensions;
}

/**
 * The points as one JSON parameter for `jsonb_to_recordset`: a single bind value carries a
 * whole batch, including the per-point access arrays that `unnest` cannot pass row by row.
 */
export function pointsAsJson(points: readonly VectorPoint[]): string {
  return JSON.stringify(
    points.map((p) => ({
      chunk_id: p.chunkId,
      item_id: p.itemId,
      position: p.position,
      embedding: p.vector,
      norm: l2Norm(p.vector),
      access: p.access,
      source_id: p.sourceId,
      kind: p.kind,
      occurred_at: p.occurredAt.toISOString(),
      thread_id: p.threadId ?? null,
    })),
  );
}

/** Column list matching pointsAsJson, for `jsonb_to_recordset(...) AS p(<this>)`. */
export const POINT_RECORD_COLUMNS =
  'chunk_id text, item_id text, position integer, embedding float8[], norm float8, access text[], ' +
  'source_id text, kind text, occurred_at timestamptz, thread_id text';

/** Advisory lock key serializing DDL of the vector tables across processes. */
export const VECTOR_DDL_LOCK_KEY = 727_001_002;
