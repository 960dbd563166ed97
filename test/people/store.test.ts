/**
 * The people-seen and held-back records of the store (migration 005), on PGlite and on a real PostgreSQL
 * server: a file's latest parse replaces its record, people are remembered with identity only, opt-in
 * marks the right files changed, and a deleted file forgets what it held back.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import type { Db } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';
import { ANA, at, BEN, CY, item, person, unit } from '../memory/fixtures';

const quiet = { info: () => undefined };

describe.each(DB_FLAVORS)('people seen and held back, on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let db: Db;
  let store: MemoryStore;

  beforeAll(async () => {
    db = database.db;
    store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, undefined, quiet), embedder: new LocalHashingEmbedder() });
    await store.ready();
  });

  beforeEach(async () => {
    await truncateAll(db);
  });

  it("replaces a file's record on every parse, and remembers where someone was first and last seen", async () => {
    await store.recordHeldBack('src', 'a.eml', [{ id: CY, name: 'Cy Young', items: 1 }], at(0));
    await store.recordHeldBack('src', 'b.vtt', [{ id: CY, items: 3 }, { name: 'Someone Unnamed', items: 2 }], at(1));
    // the same file read again: counted once, not twice
    await store.recordHeldBack('src', 'b.vtt', [{ id: CY, items: 3 }, { name: 'Someone Unnamed', items: 2 }], at(2));
    expect(await store.heldBackCounts([CY])).toEqual([{ personId: CY, items: 4, files: 2 }]);
    const [seen] = await store.seenPeople([CY]);
    expect(seen).toEqual({
      id: CY,
      name: 'Cy Young',
      firstSeen: { at: at(0), sourceId: 'src', path: 'a.eml' },
      lastSeen: { at: at(2), sourceId: 'src', path: 'b.vtt' },
    });
    // an author known by name only is counted, but is nobody to list or opt in
    expect((await store.seenPeople()).map((p) => p.id)).toEqual([CY]);
    expect((await store.heldBackCounts()).map((c) => c.personId)).toEqual([CY, 'name:Someone Unnamed']);

    // a re-read that holds nothing back any more clears the file's record
    await store.recordHeldBack('src', 'a.eml', [], at(3));
    expect(await store.heldBackFiles(CY)).toEqual([{ sourceId: 'src', path: 'b.vtt' }]);
  });

  it('marks held-back files changed, so the next sync re-reads them whatever their bytes', async () => {
    await store.storeUnit('src', unit('a.eml', { fileHash: 'h-a' }));
    await store.storeUnit('src', unit('b.vtt', { fileHash: 'h-b' }));
    await store.recordHeldBack('src', 'a.eml', [{ id: CY, items: 1 }], at(0));
    expect(await store.markFilesChanged(await store.heldBackFiles(CY))).toBe(1);
    expect(Object.fromEntries(await store.fileHashes('src'))).toEqual({ 'a.eml': '', 'b.vtt': 'h-b' });
    expect(await store.markFilesChanged([])).toBe(0);
  });

  it('finds the files that stored what someone wrote or said, and opts people in and out', async () => {
    await store.upsertPeople([person(ANA), person(BEN, { optedIn: false })]);
    await store.storeUnit('src', unit('mail.eml', { fileHash: 'h1', items: [item('m1', { authorId: ANA })] }));
    await store.storeUnit(
      'src',
      unit('call.vtt', {
        fileHash: 'h2',
        items: [item('t1', { kind: 'transcript', authorId: null, segments: [{ position: 0, text: 'hello', speakerId: ANA }] })],
      }),
    );
    await store.storeUnit('src', unit('other.eml', { fileHash: 'h3', items: [item('m2', { authorId: BEN })] }));
    expect(await store.filesAuthoredBy(ANA)).toEqual([
      { sourceId: 'src', path: 'call.vtt' },
      { sourceId: 'src', path: 'mail.eml' },
    ]);
    expect(await store.setOptedIn(BEN, true)).toBe(true);
    expect((await store.getPerson(BEN))?.optedIn).toBe(true);
    expect(await store.setOptedIn('nobody@acme.test', true)).toBe(false);
  });

  it('forgets what a deleted file held back', async () => {
    await store.storeUnit('src', unit('gone.eml', { fileHash: 'h' }));
    await store.recordHeldBack('src', 'gone.eml', [{ id: CY, items: 1 }], at(0));
    await store.removeUnit('src', 'gone.eml');
    expect(await store.heldBackCounts([CY])).toEqual([]);
    // who was seen stays: identity only, and where they were last seen
    expect((await store.seenPeople([CY])).map((p) => p.id)).toEqual([CY]);
  });
});
