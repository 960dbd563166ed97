/**
 * The drive and directory streams against the local Google API: a first listing from the start page token, then
 * the changes feed (page token sent exactly, newStartPageToken kept), Docs text via export, permissions → access
 * lists (user, group through the directory, domain, anyone with the link), removals, a Meet transcript → a
 * transcript item with speakers; Admin directory users → people with managers. Then through the real store
 * (PGlite): a restricted Doc is not found by a person it is not shared with.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directoryFrom } from '../../../activities/connectors/files';
import type { StreamPage } from '../../../activities/connectors/port';
import { LocalHashingEmbedder } from '../../../activities/intelligence/embeddings/local';
import { MemoryStore } from '../../../activities/memory/store';
import { chooseVectorIndex } from '../../../activities/memory/vector-index';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { startFakeGoogleApi, type FakeGoogleApi } from '../../support/fake-google-api';
import { ALICE, BOB, CARA, connectorFor, context, DAN, OLIVER, readAll, TEAM } from './helpers';

const ADMIN = 'admin@acme.test';
const DOC_MIME = 'application/vnd.google-apps.document';
const config = { drive: true, actAs: ADMIN, directory: { customer: 'my_customer' } };
const units = (pages: StreamPage[]) => pages.flatMap((p) => p.units);
const user = (email: string, role = 'reader') => ({ id: `p-${email}`, type: 'user', emailAddress: email, role });

function seedDirectory(api: FakeGoogleApi): void {
  api.users.push(
    { id: '101', primaryEmail: ALICE, name: { fullName: 'Alice Chen' }, organizations: [{ title: 'VP Engineering', department: 'Engineering', primary: true }] },
    { id: '102', primaryEmail: BOB, name: { fullName: 'Bob Okafor' }, relations: [{ type: 'manager', value: ALICE }], aliases: ['robert@acme.test'] },
    { id: '103', primaryEmail: CARA, name: { fullName: 'Cara Diaz' }, relations: [{ type: 'manager', value: ALICE }], customSchemas: { Work: { timezone: 'America/New_York' } } },
    { id: '104', primaryEmail: DAN, name: { fullName: 'Dan Roe' }, relations: [{ type: 'dotted_line_manager', value: CARA }, { type: 'manager', value: BOB }] },
    { id: '105', primaryEmail: OLIVER, name: { fullName: 'Oliver Out' } },
    { id: '106', primaryEmail: 'gone@acme.test', name: { fullName: 'Gone Person' }, suspended: true },
  );
  api.groups.set('mobile@acme.test', [
    { email: BOB, type: 'USER', role: 'MEMBER', status: 'ACTIVE' },
    { email: DAN, type: 'USER', role: 'MEMBER', status: 'ACTIVE' },
  ]);
}

const TRANSCRIPT = [
  'Launch review (2025-01-28 10:02 GMT+1) - Transcript',
  '',
  'Attendees',
  'Alice Chen, Bob Okafor, Oliver Out',
  '',
  'Transcript',
  '',
  'This editable transcript was computer generated and might contain errors. People can also change the text after it was created.',
  '',
  '00:00:00',
  '',
  'Alice Chen: Good morning. Let us settle the launch plan.',
  'Bob Okafor: We decided to ship Android first.',
  'The iOS build follows in March.',
  'Oliver Out: I would rather not be recorded.',
  '',
  '00:05:00',
  '',
  'Alice Chen: Bob owns the rollout checklist.',
  '',
  'Meeting ended after 00:07:12 👋',
].join('\n');

describe('google drive and directory streams', () => {
  let api: FakeGoogleApi;
  beforeEach(async () => {
    api = await startFakeGoogleApi();
    seedDirectory(api);
  });
  afterEach(() => api.close());

  it('lists Docs first (start page token taken before), then follows the changes feed with the exact page token', async () => {
    for (let i = 0; i < 120; i++) api.putFile({ id: `doc${i}`, name: `Doc ${i}`, text: `Body ${i}`, owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner')] });
    api.putFile({ id: 'sheet', name: 'Budget', mimeType: 'application/vnd.google-apps.spreadsheet', text: '', owners: [{ emailAddress: ALICE }], permissionList: [] });
    const start = String(api.drive.seq + 1);
    const connector = connectorFor(api, config);
    const pages = await readAll(connector, 'drive', null);
    expect(pages.map((p) => [p.units.length, p.more, p.full])).toEqual([
      [100, true, true],
      [20, false, true],
    ]);
    expect(pages[0]!.cursor).toEqual({ listing: { startPageToken: start, pageToken: 'o100' } });
    expect(pages[1]!.cursor).toEqual({ pageToken: start });
    const lists = api.requestsTo(/^\/drive\/v3\/files$/);
    expect(lists[0]!.query.get('q')).toBe(`mimeType = '${DOC_MIME}' and trashed = false`);
    expect(lists[1]!.query.get('pageToken')).toBe('o100');
    expect(api.requestsTo(/^\/drive\/v3\/changes\/startPageToken$/)).toHaveLength(1);
    expect(api.requestsTo(/\/export$/).every((r) => r.query.get('mimeType') === 'text/plain' && r.authorization === `Bearer tok:${ADMIN}`)).toBe(true);

    // changes: an edit, a removal, a trashed doc, a non-Doc
    api.putFile({ id: 'doc1', name: 'Doc 1', text: 'Body 1, edited', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner')] });
    api.removeFile('doc2');
    api.putFile({ id: 'doc3', name: 'Doc 3', text: 'Body 3', trashed: true, owners: [{ emailAddress: ALICE }], permissionList: [] });
    api.putFile({ id: 'sheet', name: 'Budget v2', mimeType: 'application/vnd.google-apps.spreadsheet', text: '', owners: [{ emailAddress: ALICE }], permissionList: [] });
    const [change] = await readAll(connector, 'drive', pages[1]!.cursor);
    const changes = api.requestsTo(/^\/drive\/v3\/changes$/);
    expect(changes.at(-1)!.query.get('pageToken')).toBe(start);
    expect(changes.at(-1)!.query.get('includeRemoved')).toBe('true');
    expect(change).toMatchObject({ full: false, more: false, deleted: ['drive/doc2', 'drive/doc3'], cursor: { pageToken: String(api.drive.seq + 1) } });
    expect(change!.units.map((u) => [u.path, u.items[0]?.body])).toEqual([['drive/doc1', 'Body 1, edited']]);
  });

  it('pages the changes feed with nextPageToken, and a refused page token lists in full again', async () => {
    const connector = connectorFor(api, config);
    const [first] = await readAll(connector, 'drive', null);
    for (let i = 0; i < 150; i++) api.putFile({ id: `d${i}`, name: `D${i}`, text: `t${i}`, owners: [{ emailAddress: BOB }], permissionList: [user(BOB, 'owner')] });
    const pages = await readAll(connector, 'drive', first!.cursor);
    expect(pages.map((p) => p.units.length)).toEqual([100, 50]);
    const tokens = api.requestsTo(/^\/drive\/v3\/changes$/).map((r) => r.query.get('pageToken'));
    expect(tokens).toEqual([first!.cursor.pageToken, pages[0]!.cursor.pageToken]);

    api.drive.oldestToken = api.drive.seq + 10;
    const [relisted] = await readAll(connector, 'drive', pages[1]!.cursor);
    expect(relisted).toMatchObject({ full: true });
  });

  it('permissions become access: user, group members via the directory, domain, anyone with the link', async () => {
    api.putFile({ id: 'private', name: 'Private', text: 'Only Alice and Cara.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), user(CARA, 'writer')] });
    api.putFile({ id: 'group', name: 'Mobile plan', text: 'For the mobile group.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), { id: 'g1', type: 'group', emailAddress: 'mobile@acme.test', role: 'reader' }] });
    api.putFile({ id: 'foreign', name: 'Partner doc', text: 'Shared with a partner list.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), { id: 'g2', type: 'group', emailAddress: 'list@partner.test', role: 'reader' }] });
    api.putFile({ id: 'domain', name: 'All hands', text: 'Whole company.', owners: [{ emailAddress: BOB }], permissionList: [user(BOB, 'owner'), { id: 'd1', type: 'domain', domain: 'acme.test', role: 'reader' }] });
    api.putFile({ id: 'link', name: 'Public FAQ', text: 'Anyone with the link.', owners: [{ emailAddress: BOB }], permissionList: [user(BOB, 'owner'), { id: 'anyoneWithLink', type: 'anyone', role: 'reader', allowFileDiscovery: false }] });
    api.putFile({ id: 'oliver', name: 'Oliver notes', text: 'Not opted in.', owners: [{ emailAddress: OLIVER }], permissionList: [user(OLIVER, 'owner'), user(ALICE)] });
    const connector = connectorFor(api, config);
    const byPath = new Map(units(await readAll(connector, 'drive', null)).map((u) => [u.path, u]));
    const access = (id: string) => byPath.get(`drive/${id}`)!.items[0]?.access;
    expect(access('private')).toEqual([ALICE, CARA]);
    expect(access('group')).toEqual([ALICE, BOB, DAN]);
    expect(access('foreign')).toEqual([ALICE, 'list@partner.test']); // not a group of this directory: its address stays
    expect(access('domain')).toEqual([ALICE, BOB, CARA, DAN]); // Oliver is not opted in; the suspended user is not listed
    expect(access('link')).toEqual([ALICE, BOB, CARA, DAN]);
    expect(byPath.get('drive/oliver')!.items).toEqual([]); // owner outside the opt-in: held back
    expect(byPath.get('drive/private')!.items[0]).toMatchObject({ kind: 'doc', title: 'Private', body: 'Only Alice and Cara.', authorId: ALICE, externalId: 'drive:private', locator: 'https://docs.google.com/document/d/private/edit?usp=drivesdk' });
    expect(api.requestsTo(/\/groups\/mobile@acme\.test\/members$/)[0]!.query.get('includeDerivedMembership')).toBe('true');
    expect(api.requestsTo(/^\/admin\/directory\/v1\/users$/)).toHaveLength(1); // read once, kept for the others

    // without a directory: a group stays its address, domain and link shares add nobody (the safe side)
    const bare = connectorFor(api, { drive: true, actAs: ADMIN });
    const bareUnits = new Map(units(await readAll(bare, 'drive', null)).map((u) => [u.path, u]));
    expect(bareUnits.get('drive/group')!.items[0]!.access).toEqual([ALICE, 'mobile@acme.test']);
    expect(bareUnits.get('drive/domain')!.items[0]!.access).toEqual([BOB]);
    expect(bareUnits.get('drive/link')!.items[0]!.access).toEqual([BOB]);
  });

  it('a Meet transcript Doc becomes a transcript item with speakers; outside-opt-in turns are held back', async () => {
    api.putFile({ id: 'tx', name: 'Launch review (2025-01-28 10:02 GMT+1) - Transcript', text: TRANSCRIPT, owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), user(BOB, 'reader')] });
    api.putFile({ id: 'folder1', name: 'Meet Recordings', mimeType: 'application/vnd.google-apps.folder', text: '', owners: [{ emailAddress: ALICE }], permissionList: [] });
    api.putFile({ id: 'tx2', name: 'Renamed notes', parents: ['folder1'], text: TRANSCRIPT, owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner')] });
    const connector = connectorFor(api, config);
    const byPath = new Map(units(await readAll(connector, 'drive', null)).map((u) => [u.path, u]));
    const item = byPath.get('drive/tx')!.items[0]!;
    expect(item).toMatchObject({
      kind: 'transcript',
      externalId: 'drive:tx',
      title: 'Launch review (2025-01-28 10:02 GMT+1) - Transcript',
      authorId: null,
      access: [ALICE, BOB],
      recipients: [ALICE, BOB],
      locator: 'https://docs.google.com/document/d/tx/edit?usp=drivesdk',
    });
    expect(item.occurredAt.toISOString()).toBe('2025-01-28T09:02:00.000Z');
    expect(item.segments).toEqual([
      { position: 0, text: 'Good morning. Let us settle the launch plan.', speakerId: ALICE, startMs: 0 },
      { position: 1, text: 'We decided to ship Android first. The iOS build follows in March.', speakerId: BOB, startMs: 0 },
      { position: 3, text: 'Bob owns the rollout checklist.', speakerId: ALICE, startMs: 300_000 },
    ]);
    expect(item.meta).toMatchObject({ speakers: [ALICE, BOB], omittedTurns: 1, driveFileId: 'tx' });
    expect(JSON.stringify(item)).not.toContain('rather not');
    expect(byPath.get('drive/tx2')!.items[0]!.kind).toBe('transcript'); // by its folder
    expect(api.requestsTo(/^\/drive\/v3\/files\/folder1$/)).toHaveLength(1);

    const off = connectorFor(api, { ...config, transcripts: false });
    const plain = new Map(units(await readAll(off, 'drive', null)).map((u) => [u.path, u]));
    expect(plain.get('drive/tx')!.items[0]!.kind).toBe('doc');
  });

  it('directory users become people with managers, aliases and time zones; the opt-in stays as the store has it', async () => {
    const connector = connectorFor(api, { directory: { customer: 'my_customer' }, actAs: ADMIN });
    const pages = await readAll(connector, 'directory', null);
    expect(pages.every((p) => p.full)).toBe(true);
    const people = units(pages).flatMap((u) => u.people);
    expect(units(pages).map((u) => u.path)).toEqual([ALICE, BOB, CARA, DAN, OLIVER].map((e) => `directory/${e}`));
    const byId = new Map(people.map((p) => [p.id, p]));
    expect(byId.get(ALICE)).toMatchObject({ name: 'Alice Chen', title: 'VP Engineering', team: 'Engineering', optedIn: true });
    expect(byId.get(ALICE)!.managerId).toBeUndefined();
    expect(byId.get(BOB)).toMatchObject({ managerId: ALICE, identities: expect.arrayContaining([{ provider: 'email', externalId: 'robert@acme.test' }, { provider: 'google', externalId: '102' }]) });
    expect(byId.get(CARA)).toMatchObject({ managerId: ALICE, timezone: 'America/New_York' });
    expect(byId.get(DAN)!.managerId).toBe(BOB); // the manager relation, not the dotted line
    expect(byId.get(OLIVER)!.optedIn).toBe(false);
    const list = api.requestsTo(/^\/admin\/directory\/v1\/users$/)[0]!;
    expect(Object.fromEntries(list.query)).toMatchObject({ customer: 'my_customer', projection: 'full', viewType: 'admin_view' });
    expect(list.authorization).toBe(`Bearer tok:${ADMIN}`);
    // someone new to the store starts outside the opt-in
    const fresh = await connector.readPage('directory', null, context({ directory: directoryFrom([]) }));
    expect(fresh.units.flatMap((u) => u.people).every((p) => !p.optedIn)).toBe(true);
  });
});

describe('a restricted Drive doc in the real store (PGlite)', () => {
  let database: TestDatabase;
  let store: MemoryStore;
  let api: FakeGoogleApi;
  beforeAll(async () => {
    database = await createTestDatabase('pglite', { migrate: true });
    const vectors = await chooseVectorIndex(database.db, undefined, pino({ level: 'silent' }));
    store = new MemoryStore({ db: database.db, vectors, embedder: new LocalHashingEmbedder() });
    await store.upsertPeople(TEAM);
    api = await startFakeGoogleApi();
    seedDirectory(api);
  }, 60_000);
  afterAll(async () => {
    await api.close();
    await database.dispose();
  });

  it('is found by the people it is shared with and by nobody else, in text and vector search', async () => {
    api.putFile({ id: 'salaries', name: 'Compensation bands', text: 'Compensation bands for the mobile team: zircon ladder.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), user(CARA, 'reader')] });
    api.putFile({ id: 'open', name: 'Zircon launch', text: 'The zircon launch is on track.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), { id: 'd', type: 'domain', domain: 'acme.test', role: 'reader' }] });
    const connector = connectorFor(api, config);
    const listing = await readAll(connector, 'drive', null);
    for (const page of listing) for (const unit of page.units) await store.storeUnit('gw', unit);

    const titles = async (who: string) => {
      const hits = [...(await store.searchText('zircon', { visibleTo: [who] }, 10)), ...(await store.searchVector('zircon compensation', { visibleTo: [who] }, 10))];
      const items = await store.getItems([...new Set(hits.map((h) => h.itemId))]);
      return [...new Set(items.map((i) => i.title))].sort();
    };
    expect(await titles(CARA)).toEqual(['Compensation bands', 'Zircon launch']);
    expect(await titles(BOB)).toEqual(['Zircon launch']);
    expect(await titles(DAN)).toEqual(['Zircon launch']);

    // unshared from Cara at the source: after the next change, Cara no longer finds it
    api.putFile({ id: 'salaries', name: 'Compensation bands', text: 'Compensation bands for the mobile team: zircon ladder.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner')] });
    for (const page of await readAll(connector, 'drive', listing.at(-1)!.cursor)) for (const unit of page.units) await store.storeUnit('gw', unit);
    expect(await titles(CARA)).toEqual(['Zircon launch']);
    expect(await titles(ALICE)).toEqual(['Compensation bands', 'Zircon launch']);
  });
});
