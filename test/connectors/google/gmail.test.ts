/**
 * The gmail stream against the local Google API: a full listing page by page (page token sent exactly), threads
 * read whole as one unit, access = mailbox owner + From/To/Cc, labels in meta, senders outside the opt-in held
 * back; then history increments (additions, label changes, deletions) and 404 on an old history id → full again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogleApi, type FakeGoogleApi } from '../../support/fake-google-api';
import { ALICE, BOB, CARA, connectorFor, context, DAN, OLIVER, readAll } from './helpers';

const BOX = ALICE;
const STREAM = `gmail:${BOX}`;
const USER = `/gmail/v1/users/${BOX}`;

describe('google gmail stream', () => {
  let api: FakeGoogleApi;
  beforeEach(async () => {
    api = await startFakeGoogleApi();
    api.mailbox(BOX);
  });
  afterEach(() => api.close());

  it('lists threads page by page, reads each whole (format=full), and keeps the history id taken before listing', async () => {
    api.generateMail(BOX, { threads: 130, perThread: 2, people: [ALICE, BOB, CARA] });
    const historyBefore = String(api.mailbox(BOX).historyId);
    const connector = connectorFor(api, { mailboxes: [BOX] });
    const first = await connector.readPage(STREAM, null, context());
    expect(first).toMatchObject({ more: true, full: true, deleted: [] });
    expect(first.units).toHaveLength(100);
    expect(first.cursor).toEqual({ full: true, historyId: historyBefore, pageToken: 'o100' });
    const second = await connector.readPage(STREAM, first.cursor, context());
    expect(second).toMatchObject({ more: false, full: true, cursor: { historyId: historyBefore } });
    expect(second.units).toHaveLength(30);

    const lists = api.requestsTo(new RegExp(`^${USER}/threads$`));
    expect(lists.map((r) => Object.fromEntries(r.query))).toEqual([{ maxResults: '100' }, { maxResults: '100', pageToken: 'o100' }]);
    const gets = api.requestsTo(new RegExp(`^${USER}/threads/[^/]+$`));
    expect(gets).toHaveLength(130);
    expect(gets.every((r) => r.query.get('format') === 'full' && r.authorization === `Bearer tok:${BOX}`)).toBe(true);
    expect(api.requestsTo(new RegExp(`^${USER}/profile$`))).toHaveLength(1);
    expect(new Set(first.units.map((u) => u.path)).size).toBe(100);
    expect(first.units.every((u) => u.items.length === 2 && u.path.startsWith(`${STREAM}/t`))).toBe(true);
  });

  it('a message becomes an email item: decoded text, thread by References, access = owner + From/To/Cc, labels by name', async () => {
    const root = api.addMessage(BOX, 'th1', {
      from: 'Bob Okafor <bob@acme.test>',
      to: ['Cara Diaz <cara@acme.test>'],
      cc: ['Dan Roe <dan@acme.test>', 'partner@external.test'],
      subject: 'Décision: ship Android first',
      text: 'We decided to ship Android first.\n\nOwner: Cara — due Friday.',
      date: new Date('2025-01-28T10:00:00Z'),
      messageId: '<root@mail.acme.test>',
      labelIds: ['INBOX', 'Label_7'],
    });
    api.addMessage(BOX, 'th1', {
      from: 'oliver@acme.test',
      to: [BOB],
      subject: 'Re: Décision: ship Android first',
      text: 'Not opted in, never stored.',
      date: new Date('2025-01-28T11:00:00Z'),
      inReplyTo: '<root@mail.acme.test>',
    });
    api.addMessage(BOX, 'th1', {
      from: CARA,
      to: [BOB],
      subject: 'Re: Décision: ship Android first',
      text: 'Agreed, on it.\n\nOn Tue, Jan 28, 2025 Bob wrote:\n> We decided to ship Android first.',
      date: new Date('2025-01-28T12:00:00Z'),
      inReplyTo: '<root@mail.acme.test>',
    });
    const connector = connectorFor(api, { mailboxes: [BOX] });
    const [page] = await readAll(connector, STREAM, null);
    expect(page!.units).toHaveLength(1);
    const unit = page!.units[0]!;
    expect(unit.path).toBe(`${STREAM}/th1`);
    const [first, reply] = unit.items;
    expect(unit.items).toHaveLength(2); // Oliver's message held back
    expect(first).toMatchObject({
      kind: 'email',
      externalId: `gmail:${BOX}:<root@mail.acme.test>`,
      title: 'Décision: ship Android first',
      body: 'We decided to ship Android first.\n\nOwner: Cara — due Friday.',
      authorId: BOB,
      threadId: '<root@mail.acme.test>',
      access: [ALICE, BOB, CARA, DAN],
      recipients: [CARA, DAN],
    });
    expect(first!.occurredAt.toISOString()).toBe('2025-01-28T10:00:00.000Z');
    expect(first!.meta).toMatchObject({ mailbox: BOX, gmailId: root, gmailThreadId: 'th1', labels: ['INBOX', 'Projects/Launch'], outsideOptInCount: 1 });
    expect(first!.segments.map((s) => s.text)).toEqual(['We decided to ship Android first.', 'Owner: Cara — due Friday.']);
    expect(reply).toMatchObject({ authorId: CARA, body: 'Agreed, on it.', threadId: '<root@mail.acme.test>', access: [ALICE, BOB, CARA] });
    expect(JSON.stringify(unit)).not.toContain('never stored');
    expect(JSON.stringify(unit)).not.toContain(OLIVER);
  });

  it('increments through the history: a new message re-reads its thread, a deleted one leaves it, a trashed thread is deleted', async () => {
    api.addMessage(BOX, 'a', { from: BOB, to: [ALICE], subject: 'A', text: 'first of a', date: new Date('2025-01-20T10:00:00Z') });
    const second = api.addMessage(BOX, 'a', { from: ALICE, to: [BOB], subject: 'Re: A', text: 'second of a', date: new Date('2025-01-20T11:00:00Z') });
    const onlyB = api.addMessage(BOX, 'b', { from: CARA, to: [ALICE], subject: 'B', text: 'only b', date: new Date('2025-01-21T10:00:00Z') });
    const connector = connectorFor(api, { mailboxes: [BOX] });
    const [full] = await readAll(connector, STREAM, null);
    const start = full!.cursor.historyId;

    api.addMessage(BOX, 'c', { from: DAN, to: [ALICE], subject: 'C', text: 'new thread c', date: new Date('2025-01-22T10:00:00Z') });
    api.deleteMessage(BOX, second);
    api.addLabel(BOX, onlyB, 'TRASH');
    const pages = await readAll(connector, STREAM, full!.cursor);
    const history = api.requestsTo(new RegExp(`^${USER}/history$`));
    expect(history).toHaveLength(1);
    expect(history[0]!.query.get('startHistoryId')).toBe(start);
    expect(history[0]!.query.getAll('historyTypes')).toEqual(['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved']);
    const [page] = pages;
    expect(page).toMatchObject({ full: false, more: false, deleted: [`${STREAM}/b`], cursor: { historyId: String(api.mailbox(BOX).historyId) } });
    expect(page!.units.map((u) => [u.path, u.items.map((i) => i.body)])).toEqual([
      [`${STREAM}/c`, ['new thread c']],
      [`${STREAM}/a`, ['first of a']],
    ]);

    // nothing new: an empty page that keeps the cursor moving
    const [idle] = await readAll(connector, STREAM, page!.cursor);
    expect(idle).toMatchObject({ units: [], deleted: [], more: false, cursor: page!.cursor });
  });

  it('pages the history with the same start id and the page token', async () => {
    const connector = connectorFor(api, { mailboxes: [BOX] });
    api.addMessage(BOX, 'seed', { from: BOB, to: [ALICE], subject: 's', text: 'seed', date: new Date('2025-01-20T10:00:00Z') });
    const [full] = await readAll(connector, STREAM, null);
    for (let i = 0; i < 120; i++) api.addMessage(BOX, `n${i}`, { from: BOB, to: [ALICE], subject: `n${i}`, text: `n${i}`, date: new Date('2025-01-21T10:00:00Z') });
    api.historyPageLimit = 50;
    const pages = await readAll(connector, STREAM, full!.cursor);
    const history = api.requestsTo(new RegExp(`^${USER}/history$`));
    expect(history).toHaveLength(3);
    expect(history.map((r) => r.query.get('startHistoryId'))).toEqual(history.map(() => full!.cursor.historyId));
    expect(history.map((r) => r.query.get('pageToken'))).toEqual([null, 'o50', 'o100']);
    expect(history[0]!.query.get('maxResults')).toBe('500');
    expect(pages.map((p) => [p.more, p.cursor])).toEqual([
      [true, { historyId: full!.cursor.historyId, pageToken: 'o50' }],
      [true, { historyId: full!.cursor.historyId, pageToken: 'o100' }],
      [false, { historyId: String(api.mailbox(BOX).historyId) }],
    ]);
    expect(pages.flatMap((p) => p.units)).toHaveLength(120);
  });

  it('404 on a history id Gmail no longer keeps: a full listing, marked full', async () => {
    api.addMessage(BOX, 'a', { from: BOB, to: [ALICE], subject: 'A', text: 'a', date: new Date('2025-01-20T10:00:00Z') });
    const connector = connectorFor(api, { mailboxes: [BOX] });
    const [full] = await readAll(connector, STREAM, null);
    api.addMessage(BOX, 'b', { from: BOB, to: [ALICE], subject: 'B', text: 'b', date: new Date('2025-01-21T10:00:00Z') });
    api.forgetHistory(BOX);
    const [again] = await readAll(connector, STREAM, full!.cursor);
    expect(again).toMatchObject({ full: true, more: false, cursor: { historyId: String(api.mailbox(BOX).historyId) } });
    expect(again!.units.map((u) => u.path).sort()).toEqual([`${STREAM}/a`, `${STREAM}/b`]);
    const [history, profile] = api.requests.filter((r) => /history|profile/.test(r.path)).slice(-2);
    expect(history!.path).toBe(`${USER}/history`);
    expect(profile!.path).toBe(`${USER}/profile`);
  });
});
