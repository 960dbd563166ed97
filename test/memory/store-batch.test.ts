/**
 * MemoryStore.storeUnits — a connector's page in one transaction — on PGlite and a real PostgreSQL server: every
 * unit keeps storeUnit's semantics (insert / unchanged / update / remove within its path, items moving between
 * units), the page is all or nothing, one embedding call serves the page, a second store of the same page changes
 * nothing, and whom each unit held back is recorded per unit.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import type { Db, Embedder, VectorIndex } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';
import { item, meeting, unit } from './fixtures';

/** counts embed calls; breaks on a marker word (a vector of the wrong size, refused inside the transaction) */
class CountingEmbedder implements Embedder {
  readonly inner = new LocalHashingEmbedder();
  readonly model = 'counting';
  readonly dimensions = this.inner.dimensions;
  calls = 0;
  async embed(texts: string[]): Promise<number[][]> {
    this.calls += 1;
    const vectors = await this.inner.embed(texts);
    return vectors.map((v, i) => (texts[i]?.includes('MARKER') ? v.slice(1) : v));
  }
}

describe.each(DB_FLAVORS)('MemoryStore.storeUnits on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let db: Db;
  let vectors: VectorIndex;
  let embedder: CountingEmbedder;
  let store: MemoryStore;

  beforeAll(async () => {
    db = database.db;
    vectors = await chooseVectorIndex(db, undefined, { info: () => undefined });
    embedder = new CountingEmbedder();
    store = new MemoryStore({ db, vectors, embedder });
    await store.ready();
  });
  beforeEach(async () => {
    await truncateAll(db);
    embedder.calls = 0;
  });

  const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]?.n;

  it('stores a page of units with one embedding call; the same page again changes nothing', async () => {
    const page = [
      unit('s/1', { items: [item('a'), item('b')], meetings: [meeting('m1')] }),
      unit('s/2', { items: [item('c')] }),
      unit('s/3', { items: [item('d', { body: 'delta dates' })] }),
    ];
    expect(await store.storeUnits('src', page)).toEqual({ inserted: 4, updated: 0, unchanged: 0, removed: 0 });
    expect(embedder.calls).toBe(1);
    expect(await count('items')).toBe(4);
    expect(await count('chunks')).toBe(4);
    expect(await count('source_files')).toBe(3);
    expect(await count('meetings')).toBe(1);
    expect((await db.query<{ source_path: string }>("SELECT source_path FROM items WHERE id = 'c'")).rows[0]!.source_path).toBe('s/2');

    embedder.calls = 0;
    expect(await store.storeUnits('src', page)).toEqual({ inserted: 0, updated: 0, unchanged: 4, removed: 0 });
    expect(embedder.calls).toBe(0);
  });

  it('keeps each unit’s own replace semantics: updated, vanished within a path, moved between paths', async () => {
    await store.storeUnits('src', [unit('s/1', { items: [item('a'), item('b')] }), unit('s/2', { items: [item('c')] })]);
    // a changed, b gone from s/1, c moved from s/2 to s/1 (s/2 now empty)
    const result = await store.storeUnits('src', [unit('s/1', { items: [item('a', { body: 'alpha v2' }), item('c')] }), unit('s/2', { items: [] })]);
    expect(result).toEqual({ inserted: 0, updated: 1, unchanged: 1, removed: 1 });
    expect((await db.query<{ id: string; source_path: string }>('SELECT id, source_path FROM items ORDER BY id')).rows).toEqual([
      { id: 'a', source_path: 's/1' },
      { id: 'c', source_path: 's/1' },
    ]);
  });

  it('is all or nothing: a unit the vector index refuses leaves the whole page unwritten', async () => {
    await expect(store.storeUnits('src', [unit('s/1', { items: [item('a')] }), unit('s/2', { items: [item('b', { body: 'MARKER breaks' })] })])).rejects.toThrow();
    expect(await count('items')).toBe(0);
    expect(await count('source_files')).toBe(0);
  });

  it('refuses an item listed by two units of one page, and a path twice', async () => {
    await expect(store.storeUnits('src', [unit('s/1', { items: [item('a')] }), unit('s/2', { items: [item('a')] })])).rejects.toThrow(/in both s\/1 and s\/2/);
    await expect(store.storeUnits('src', [unit('s/1'), unit('s/1')])).rejects.toThrow(/appears twice/);
  });

  it('records whom each unit held back, replacing a unit’s record when it is stored again', async () => {
    const at = new Date('2026-03-02T12:00:00Z');
    await store.storeUnits('src', [unit('s/1', { items: [item('a')] }), unit('s/2', { items: [item('b')] })], {
      heldBack: [
        { path: 's/1', authors: [{ id: 'olga@out.test', name: 'Olga', items: 2 }] },
        { path: 's/2', authors: [{ id: 'olga@out.test', items: 1 }, { name: 'Someone', items: 1 }] },
        // an object that yielded no unit at all (everything in it held back)
        { path: 's/9', authors: [{ id: 'piet@out.test', items: 3 }] },
      ],
      at,
    });
    expect(await store.heldBackCounts()).toEqual([
      { personId: 'name:Someone', items: 1, files: 1 },
      { personId: 'olga@out.test', items: 3, files: 2 },
      { personId: 'piet@out.test', items: 3, files: 1 },
    ]);
    // s/1 read again with nobody held back: its record is gone, the others stay
    await store.storeUnits('src', [unit('s/1', { items: [item('a', { body: 'again' })] })], { heldBack: [], at });
    expect((await store.heldBackCounts(['olga@out.test']))[0]).toMatchObject({ items: 1, files: 1 });
    expect(await store.heldBackFiles('olga@out.test')).toEqual([{ sourceId: 'src', path: 's/2' }]);
  });
});
