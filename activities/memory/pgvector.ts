/**
 * VectorIndex on pgvector: one row per chunk in `chunk_vectors`, an HNSW index for cosine
 * distance, and the filter payload (access, source, kind, time, thread) in columns, so the
 * access rule is applied inside the index query exactly as it will be in Qdrant.
 */
import { retrievalConditions, SqlParams } from './filters';
import type { Db, Hit, RetrievalFilter, Sql, VectorIndex, VectorPoint } from './ports';
import {
  assertUsableVector,
  l2Norm,
  POINT_RECORD_COLUMNS,
  pointsAsJson,
  LEGACY_VECTOR_MODEL,
  requireDimensions,
  sqlLiteral,
  VECTOR_DDL_LOCK_KEY,
  vectorTableName,
} from './vectorpoints';


export class PgVectorIndex implements VectorIndex {
  readonly name = 'pgvector';
  /** the model whose vectors this index holds and compares (each model has a table of its own) */
  readonly model: string;
  readonly #db: Db;
  readonly #table: string;
  #dimensions: number | undefined;

  constructor(db: Db, opts: { model?: string } = {}) {
    this.#db = db;
    this.model = opts.model ?? LEGACY_VECTOR_MODEL;
    this.#table = vectorTableName('chunk_vectors', this.model);
  }

  async ensureReady(dimensions: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [VECTOR_DDL_LOCK_KEY]);
      await tx.exec('CREATE EXTENSION IF NOT EXISTS vector');
      const existing = await tableDimensions(tx, this.#table);
      if (existing !== undefined && existing !== dimensions) {
        throw new Error(
          `${this.#table} holds ${existing}-dimensional vectors of ${this.model}, but ${dimensions} were asked for: ` +
            'one model makes one size of vector; a different model gets a table of its own',
        );
      }
      await tx.exec(`
        CREATE TABLE IF NOT EXISTS ${this.#table} (
          chunk_id    text PRIMARY KEY,
          model       text NOT NULL CHECK (model = ${sqlLiteral(this.model)}),
          item_id     text NOT NULL,
          position    integer NOT NULL,
          embedding   vector(${dimensions}) NOT NULL,
          access      text[] NOT NULL,
          source_id   text NOT NULL,
          kind        text NOT NULL,
          occurred_at timestamptz NOT NULL,
          thread_id   text
        );
        CREATE INDEX IF NOT EXISTS ${this.#table}_embedding_idx ON ${this.#table} USING hnsw (embedding vector_cosine_ops);
        CREATE INDEX IF NOT EXISTS ${this.#table}_access_idx ON ${this.#table} USING gin (access);
        CREATE INDEX IF NOT EXISTS ${this.#table}_item_idx ON ${this.#table} (item_id);`);
    });
    this.#dimensions = dimensions;
  }

  async upsert(points: VectorPoint[], tx?: Sql): Promise<void> {
    if (points.length === 0) return;
    const dimensions = requireDimensions(this.#dimensions, this.name);
    for (const p of points) assertUsableVector(p.vector, dimensions, `vector of chunk ${p.chunkId}`);
    // float8[] -> vector is a cast pgvector provides.
    await (tx ?? this.#db).query(
      `INSERT INTO ${this.#table} (chunk_id, model, item_id, position, embedding, access, source_id, kind, occurred_at, thread_id)
       SELECT chunk_id, $2, item_id, position, embedding::vector, access, source_id, kind, occurred_at, thread_id
       FROM jsonb_to_recordset($1::jsonb) AS p(${POINT_RECORD_COLUMNS})
       ON CONFLICT (chunk_id) DO UPDATE SET
         item_id = EXCLUDED.item_id, position = EXCLUDED.position, embedding = EXCLUDED.embedding,
         access = EXCLUDED.access, source_id = EXCLUDED.source_id, kind = EXCLUDED.kind,
         occurred_at = EXCLUDED.occurred_at, thread_id = EXCLUDED.thread_id`,
      [pointsAsJson(points), this.model],
    );
  }

  async deleteByItems(itemIds: string[], tx?: Sql): Promise<void> {
    if (itemIds.length === 0) return;
    requireDimensions(this.#dimensions, this.name);
    await (tx ?? this.#db).query(`DELETE FROM ${this.#table} WHERE item_id = ANY($1::text[])`, [itemIds]);
  }

  async query(vector: number[], filter: RetrievalFilter, limit: number): Promise<Hit[]> {
    const dimensions = requireDimensions(this.#dimensions, this.name);
    if (limit <= 0 || l2Norm(vector) === 0) return [];
    assertUsableVector(vector, dimensions, 'query vector');
    const params = new SqlParams();
    const target = `${params.add(`[${vector.join(',')}]`)}::vector`;
    const where = retrievalConditions(
      filter,
      { access: 'access', kind: 'kind', itemId: 'item_id', threadId: 'thread_id', occurredAt: 'occurred_at' },
      params,
    );
    const sql = `SELECT item_id, position, 1 - (embedding <=> ${target}) AS score
                 FROM ${this.#table} WHERE model = ${params.add(this.model)} AND ${where}
                 ORDER BY embedding <=> ${target} LIMIT ${params.add(limit)}`;
    // (ORDER BY the distance alone: any second sort key stops the planner from using HNSW.)
    return this.#db.transaction(async (tx) => {
      // HNSW filters after the graph walk; without iterative scans a selective access filter
      // could return fewer than `limit` hits although more visible ones exist.
      await tx.query(`SET LOCAL hnsw.iterative_scan = strict_order`);
      const { rows } = await tx.query<{ item_id: string; position: number; score: number }>(sql, params.values);
      return rows.map((r) => ({ itemId: r.item_id, position: Number(r.position), score: Number(r.score) }));
    });
  }
}

async function tableDimensions(sql: Sql, table: string): Promise<number | undefined> {
  // For vector(N) columns pgvector stores N as the type modifier.
  const { rows } = await sql.query<{ dims: number }>(
    `SELECT atttypmod AS dims FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'embedding'`,
    [table],
  );
  return rows[0] ? Number(rows[0].dims) : undefined;
}
