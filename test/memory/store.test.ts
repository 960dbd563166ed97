/**
 * MemoryStore on PGlite and on a real PostgreSQL server: ingestion (all or nothing), people,
 * sources, quarantine, meetings, items, briefs and lineage.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import type { Db, Embedder, RetrievalFilter, VectorIndex } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import type { Brief } from '../../schemas/entities';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';
import { ANA, at, BASE_TIME, BEN, CY, item, meeting, person, unit } from './fixtures';

const quiet = { info: () => undefined };

/** An embedder that breaks on a marker word, to fail a unit after its rows were written. */
class BreaksOnMarker implements Embedder {
  readonly inner = new LocalHashingEmbedder();
  readonly model = 'breaks-on-marker';
  readonly dimensions = this.inner.dimensions;
  async embed(texts: string[]): Promise<number[][]> {
    const vectors = await this.inner.embed(texts);
    // a vector of the wrong size: the vector index refuses it inside the unit's transaction
    return vectors.map((v, i) => (texts[i]?.includes('MARKER') ? v.slice(1) : v));
  }
}

describe.each(DB_FLAVORS)('MemoryStore on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let db: Db;
  let vectors: VectorIndex;
  let store: MemoryStore;

  beforeAll(async () => {
    db = database.db;
    vectors = await chooseVectorIndex(db, undefined, quiet);
    store = new MemoryStore({ db, vectors, embedder: new LocalHashingEmbedder() });
    await store.ready();
  });

  beforeEach(async () => {
    await truncateAll(db);
  });

  const count = async (sql: string, params: unknown[] = []) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]?.n;
  const vectorHitsOf = (itemId: string) =>
    vectors.query(new Array(256).fill(1), { visibleTo: [ANA], itemIds: [itemId] }, 100);

  describe('storeUnit', () => {
    it('inserts, leaves unchanged items alone, updates changed ones and removes vanished ones', async () => {
      const a = item('a', { body: 'alpha apples' });
      const b = item('b', { segments: [{ position: 0, text: 'bravo one' }, { position: 1, text: 'bravo two' }], body: 'bravo' });
      const c = item('c', { body: 'charlie cherries' });
      expect(await store.storeUnit('src', unit('chat.json', { fileHash: 'h1', items: [a, b, c] }))).toEqual({
        inserted: 3,
        updated: 0,
        unchanged: 0,
        removed: 0,
      });
      const aBefore = (await db.query<{ updated_at: Date }>(`SELECT updated_at FROM items WHERE id = 'a'`)).rows[0]?.updated_at;

      const b2 = item('b', { segments: [{ position: 0, text: 'bravo rewritten' }], body: 'bravo rewritten' });
      const d = item('d', { body: 'delta dates' });
      expect(await store.storeUnit('src', unit('chat.json', { fileHash: 'h2', items: [a, b2, d] }))).toEqual({
        inserted: 1,
        updated: 1,
        unchanged: 1,
        removed: 1,
      });

      expect((await db.query<{ updated_at: Date }>(`SELECT updated_at FROM items WHERE id = 'a'`)).rows[0]?.updated_at).toEqual(aBefore);
      expect((await store.getItems(['a', 'b', 'c', 'd'])).map((i) => i.id)).toEqual(['a', 'b', 'd']);
      expect((await store.getItems(['b']))[0]?.segments).toEqual([{ position: 0, text: 'bravo rewritten', speakerId: null }]);
      // the replaced item's old chunks and vectors are gone, the removed item's too
      expect(await count(`chunks WHERE item_id = 'b'`)).toBe(1);
      expect(await count(`chunks WHERE item_id = 'c'`)).toBe(0);
      expect((await vectorHitsOf('b')).map((h) => h.position)).toEqual([0]);
      expect(await vectorHitsOf('c')).toEqual([]);
      expect(await vectorHitsOf('d')).toHaveLength(1);
      expect(await store.searchText('cherries', { visibleTo: [ANA] }, 10)).toEqual([]);
      expect((await store.fileHashes('src')).get('chat.json')).toBe('h2');
      const { rows } = await db.query<{ item_ids: string[] }>(`SELECT item_ids FROM source_files WHERE path = 'chat.json'`);
      expect(rows[0]?.item_ids).toEqual(['a', 'b', 'd']);
    });

    it('stores a unit again as all unchanged', async () => {
      const u = unit('x.json', { items: [item('x1'), item('x2')] });
      await store.storeUnit('src', u);
      expect(await store.storeUnit('src', u)).toEqual({ inserted: 0, updated: 0, unchanged: 2, removed: 0 });
      expect(await count('chunks')).toBe(2);
    });

    it('treats a change of access as an update even when the content hash is the same', async () => {
      const shared = item('s', { body: 'secret plans', access: [ANA, BEN] });
      await store.storeUnit('src', unit('s.json', { items: [shared] }));
      const narrowed = { ...shared, access: [ANA] };
      expect((await store.storeUnit('src', unit('s.json', { items: [narrowed] }))).updated).toBe(1);
      expect(await store.searchText('secret', { visibleTo: [BEN] }, 10)).toEqual([]);
      expect(await vectors.query(new Array(256).fill(1), { visibleTo: [BEN], itemIds: ['s'] }, 10)).toEqual([]);
    });

    it('does not remove an item that moved to another file of the source', async () => {
      const moving = item('mv');
      await store.storeUnit('src', unit('old.json', { items: [moving] }));
      await store.storeUnit('src', unit('new.json', { items: [moving] }));
      expect((await store.storeUnit('src', unit('old.json', { fileHash: 'emptied' }))).removed).toBe(0);
      expect(await store.getItems(['mv'])).toHaveLength(1);
    });

    it('writes nothing of a unit whose chunks violate a constraint, and keeps the previous version', async () => {
      await store.storeUnit('src', unit('f.json', { fileHash: 'v1', items: [item('keep', { body: 'original wording' })] }));
      await store.quarantine({ sourceId: 'src', path: 'f.json', reason: 'earlier failure' });

      const broken = unit('f.json', {
        fileHash: 'v2',
        people: [person(CY)],
        meetings: [meeting('m-broken')],
        items: [
          item('keep', { body: 'rewritten wording' }),
          item('new-one', { body: 'fresh text' }),
          // two segments at one position: the chunk insert fails after people, items and meetings were written
          item('dup', { segments: [{ position: 0, text: 'one' }, { position: 0, text: 'two' }] }),
        ],
      });
      await expect(store.storeUnit('src', broken)).rejects.toThrow();

      expect(await store.getPerson(CY)).toBeUndefined();
      expect(await store.getMeeting('m-broken')).toBeUndefined();
      expect((await store.getItems(['keep', 'new-one', 'dup'])).map((i) => [i.id, i.body])).toEqual([['keep', 'original wording']]);
      expect(await count(`chunks WHERE item_id IN ('new-one', 'dup')`)).toBe(0);
      expect((await store.fileHashes('src')).get('f.json')).toBe('v1');
      expect(await store.listQuarantine('src')).toHaveLength(1);
      expect((await store.searchText('original', { visibleTo: [ANA] }, 5)).map((h) => h.itemId)).toEqual(['keep']);
      expect(await vectorHitsOf('keep')).toHaveLength(1);
    });

    it('writes nothing of a unit when the vector index refuses its vectors', async () => {
      const failing = new MemoryStore({ db, vectors, embedder: new BreaksOnMarker() });
      await failing.storeUnit('src', unit('g.json', { items: [item('old-g', { body: 'first' })] }));
      const u = unit('g.json', { fileHash: 'g2', people: [person(CY)], items: [item('fine', { body: 'fine text' }), item('bad', { body: 'MARKER text' })] });
      await expect(failing.storeUnit('src', u)).rejects.toThrow(/dimensions/);
      expect(await store.getItems(['fine', 'bad', 'old-g'])).toHaveLength(1);
      expect(await count(`chunks WHERE item_id IN ('fine', 'bad')`)).toBe(0);
      expect(await vectorHitsOf('fine')).toEqual([]);
      expect(await store.getPerson(CY)).toBeUndefined();
    });

    it('validates the unit: dates from JSON are restored, foreign and repeated items refused', async () => {
      const json = JSON.parse(JSON.stringify(unit('j.json', { items: [item('j1', { occurredAt: at(5) })], meetings: [meeting('mj')] })));
      await store.storeUnit('src', json);
      expect((await store.getItems(['j1']))[0]?.occurredAt).toEqual(at(5));
      expect((await store.getMeeting('mj'))?.startsAt).toEqual(BASE_TIME);

      await expect(store.storeUnit('other', unit('k.json', { items: [item('k1')] }))).rejects.toThrow(/belongs to source src/);
      await expect(store.storeUnit('src', unit('k.json', { items: [item('k1'), item('k1')] }))).rejects.toThrow(/appears twice/);
      expect(await store.getItems(['k1'])).toEqual([]);
    });

    it('round-trips items: segments rebuilt from chunks, none invented for unsegmented items', async () => {
      const transcript = item('tr', {
        kind: 'transcript',
        title: 'Weekly sync',
        authorId: null,
        threadId: 'cal:weekly',
        recipients: [BEN],
        meta: { meetingId: 'cal:weekly', nested: { ok: true } },
        segments: [
          { position: 0, text: 'We decided to ship.', speakerId: ANA, startMs: 1000 },
          { position: 1, text: 'Someone outside spoke.', speakerId: null, startMs: 5000 },
        ],
        body: 'We decided to ship.\nSomeone outside spoke.',
      });
      const doc = item('doc', { kind: 'doc', title: 'Plan', body: 'Para one.\n\nPara two.' });
      await store.storeUnit('src', unit('t.vtt', { items: [transcript, doc] }));

      const [gotTranscript, gotDoc] = await store.getItems(['tr', 'doc']);
      expect(gotTranscript).toEqual(transcript);
      expect(gotDoc).toEqual(doc);
      expect(await store.getChunks([{ itemId: 'doc', position: 0 }, { itemId: 'tr', position: 1 }, { itemId: 'tr', position: 9 }])).toEqual([
        { itemId: 'doc', position: 0, text: 'Plan\n\nPara one.\n\nPara two.', speakerId: null },
        { itemId: 'tr', position: 1, text: 'Someone outside spoke.', speakerId: null, startMs: 5000 },
      ]);
    });

    it('removeUnit forgets a deleted file: items, chunks, vectors, meetings and its sync record', async () => {
      await store.storeUnit('src', unit('gone.ics', { items: [item('ev')], meetings: [meeting('mg', { itemId: 'ev' })] }));
      await store.storeUnit('src', unit('stays.json', { items: [item('st')] }));
      expect(await store.removeUnit('src', 'gone.ics')).toEqual({ removed: 1 });
      expect(await store.getItems(['ev', 'st'])).toHaveLength(1);
      expect(await store.getMeeting('mg')).toBeUndefined();
      expect(await vectorHitsOf('ev')).toEqual([]);
      expect([...(await store.fileHashes('src')).keys()]).toEqual(['stays.json']);
    });
  });

  describe('people', () => {
    it('upserts, lists, finds by id, and accumulates identities across sources', async () => {
      await store.upsertPeople([
        person(BEN, { name: 'Ben', identities: [{ provider: 'slack', externalId: 'U2' }] }),
        person(ANA, { name: 'Ana', title: 'Lead', team: 'Core', timezone: 'Europe/Paris', identities: [{ provider: 'slack', externalId: 'U1' }] }),
      ]);
      await store.upsertPeople([person(ANA, { name: 'Ana Wu', managerId: BEN, identities: [{ provider: 'email', externalId: 'ana@old.test' }] })]);

      expect((await store.listPeople()).map((p) => p.id)).toEqual([ANA, BEN]);
      const ana = await store.getPerson('  ANA@acme.test ');
      expect(ana).toMatchObject({ id: ANA, name: 'Ana Wu', managerId: BEN, timezone: 'UTC', optedIn: true });
      expect(ana?.title).toBeUndefined();
      expect(ana?.identities).toEqual([
        { provider: 'email', externalId: 'ana@old.test' },
        { provider: 'slack', externalId: 'U1' },
      ]);
      expect((await store.peopleByIds([BEN, 'nobody@acme.test'])).map((p) => p.name)).toEqual(['Ben']);
      expect(await store.getPerson('nobody@acme.test')).toBeUndefined();
    });

    it('moves an identity to the person who claims it last', async () => {
      await store.upsertPeople([person(ANA, { identities: [{ provider: 'slack', externalId: 'U9' }] })]);
      await store.upsertPeople([person(BEN, { identities: [{ provider: 'slack', externalId: 'U9' }] })]);
      expect((await store.getPerson(ANA))?.identities).toEqual([]);
      expect((await store.getPerson(BEN))?.identities).toEqual([{ provider: 'slack', externalId: 'U9' }]);
    });
  });

  describe('sources and quarantine', () => {
    it('keeps a source, its config and its cursor', async () => {
      await store.upsertSource({ id: 'files', kind: 'files', config: { root: '/data' } });
      await store.setCursor('files', { syncedAt: '2026-03-02T10:00:00Z', files: 3 });
      await store.upsertSource({ id: 'files', kind: 'files', config: { root: '/data2' } });
      expect(await store.getSource('files')).toMatchObject({
        id: 'files',
        kind: 'files',
        config: { root: '/data2' },
        cursor: { syncedAt: '2026-03-02T10:00:00Z', files: 3 },
      });
      expect(await store.getSource('nope')).toBeUndefined();
      await expect(store.setCursor('nope', {})).rejects.toThrow(/unknown source nope/);
    });

    it('lists quarantined files and clears one when the file later parses', async () => {
      await store.quarantine({ sourceId: 'src', path: 'bad.eml', reason: 'no Date header', fileHash: 'x1' });
      await store.quarantine({ sourceId: 'src', path: 'worse.eml', reason: 'binary' });
      await store.quarantine({ sourceId: 'other', path: 'bad.eml', reason: 'elsewhere' });
      await store.quarantine({ sourceId: 'src', path: 'bad.eml', reason: 'still no Date header', fileHash: 'x2' });
      expect((await store.listQuarantine('src')).map((q) => [q.path, q.reason, q.fileHash])).toEqual([
        ['bad.eml', 'still no Date header', 'x2'],
        ['worse.eml', 'binary', undefined],
      ]);
      expect(await store.listQuarantine()).toHaveLength(3);

      await store.storeUnit('src', unit('bad.eml', { items: [item('mail', { kind: 'email' })] }));
      expect((await store.listQuarantine('src')).map((q) => q.path)).toEqual(['worse.eml']);
      expect((await store.listQuarantine('other')).map((q) => q.path)).toEqual(['bad.eml']);
    });
  });

  describe('meetings', () => {
    beforeEach(async () => {
      await store.storeUnit(
        'src',
        unit('cal.ics', {
          meetings: [
            meeting('w1', { seriesId: 'weekly', startsAt: at(-336), endsAt: at(-335) }),
            meeting('w2', { seriesId: 'weekly', startsAt: at(-168), endsAt: at(-167), status: 'cancelled' }),
            meeting('w3', { seriesId: 'weekly', startsAt: at(0), endsAt: at(1), location: 'Room 4', description: 'Agenda' }),
            meeting('one-off', { startsAt: at(2), endsAt: at(3), status: 'tentative', outsideOptInCount: 2 }),
          ],
        }),
      );
    });

    it('round-trips a meeting', async () => {
      expect(await store.getMeeting('w3')).toEqual(
        meeting('w3', { seriesId: 'weekly', startsAt: at(0), endsAt: at(1), location: 'Room 4', description: 'Agenda' }),
      );
      expect(await store.getMeeting('nope')).toBeUndefined();
    });

    it('lists meetings starting in [from, to), by status', async () => {
      expect((await store.listMeetings()).map((m) => m.id)).toEqual(['w1', 'w2', 'w3', 'one-off']);
      expect((await store.listMeetings({ from: at(-168), to: at(2) })).map((m) => m.id)).toEqual(['w2', 'w3']);
      expect((await store.listMeetings({ status: 'tentative' })).map((m) => m.id)).toEqual(['one-off']);
    });

    it('finds the previous occurrence of a series, skipping cancelled ones', async () => {
      const w3 = await store.getMeeting('w3');
      expect((await store.previousInSeries(w3!))?.id).toBe('w1');
      expect(await store.previousInSeries((await store.getMeeting('w1'))!)).toBeUndefined();
      expect(await store.previousInSeries((await store.getMeeting('one-off'))!)).toBeUndefined();
    });

    it('drops meetings a re-parsed file no longer contains', async () => {
      await store.storeUnit('src', unit('cal.ics', { fileHash: 'v2', meetings: [meeting('w3', { seriesId: 'weekly' })] }));
      expect((await store.listMeetings()).map((m) => m.id)).toEqual(['w3']);
    });
  });

  describe('itemsAmong and findItems', () => {
    beforeEach(async () => {
      await store.storeUnit(
        'src',
        unit('mix.json', {
          items: [
            item('ana-to-both', { authorId: ANA, access: [ANA, BEN], occurredAt: at(1) }),
            item('ben-to-all', { authorId: BEN, access: [ANA, BEN, CY], occurredAt: at(2), kind: 'email', threadId: 't1' }),
            item('ana-private', { authorId: ANA, access: [ANA], occurredAt: at(3) }),
            item('cy-to-all', { authorId: CY, access: [ANA, BEN, CY], occurredAt: at(4), threadId: 't1' }),
            item('old-ana', { authorId: ANA, access: [ANA, BEN], occurredAt: at(-100) }),
            item('no-author', { authorId: null, access: [ANA, BEN], occurredAt: at(5), kind: 'event' }),
          ],
        }),
      );
    });

    it('returns items written by one of the people that all of them may see, newest first', async () => {
      const among = await store.itemsAmong({ people: [ANA, BEN] });
      expect(among.map((i) => i.id)).toEqual(['ben-to-all', 'ana-to-both', 'old-ana']);
      expect((await store.itemsAmong({ people: [ANA, BEN], since: at(0) })).map((i) => i.id)).toEqual(['ben-to-all', 'ana-to-both']);
      expect((await store.itemsAmong({ people: [ANA, BEN], kinds: ['email'] })).map((i) => i.id)).toEqual(['ben-to-all']);
      expect((await store.itemsAmong({ people: [ANA] })).map((i) => i.id)).toEqual(['ana-private', 'ana-to-both', 'old-ana']);
      expect(await store.itemsAmong({ people: [] })).toEqual([]);
    });

    it('finds items by filter, always limited to what every visibleTo person may see', async () => {
      const ids = async (f: Parameters<MemoryStore['findItems']>[0], limit = 50) => (await store.findItems(f, limit)).map((i) => i.id);
      expect(await ids({ visibleTo: [CY] })).toEqual(['cy-to-all', 'ben-to-all']);
      expect(await ids({ visibleTo: [ANA, BEN] })).toEqual(['no-author', 'cy-to-all', 'ben-to-all', 'ana-to-both', 'old-ana']);
      expect(await ids({ visibleTo: [ANA], threadId: 't1' })).toEqual(['cy-to-all', 'ben-to-all']);
      expect(await ids({ visibleTo: [ANA], since: at(2), until: at(4) })).toEqual(['ana-private', 'ben-to-all']);
      expect(await ids({ visibleTo: [ANA], kinds: ['event', 'email'] })).toEqual(['no-author', 'ben-to-all']);
      expect(await ids({ visibleTo: [ANA] }, 2)).toEqual(['no-author', 'cy-to-all']);
      await expect(store.findItems({ visibleTo: [] }, 5)).rejects.toThrow(/visibleTo/);
    });

    it('gives the same items by reference (id, thread, author) as findItems, in the same order', async () => {
      const cases: [RetrievalFilter, number][] = [[{ visibleTo: [ANA, BEN] }, 50], [{ visibleTo: [ANA], since: at(2), until: at(5) }, 50], [{ visibleTo: [ANA] }, 2]];
      for (const [filter, limit] of cases) {
        const full = await store.findItems(filter, limit);
        expect(await store.findItemRefs(filter, limit)).toEqual(full.map((i) => ({ id: i.id, threadId: i.threadId, authorId: i.authorId })));
      }
      await expect(store.findItemRefs({ visibleTo: [] }, 5)).rejects.toThrow(/visibleTo/);
    });
  });

  describe('briefs and lineage', () => {
    const brief = (id: string, createdAt: Date): Brief => ({
      id,
      meetingId: 'cal:w3',
      recipients: [ANA, BEN],
      sections: [{ key: 'decisions', heading: 'Decisions', statements: [{ text: 'Ship Friday [1]', citations: [1] }] }],
      citations: [
        {
          marker: 1,
          itemId: 'tr',
          position: 0,
          sourceId: 'src',
          kind: 'transcript',
          author: 'Ana',
          occurredAt: at(-2),
          locator: 'file:///t.vtt#0',
          quote: 'We decided to ship.',
        },
      ],
      markdown: '# Brief\n\nShip Friday [1]',
      workflowId: 'meeting-cal:w3',
      runId: 'run-1',
      createdAt,
    });
    const lineage = (artifactId: string) => [
      { artifactType: 'brief' as const, artifactId, itemId: 'tr', position: 0, workflowId: 'meeting-cal:w3', runId: 'run-1', activity: 'prepareBrief' },
      { artifactType: 'brief' as const, artifactId, itemId: 'mail', workflowId: 'meeting-cal:w3', runId: 'run-1', activity: 'prepareBrief' },
    ];

    it('saves a brief with its lineage once, however often it is retried', async () => {
      expect(await store.saveBrief(brief('b1', at(0)), lineage('b1'))).toEqual({ created: true });
      expect(await store.saveBrief(brief('b1', at(0)), lineage('b1'))).toEqual({ created: false });

      expect(await store.getBrief('b1')).toEqual(brief('b1', at(0)));
      const recorded = await store.lineageOf('b1');
      expect(recorded.map(({ createdAt: _createdAt, ...entry }) => entry)).toEqual(lineage('b1'));
      expect(recorded.every((r) => r.createdAt instanceof Date)).toBe(true);
      expect(await store.lineageOf('nothing')).toEqual([]);
    });

    it('returns the latest brief of a meeting', async () => {
      await store.saveBrief(brief('early', at(-1)), []);
      await store.saveBrief(brief('late', at(1)), []);
      expect((await store.latestBrief('cal:w3'))?.id).toBe('late');
      expect(await store.latestBrief('cal:none')).toBeUndefined();
      expect(await store.getBrief('nope')).toBeUndefined();
    });

    it('writes neither brief nor lineage when the lineage is invalid', async () => {
      const bad = [{ ...lineage('b2')[0]!, artifactType: 'bogus' as 'brief' }];
      await expect(store.saveBrief(brief('b2', at(0)), bad)).rejects.toThrow();
      expect(await store.getBrief('b2')).toBeUndefined();
      expect(await store.lineageOf('b2')).toEqual([]);
    });
  });
});
