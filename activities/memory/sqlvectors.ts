/**
 * VectorIndex for Postgres servers without pgvector: embeddings in a plain float8[] column and
 * cosine similarity computed in SQL.
 *
 * Honest about cost: this is a brute-force scan. Every query computes a dot product with every
 * row that passes the filter (O(rows x dimensions)); there is no approximate index. The access
 * filter runs first (GIN on `access`), which keeps it workable for one team's corpus (tens of
 * thousands of chunks), not for millions. Use pgvector or Qdrant for anything larger.
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


export class SqlArrayVectorIndex implements VectorIndex {
  readonly name = 'sql-float8[] (brute force)';
  /** the model whose vectors this index holds and compares (each model has a table of its own) */
  readonly model: string;
  readonly #db: Db;
  readonly #table: string;
  #dimensions: number | undefined;

  constructor(db: Db, opts: { model?: string } = {}) {
    this.#db = db;
    this.model = opts.model ?? LEGACY_VECTOR_MODEL;
    this.#table = vectorTableName('chunk_vectors_float', this.model);
  }

  async ensureReady(dimensions: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [VECTOR_DDL_LOCK_KEY]);
      await tx.exec(`
        CREATE TABLE IF NOT EXISTS ${this.#table} (
          chunk_id    text PRIMARY KEY,
          model       text NOT NULL CHECK (model = ${sqlLiteral(this.model)}),
          item_id     text NOT NULL,
          position    integer NOT NULL,
          embedding   float8[] NOT NULL,
          -- stored so a query divides instead of re-deriving every row's norm
          norm        float8 NOT NULL CHECK (norm > 0),
          access      text[] NOT NULL,
          source_id   text NOT NULL,
          kind        text NOT NULL,
          occurred_at timestamptz NOT NULL,
          thread_id   text
        );
        CREATE INDEX IF NOT EXISTS ${this.#table}_access_idx ON ${this.#table} USING gin (access);
        CREATE INDEX IF NOT EXISTS ${this.#table}_item_idx ON ${this.#table} (item_id);`);
      // float8[] has no declared length, so the rows themselves tell what the table holds.
      const { rows } = await tx.query<{ dims: number }>(`SELECT cardinality(embedding) AS dims FROM ${this.#table} LIMIT 1`);
      const existing = rows[0] ? Number(rows[0].dims) : undefined;
      if (existing !== undefined && existing !== dimensions) {
        throw new Error(
          `${this.#table} holds ${existing}-dimensional vectors of ${this.model}, but ${dimensions} were asked for: ` +
            'one model makes one size of vector; a different model gets a table of its own',
        );
      }
    });
    this.#dimensions = dimensions;
  }

  async upsert(points: VectorPoint[], tx?: Sql): Promise<void> {
    if (points.length === 0) return;
    const dimensions = requireDimensions(this.#dimensions, this.name);
    for (const p of points) assertUsableVector(p.vector, dimensions, `vector of chunk ${p.chunkId}`);
    await (tx ?? this.#db).query(
      `INSERT INTO ${this.#table} (chunk_id, model, item_id, position, embedding, norm, access, source_id, kind, occurred_at, thread_id)
       SELECT chunk_id, $2, item_id, position, embedding, norm, access, source_id, kind, occurred_at, thread_id
       FROM jsonb_to_recordset($1::jsonb) AS p(${POINT_RECORD_COLUMNS})
       ON CONFLICT (chunk_id) DO UPDATE SET
         item_id = EXCLUDED.item_id, position = EXCLUDED.position, embedding = EXCLUDED.embedding,
         norm = EXCLUDED.norm, access = EXCLUDED.access, source_id = EXCLUDED.source_id, kind = EXCLUDED.kind,
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
    const queryNorm = l2Norm(vector);
    if (limit <= 0 || queryNorm === 0) return [];
    assertUsableVector(vector, dimensions, 'query vector');
    const params = new SqlParams();
    const target = `${params.add(vector)}::float8[]`;
    const where = retrievalConditions(
      filter,
      { access: 'v.access', kind: 'v.kind', itemId: 'v.item_id', threadId: 'v.thread_id', occurredAt: 'v.occurred_at' },
      params,
    );
    const { rows } = await this.#db.query<{ item_id: string; position: number; score: number }>(
      `SELECT v.item_id, v.position,
              (SELECT sum(e * q) FROM unnest(v.embedding, ${target}) AS pair(e, q)) / (v.norm * ${params.add(queryNorm)}::float8) AS score
       FROM ${this.#table} v
       WHERE v.model = ${params.add(this.model)} AND ${where}
       ORDER BY score DESC, v.chunk_id
       LIMIT ${params.add(limit)}`,
      params.values,
    );
    return rows.map((r) => ({ itemId: r.item_id, position: Number(r.position), score: Number(r.score) }));
  }
}
