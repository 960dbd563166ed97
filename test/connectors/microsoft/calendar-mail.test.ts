/**
 * Calendar and mail streams against the local Graph: the exact delta requests (paths, window, Prefer, bearer token
 * from the client-credentials grant), nextLink paging, deltaLink increments, `@removed` deletions, and the reset to
 * a full listing when Graph no longer knows the delta token (410 syncStateNotFound).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph-api';
import { addr, ALICE, BOB, CAROL, connectorFor, DEV, readPass } from './setup';

const event = (id: string, over: Record<string, unknown> = {}) => ({
  '@odata.etag': `W/"${id}"`,
  id,
  subject: `Sync ${id}`,
  body: { contentType: 'text', content: 'Agenda: the Android rollout.\n\nDecide the date.' },
  start: { dateTime: '2026-03-03T10:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2026-03-03T10:30:00.0000000', timeZone: 'UTC' },
  isCancelled: false,
  type: 'singleInstance',
  organizer: addr(ALICE, 'Alice Chen'),
  attendees: [
    { type: 'required', status: { response: 'accepted', time: '2026-03-01T09:00:00Z' }, ...addr(BOB, 'Bob Okafor') },
    { type: 'optional', status: { response: 'declined', time: '2026-03-01T09:00:00Z' }, ...addr(CAROL, 'Carol Diaz') },
    { type: 'required', status: { response: 'none' }, ...addr(DEV, 'Dev Null') },
    { type: 'resource', status: { response: 'accepted' }, ...addr('room-4@contoso.test', 'Room 4') },
  ],
  location: { displayName: 'Room 4' },
  isOnlineMeeting: true,
  onlineMeeting: { joinUrl: `https://teams.microsoft.com/l/meetup-join/${id}` },
  webLink: `https://outlook.office365.com/owa/?itemid=${id}`,
  ...over,
});

describe('calendar:<user> over calendarView/delta', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
  });
  afterEach(() => fake.close());

  it('pages by nextLink, stores the deltaLink, then reads only changes and deletions', async () => {
    const calendar = fake.delta(`calendar:${ALICE}`);
    calendar.upsert(event('AAMkE1'), event('AAMkE2'), event('AAMkE3'));
    const connector = connectorFor(fake);
    const stream = `calendar:${ALICE}`;

    const first = await readPass(connector, stream, null);
    expect(first.pages.map((p) => [p.units.length, p.more, p.full])).toEqual([
      [2, true, true],
      [1, false, true],
    ]);
    const [token, initial, next] = fake.requests;
    expect(token?.path).toBe('/contoso-tenant/oauth2/v2.0/token');
    expect(new URLSearchParams(token?.body).get('grant_type')).toBe('client_credentials');
    expect(initial?.path).toBe(`/v1.0/users/${ALICE}/calendarView/delta`);
    expect(Object.fromEntries(initial!.query)).toEqual({ startDateTime: '2025-12-02T00:00:00.000Z', endDateTime: '2026-08-30T00:00:00.000Z' });
    expect(initial?.authorization).toBe('Bearer fake-token-1');
    expect(initial?.prefer).toBe('outlook.timezone="UTC", outlook.body-content-type="text", odata.maxpagesize=2');
    // the nextLink is followed as Graph gave it, through the configured base URL, with the same token
    expect(next?.path).toBe(initial?.path);
    expect(next?.query.get('$skiptoken')).toBe(new URL(String(first.pages[0]!.cursor.next)).searchParams.get('$skiptoken'));
    expect(next?.authorization).toBe('Bearer fake-token-1');
    expect(first.cursor.links).toEqual({ [ALICE]: expect.stringContaining('$deltatoken=') });

    const unit = first.pages[0]!.units.find((u) => u.path === `${stream}/AAMkE1`)!;
    const [meeting] = unit.meetings;
    expect(meeting).toMatchObject({
      id: `${ALICE}:AAMkE1`,
      calendarId: ALICE,
      eventId: 'AAMkE1',
      organizerId: ALICE,
      attendeeIds: [BOB], // Carol declined; Dev is outside the opt-in; the room is no one
      outsideOptInCount: 1,
      status: 'confirmed',
      startsAt: new Date('2026-03-03T10:00:00Z'),
      location: 'Room 4',
      sourceId: 'm365',
    });
    const [item] = unit.items;
    expect(item?.access).toEqual([ALICE, BOB, CAROL]);
    expect(item?.meta).toMatchObject({ meetingId: `${ALICE}:AAMkE1`, joinUrl: 'https://teams.microsoft.com/l/meetup-join/AAMkE1', responses: { [BOB]: 'accepted', [CAROL]: 'declined' } });
    expect(JSON.stringify(unit)).not.toContain(DEV);

    calendar.upsert(event('AAMkE1', { subject: 'Moved', isCancelled: true }));
    calendar.remove('AAMkE2');
    fake.requests.length = 0;
    const second = await readPass(connector, stream, first.cursor);
    expect(fake.requests[0]?.query.get('$deltatoken')).toBe(new URL(String((first.cursor.links as Record<string, string>)[ALICE])).searchParams.get('$deltatoken'));
    expect(fake.requests[0]?.query.has('startDateTime')).toBe(false);
    const [page] = second.pages;
    expect(page).toMatchObject({ more: false, full: false, deleted: [`${stream}/AAMkE2`] });
    expect(page?.units.map((u) => [u.path, u.meetings[0]?.status, u.meetings[0]?.title])).toEqual([[`${stream}/AAMkE1`, 'cancelled', 'Moved']]);
  });

  it('starts over with a full listing when Graph answers 410 syncStateNotFound to the stored deltaLink', async () => {
    const calendar = fake.delta(`calendar:${ALICE}`);
    calendar.upsert(event('AAMkE1'));
    const connector = connectorFor(fake);
    const stream = `calendar:${ALICE}`;
    const first = await readPass(connector, stream, null);
    calendar.forget();
    calendar.upsert(event('AAMkE9'));
    fake.requests.length = 0;

    const again = await readPass(connector, stream, first.cursor);
    expect(fake.requests.map((r) => [r.query.has('$deltatoken'), r.query.has('startDateTime')])).toEqual([
      [true, false], // refused: 410
      [false, true], // the full listing from the start
    ]);
    expect(again.pages[0]).toMatchObject({ full: true, more: false, deleted: [] });
    expect(again.pages[0]?.units.map((u) => u.path).sort()).toEqual([`${stream}/AAMkE1`, `${stream}/AAMkE9`]);
  });
});

const message = (id: string, from: string, to: string[], over: Record<string, unknown> = {}) => ({
  id,
  subject: 'Pricing for Q3',
  body: { contentType: 'text', content: 'We keep the list price.\n\n> On Monday Bob wrote:\n> what about discounts?' },
  from: addr(from),
  sender: addr(from),
  toRecipients: to.map((a) => addr(a)),
  ccRecipients: [addr(DEV)],
  sentDateTime: '2026-03-01T08:00:00Z',
  receivedDateTime: '2026-03-01T08:00:05Z',
  conversationId: 'AAQkConv1',
  internetMessageId: `<${id}@contoso.test>`,
  isDraft: false,
  webLink: `https://outlook.office365.com/owa/?ItemID=${id}`,
  ...over,
});

describe('mail:<user> over mailFolders/{inbox,sentitems}/messages/delta', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
  });
  afterEach(() => fake.close());

  it('reads both folders, one unit per message; access = owner, sender, To and Cc in the opt-in; @removed deletes', async () => {
    fake.delta(`mail:${ALICE}/inbox`).upsert(message('M1', BOB, [ALICE]), message('M2', DEV, [ALICE]));
    fake.delta(`mail:${ALICE}/sentitems`).upsert(message('M3', ALICE, [CAROL]));
    const connector = connectorFor(fake);
    const stream = `mail:${ALICE}`;
    const first = await readPass(connector, stream, null);
    expect(fake.requestsTo(/\/messages\/delta$/).map((r) => [r.path, r.query.get('$select')?.split(',').includes('conversationId') ?? false, r.query.has('$deltatoken')])).toEqual([
      [`/v1.0/users/${ALICE}/mailFolders/inbox/messages/delta`, true, false],
      [`/v1.0/users/${ALICE}/mailFolders/sentitems/messages/delta`, true, false],
    ]);
    expect(first.pages.every((p) => p.full)).toBe(true);
    const units = first.pages.flatMap((p) => p.units);
    const byPath = new Map(units.map((u) => [u.path, u]));
    const fromBob = byPath.get(`${stream}/M1`)!.items[0]!;
    expect(fromBob).toMatchObject({ kind: 'email', authorId: BOB, access: [ALICE, BOB], recipients: [ALICE], body: 'We keep the list price.', threadId: 'graph-conversation:AAQkConv1' });
    expect(fromBob.meta).toMatchObject({ outsideOptInCount: 1 });
    expect(byPath.get(`${stream}/M2`)!.items).toEqual([]); // the sender is outside the opt-in: nothing stored
    expect(byPath.get(`${stream}/M3`)!.items[0]).toMatchObject({ authorId: ALICE, access: [ALICE, CAROL] });

    fake.delta(`mail:${ALICE}/inbox`).remove('M1');
    const second = await readPass(connector, stream, first.cursor);
    expect(second.pages.flatMap((p) => p.deleted)).toEqual([`${stream}/M1`]);
    expect(second.pages.every((p) => !p.full)).toBe(true);
  });
});
