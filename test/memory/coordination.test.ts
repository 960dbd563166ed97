/**
 * The coordination graph's communication layer (interactions, migration 007) on both engines: filled by the
 * normal ingest path (MemoryStore.storeUnit), decayed and bounded at read time, and backfilled by the migration for
 * items stored before it.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { CoordinationGraph, type EdgeQuery } from '../../activities/memory/coordination';
import { migrate, MIGRATIONS_DIR } from '../../activities/memory/migrate';
import type { Db } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';
import { ANA, at, BEN, CY, item, person, unit } from './fixtures';

const DEV = 'dev@acme.test';
const quiet = { info: () => undefined };
const DAY_H = 24;

interface Row {
  item_id: string;
  from_id: string;
  to_id: string;
  kind: string;
  thread_id: string | null;
}

const rowsOf = async (db: Db, where = 'true') =>
  (await db.query<Row>(`SELECT item_id, from_id, to_id, kind, thread_id FROM interactions WHERE ${where} ORDER BY item_id, from_id, to_id`)).rows;

const query = (over: Partial<EdgeQuery> = {}): EdgeQuery => ({ at: at(DAY_H), halfLifeDays: 30, horizonDays: 365, recentDays: 30, limit: 50, ...over });

describe.each(DB_FLAVORS)('coordination graph on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let store: MemoryStore;
  let graph: CoordinationGraph;

  beforeAll(async () => {
    const vectors = await chooseVectorIndex(database.db, undefined, quiet);
    store = new MemoryStore({ db: database.db, vectors, embedder: new LocalHashingEmbedder() });
    await store.ready();
    graph = new CoordinationGraph(database.db);
  });

  beforeEach(async () => {
    await truncateAll(database.db);
    await store.upsertSource({ id: 'src', kind: 'files', config: {} });
    await store.upsertPeople([person(ANA), person(BEN), person(CY), person(DEV)]);
  });

  const email = item('mail-1', { kind: 'email', title: 'SPI clock fix', authorId: ANA, recipients: [BEN, CY], access: [ANA, BEN, CY], threadId: 'thread-spi', occurredAt: at(0) });
  const mention = item('chat-1', { kind: 'message', authorId: BEN, recipients: [DEV, BEN], access: [ANA, BEN, DEV], threadId: 'thread-spi', occurredAt: at(1) });
  const call = item('call-1', { kind: 'transcript', authorId: null, recipients: [ANA, CY, DEV], access: [ANA, CY, DEV], occurredAt: at(2) });

  it('records an interaction per recipient of every ingested item: email To/Cc, chat mentions, meeting attendees, with the conversation', async () => {
    await store.storeUnit('src', unit('mail-and-chat', { items: [email, mention, call] }));
    expect(await rowsOf(database.db)).toEqual([
      // a meeting without an author: every attendee met every other one
      { item_id: 'call-1', from_id: ANA, to_id: CY, kind: 'met', thread_id: null },
      { item_id: 'call-1', from_id: ANA, to_id: DEV, kind: 'met', thread_id: null },
      { item_id: 'call-1', from_id: CY, to_id: ANA, kind: 'met', thread_id: null },
      { item_id: 'call-1', from_id: CY, to_id: DEV, kind: 'met', thread_id: null },
      { item_id: 'call-1', from_id: DEV, to_id: ANA, kind: 'met', thread_id: null },
      { item_id: 'call-1', from_id: DEV, to_id: CY, kind: 'met', thread_id: null },
      // a mention of oneself is no interaction
      { item_id: 'chat-1', from_id: BEN, to_id: DEV, kind: 'messaged', thread_id: 'thread-spi' },
      { item_id: 'mail-1', from_id: ANA, to_id: BEN, kind: 'emailed', thread_id: 'thread-spi' },
      { item_id: 'mail-1', from_id: ANA, to_id: CY, kind: 'emailed', thread_id: 'thread-spi' },
    ]);

    expect((await graph.edges(ANA, 'out', query())).map((e) => [e.personId, e.count])).toEqual([
      [CY, 2],
      [DEV, 1], // met two hours later than the mail: a little more recent
      [BEN, 1],
    ]);
    expect((await graph.edges(DEV, 'in', query())).map((e) => e.personId).sort()).toEqual([ANA, BEN, CY]);
    const participants = await graph.threadParticipants('thread-spi', query());
    expect(participants.map((e) => [e.personId, e.count]).sort()).toEqual([
      [ANA, 1],
      [BEN, 2],
      [CY, 1],
      [DEV, 1],
    ]);
  });

  it('reingesting the same unit changes nothing; a changed item replaces its edges; a removed item takes them with it', async () => {
    await store.storeUnit('src', unit('mail', { fileHash: 'h1', items: [email, mention] }));
    const first = await rowsOf(database.db);
    expect(await store.storeUnit('src', unit('mail', { fileHash: 'h1', items: [email, mention] }))).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
    expect(await rowsOf(database.db)).toEqual(first);

    // the mail now goes to Dev instead of Cy: Cy's edge is gone, not kept beside the new one
    const readdressed = item('mail-1', { ...email, body: 'resent to dev', recipients: [BEN, DEV], contentHash: undefined });
    await store.storeUnit('src', unit('mail', { fileHash: 'h2', items: [readdressed, mention] }));
    expect((await rowsOf(database.db, `item_id = 'mail-1'`)).map((r) => r.to_id)).toEqual([BEN, DEV]);

    await store.storeUnit('src', unit('mail', { fileHash: 'h3', items: [readdressed] }));
    expect(await rowsOf(database.db, `item_id = 'chat-1'`)).toEqual([]);
  });

  it('decays by age as of the moment asked, never counts later interactions, and drops what is past the horizon', async () => {
    const old = item('mail-old', { kind: 'email', authorId: ANA, recipients: [BEN], access: [ANA, BEN], occurredAt: at(-200 * DAY_H) });
    const recent = item('mail-new', { kind: 'email', authorId: ANA, recipients: [CY], access: [ANA, CY], occurredAt: at(-DAY_H) });
    const later = item('mail-later', { kind: 'email', authorId: ANA, recipients: [DEV], access: [ANA, DEV], occurredAt: at(10 * DAY_H) });
    await store.storeUnit('src', unit('mail', { items: [old, recent, later] }));

    const edges = await graph.edges(ANA, 'out', query({ at: at(0) }));
    expect(edges.map((e) => e.personId)).toEqual([CY, BEN]);
    // a day old at a 30-day half-life is nearly whole; 200 days old is about 1 %
    expect(edges[0]!.weight).toBeCloseTo(2 ** (-1 / 30), 6);
    expect(edges[1]!.weight).toBeCloseTo(2 ** (-200 / 30), 6);
    expect(edges.map((e) => e.recent)).toEqual([1, 0]);

    expect((await graph.edges(ANA, 'out', query({ at: at(0), horizonDays: 90 }))).map((e) => e.personId)).toEqual([CY]);
    expect((await graph.edges(ANA, 'out', query({ at: at(11 * DAY_H), horizonDays: 90 }))).map((e) => e.personId)).toEqual([DEV, CY]);
  });

  it('names the people on the latest message of a conversation the viewer may see, before the moment asked', async () => {
    await store.storeUnit('src', unit('mail-and-chat', { items: [email, mention, call] }));
    // Ben's chat message (hour 1) is the latest; Cy may not see it, so for Cy it is Ana's email (hour 0)
    expect(await graph.latestInThread('thread-spi', at(DAY_H), ANA)).toEqual({ itemId: mention.id, occurredAt: mention.occurredAt, people: [BEN, DEV] });
    expect((await graph.latestInThread('thread-spi', at(DAY_H), CY))?.people).toEqual([ANA, BEN, CY]);
    // nothing after the moment asked counts, and a conversation with nothing before it has no latest message
    expect((await graph.latestInThread('thread-spi', at(0.5), ANA))?.itemId).toBe(email.id);
    expect(await graph.latestInThread('thread-spi', at(-1), ANA)).toBeUndefined();
    expect(await graph.latestInThread('no-such-thread', at(DAY_H), ANA)).toBeUndefined();
  });

  it('counts the author of a message whose recipients are unknown as taking part, lends it the recipients of the last addressed message, and skips the viewer’s own such message as the one to answer', async () => {
    // Cy's and then Ana's posts to the conversation name no recipients (an archive that kept only the sender)
    const cyPost = item('post-cy', { kind: 'email', authorId: CY, recipients: [], access: [ANA, CY], threadId: 'thread-spi', occurredAt: at(3) });
    const anaPost = item('post-ana', { kind: 'email', authorId: ANA, recipients: [], access: [ANA], threadId: 'thread-spi', occurredAt: at(4) });
    await store.storeUnit('src', unit('mail-and-posts', { items: [email, cyPost, anaPost] }));

    expect(await rowsOf(database.db, `item_id LIKE 'post-%'`)).toEqual([]);
    // each post is taken to have gone where the email before it went: Ana, Ben and Cy are on all three
    const participants = await graph.threadParticipants('thread-spi', query());
    expect(participants.map((e) => [e.personId, e.count]).sort()).toEqual([
      [ANA, 3],
      [BEN, 3],
      [CY, 3],
    ]);
    // a post with no addressed message before it says only that its author took part
    const opener = item('post-opener', { kind: 'email', authorId: DEV, recipients: [], access: [DEV], threadId: 'thread-new', occurredAt: at(5) });
    await store.storeUnit('src', unit('opener', { items: [opener] }));
    expect((await graph.threadParticipants('thread-new', query())).map((e) => [e.personId, e.count])).toEqual([[DEV, 1]]);
    // for Ana, her own post says nothing about whom to answer: Cy's post before it does, and went (as far as anyone
    // knows) where the last addressed message of the conversation went
    expect(await graph.latestInThread('thread-spi', at(DAY_H), ANA)).toEqual({ itemId: cyPost.id, occurredAt: cyPost.occurredAt, people: [CY, ANA, BEN] });
    // Cy may not see Ana's post, and takes their own post to name nobody else either: Ana's email is the one
    expect((await graph.latestInThread('thread-spi', at(DAY_H), CY))?.itemId).toBe(email.id);
  });
});

describe.each(DB_FLAVORS)('migration 007 on %s', (flavor) => {
  const database = useTestDatabase(flavor, { migrate: false });

  it('backfills the authored interactions of items stored before it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycelium-before-007-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      for (const f of await readdir(dir)) if (f.endsWith('.sql') && Number.parseInt(f, 10) >= 7) await rm(join(dir, f));
      await migrate(database.db, { dir });
      expect((await database.db.query<{ t: string | null }>(`SELECT to_regclass('interactions')::text AS t`)).rows[0]?.t).toBeNull();

      await database.db.exec(`
        INSERT INTO sources (id, kind, config) VALUES ('src', 'files', '{}');
        INSERT INTO items (id, source_id, external_id, kind, body, author_id, occurred_at, thread_id, locator, access, recipients, content_hash) VALUES
          ('mail-1', 'src', 'mail-1', 'email', 'b', '${ANA}', '2026-03-01T10:00:00Z', 'thread-spi', 'x', '{${ANA},${BEN},${CY}}', '{${BEN},${CY},${ANA}}', 'h'),
          ('chat-1', 'src', 'chat-1', 'message', 'b', '${BEN}', '2026-03-01T11:00:00Z', NULL, 'x', '{${BEN},${DEV}}', '{${DEV}}', 'h'),
          ('note-1', 'src', 'note-1', 'doc', 'b', NULL, '2026-03-01T12:00:00Z', NULL, 'x', '{${ANA}}', '{}', 'h');
      `);
      await migrate(database.db);

      expect(await rowsOf(database.db)).toEqual([
        { item_id: 'chat-1', from_id: BEN, to_id: DEV, kind: 'messaged', thread_id: null },
        { item_id: 'mail-1', from_id: ANA, to_id: BEN, kind: 'emailed', thread_id: 'thread-spi' },
        { item_id: 'mail-1', from_id: ANA, to_id: CY, kind: 'emailed', thread_id: 'thread-spi' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
