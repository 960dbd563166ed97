/**
 * Both VectorIndex implementations, on every database that can hold them: pgvector on PGlite
 * (and on a server that has the extension), the float8[] fallback everywhere.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgVectorIndex } from '../../activities/memory/pgvector';
import type { Db, VectorIndex, VectorPoint } from '../../activities/memory/ports';
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
    const index = await chooseVectorIndex(database.db, DIMS, { info: (_details: object, msg: string) => void messages.push(msg) });
    const expected = (await serverHasPgvector(database.db)) ? PgVectorIndex : SqlArrayVectorIndex;
    if (flavor === 'pglite') expect(expected).toBe(PgVectorIndex); // PGlite ships pgvector: it must be used
    expect(index).toBeInstanceOf(expected);
    expect(messages.join('\n')).toMatch(expected === PgVectorIndex ? /pgvector/ : /fallback/);
    await index.upsert([point('ready', 0, [1, 0, 0, 0])]);
    expect(await index.query([1, 0, 0, 0], { visibleTo: [ANA] }, 1)).toHaveLength(1);
  });
});

type IndexCase = { name: string; make: (db: Db) => VectorIndex; needsPgvector: boolean };
const INDEXES: IndexCase[] = [
  { name: 'pgvector', make: (db) => new PgVectorIndex(db), needsPgvector: true },
  { name: 'float8[] fallback', make: (db) => new SqlArrayVectorIndex(db), needsPgvector: false },
];

describe.each(DB_FLAVORS)('vector indexes on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let available: boolean;

  beforeAll(async () => {
    available = await serverHasPgvector(database.db);
  });

  it('has pgvector refuse loudly, not half-work, where the extension is missing', async (ctx) => {
    if (available) ctx.skip(); // (PGlite ships it; so may a server)
    await expect(new PgVectorIndex(database.db).ensureReady(DIMS)).rejects.toThrow(/vector/);
  });

  describe.each(INDEXES)('$name', ({ make, needsPgvector }) => {
    let index: VectorIndex;

    const usable = () => !(needsPgvector && !available);

    beforeAll(async () => {
      if (!usable()) return;
      index = make(database.db);
      await index.ensureReady(DIMS);
      await index.ensureReady(DIMS); // idempotent
    });

    beforeEach(async (ctx) => {
      // Only pgvector on a server without the extension: reported as skipped, never as passed.
      if (!usable()) ctx.skip();
      await truncateAll(database.db);
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

    it('takes part in the caller transaction', async () => {
      await expect(
        database.db.transaction(async (tx) => {
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
      await database.db.exec('SET enable_seqscan = off; SET enable_bitmapscan = off;');
      try {
        const hits = await index.query([1, 0, 0, 0], { visibleTo: [CY] }, 5);
        expect(hits.map((h) => h.itemId).sort()).toEqual(['rare0', 'rare1', 'rare2', 'rare3', 'rare4']);
      } finally {
        await database.db.exec('RESET enable_seqscan; RESET enable_bitmapscan;');
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
      await expect(make(database.db).ensureReady(DIMS + 1)).rejects.toThrow(/4-dimensional/);
    });
  });
});
