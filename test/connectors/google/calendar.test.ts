/**
 * The calendar stream against the local Google API: paging with the exact page token, syncToken increments,
 * 410 → a full listing marked for sweeping, recurring series with exceptions, attendees' response status,
 * conference links, cancellations as deletions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamPage } from '../../../activities/connectors/port';
import { startFakeGoogleApi, type FakeGoogleApi } from '../../support/fake-google-api';
import { ALICE, BOB, CARA, connectorFor, context, OLIVER, readAll } from './helpers';

const CAL = ALICE;
const STREAM = `calendar:${CAL}`;
const EVENTS = `/calendar/v3/calendars/${CAL}/events`;

const single = (id: string, startIso: string, over: Record<string, unknown> = {}) => ({
  id,
  summary: `Meeting ${id}`,
  start: { dateTime: startIso, timeZone: 'Europe/Berlin' },
  end: { dateTime: new Date(Date.parse(startIso) + 30 * 60_000).toISOString(), timeZone: 'Europe/Berlin' },
  organizer: { email: ALICE },
  attendees: [
    { email: ALICE, responseStatus: 'accepted', organizer: true },
    { email: BOB, responseStatus: 'needsAction' },
  ],
  ...over,
});

const units = (pages: StreamPage[]) => pages.flatMap((p) => p.units);
const meetingIds = (pages: StreamPage[]) => units(pages).flatMap((u) => u.meetings.map((m) => m.id)).sort();

describe('google calendar stream', () => {
  let api: FakeGoogleApi;
  beforeEach(async () => {
    api = await startFakeGoogleApi();
    api.calendar(CAL);
  });
  afterEach(() => api.close());

  it('pages a full listing with the exact page token, as the calendar owner, and ends on the sync token', async () => {
    for (let i = 0; i < 260; i++) api.putEvent(CAL, single(`ev${String(i).padStart(3, '0')}`, new Date(Date.UTC(2025, 1, 3, 9) + i * 3_600_000).toISOString()));
    const connector = connectorFor(api, { calendars: [CAL] });
    const first = await connector.readPage(STREAM, null, context());
    expect(first).toMatchObject({ more: true, full: true, deleted: [] });
    expect(first.units).toHaveLength(250);
    const second = await connector.readPage(STREAM, first.cursor, context());
    expect(second).toMatchObject({ more: false, full: true });
    expect(second.units).toHaveLength(10);

    const lists = api.requestsTo(new RegExp(`^${EVENTS}$`));
    expect(lists).toHaveLength(2);
    expect(Object.fromEntries(lists[0]!.query)).toEqual({ singleEvents: 'false', maxResults: '250' });
    expect(lists[1]!.query.get('pageToken')).toBe(first.cursor.pageToken);
    expect(lists[1]!.query.get('pageToken')).toBe('o250');
    expect(lists.every((r) => r.authorization === `Bearer tok:${ALICE}`)).toBe(true);
    expect(second.cursor.syncToken).toBe(`sync:${api.calendar(CAL).seq}`);
    expect(second.cursor.pageToken).toBeUndefined();
  });

  it('reads only what changed with the sync token; a cancelled event is a deletion', async () => {
    api.putEvent(CAL, single('keep', '2025-02-03T09:00:00Z'));
    api.putEvent(CAL, single('gone', '2025-02-04T09:00:00Z'));
    const connector = connectorFor(api, { calendars: [CAL] });
    const [full] = await readAll(connector, STREAM, null);
    const token = full!.cursor.syncToken;

    api.putEvent(CAL, single('new', '2025-02-05T09:00:00Z', { summary: 'Pricing review' }));
    api.cancelEvent(CAL, 'gone');
    const [incremental] = await readAll(connector, STREAM, full!.cursor);
    const last = api.requests.at(-1)!;
    expect(last.query.get('syncToken')).toBe(token);
    expect(incremental).toMatchObject({ full: false, more: false, deleted: [`${STREAM}/gone`] });
    expect(incremental!.units.map((u) => u.path)).toEqual([`${STREAM}/new`]);
    expect(incremental!.units[0]!.items[0]!.title).toBe('Pricing review');
    expect(incremental!.cursor.syncToken).not.toBe(token);
  });

  it('410 Gone on the sync token: lists everything again, marked full so the pipeline sweeps', async () => {
    api.putEvent(CAL, single('a', '2025-02-03T09:00:00Z'));
    const connector = connectorFor(api, { calendars: [CAL] });
    const [full] = await readAll(connector, STREAM, null);
    api.putEvent(CAL, single('b', '2025-02-04T09:00:00Z'));
    api.expireSyncTokens(CAL);

    const [again] = await readAll(connector, STREAM, full!.cursor);
    const [expired, relisted] = api.requests.slice(-2);
    expect(expired!.query.get('syncToken')).toBe(full!.cursor.syncToken);
    expect(relisted!.query.has('syncToken')).toBe(false);
    expect(again).toMatchObject({ full: true, more: false });
    expect(again!.units.map((u) => u.path).sort()).toEqual([`${STREAM}/a`, `${STREAM}/b`]);
    expect(again!.cursor.syncToken).toBe(`sync:${api.calendar(CAL).seq}`);
  });

  it('a recurring series is one unit of its occurrences in the window, exceptions applied; an exception change re-reads it', async () => {
    api.putEvent(CAL, {
      ...single('weekly', '2025-01-06T09:00:00Z', { summary: 'Weekly sync' }),
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=10'],
    });
    // the 2025-01-20 occurrence moved by an hour, with a different title; 2025-01-27 cancelled
    api.putEvent(CAL, {
      ...single('weekly_20250120T090000Z', '2025-01-20T10:00:00Z', { summary: 'Weekly sync (moved)' }),
      recurringEventId: 'weekly',
      originalStartTime: { dateTime: '2025-01-20T09:00:00.000Z' },
    });
    api.putEvent(CAL, {
      id: 'weekly_20250127T090000Z',
      status: 'cancelled',
      recurringEventId: 'weekly',
      originalStartTime: { dateTime: '2025-01-27T09:00:00.000Z' },
    });
    const connector = connectorFor(api, { calendars: [CAL], horizonDays: 30 });
    const pages = await readAll(connector, STREAM, null);
    expect(units(pages).map((u) => u.path)).toEqual([`${STREAM}/weekly`]);
    const instances = api.requestsTo(/\/events\/weekly\/instances$/);
    expect(instances).toHaveLength(1);
    expect(instances[0]!.query.get('timeMin')).toBe('2024-11-03T00:00:00.000Z'); // 90 days before NOW's day
    expect(instances[0]!.query.get('timeMax')).toBe('2025-03-04T00:00:00.000Z'); // horizon 30 days (+ the day)

    const meetings = units(pages)[0]!.meetings;
    expect(meetings.map((m) => [m.eventId, m.title, m.startsAt.toISOString()])).toEqual([
      ['weekly_20250106T090000Z', 'Weekly sync', '2025-01-06T09:00:00.000Z'],
      ['weekly_20250113T090000Z', 'Weekly sync', '2025-01-13T09:00:00.000Z'],
      ['weekly_20250120T090000Z', 'Weekly sync (moved)', '2025-01-20T10:00:00.000Z'],
      ['weekly_20250203T090000Z', 'Weekly sync', '2025-02-03T09:00:00.000Z'],
      ['weekly_20250210T090000Z', 'Weekly sync', '2025-02-10T09:00:00.000Z'],
      ['weekly_20250217T090000Z', 'Weekly sync', '2025-02-17T09:00:00.000Z'],
      ['weekly_20250224T090000Z', 'Weekly sync', '2025-02-24T09:00:00.000Z'],
      ['weekly_20250303T090000Z', 'Weekly sync', '2025-03-03T09:00:00.000Z'],
    ]);
    expect(meetings.every((m) => m.seriesId === 'weekly' && m.id === `${CAL}:${m.eventId}` && m.calendarId === CAL)).toBe(true);

    // an exception changes: the feed names only it; the series is re-read whole
    api.putEvent(CAL, {
      ...single('weekly_20250210T090000Z', '2025-02-10T09:00:00Z', { summary: 'Weekly sync — launch special' }),
      recurringEventId: 'weekly',
      originalStartTime: { dateTime: '2025-02-10T09:00:00.000Z' },
    });
    const [change] = await readAll(connector, STREAM, pages.at(-1)!.cursor);
    expect(change!.units.map((u) => u.path)).toEqual([`${STREAM}/weekly`]);
    expect(api.requestsTo(/\/events\/weekly$/)).toHaveLength(1); // the master, fetched since the feed had only the exception
    expect(change!.units[0]!.meetings.find((m) => m.eventId === 'weekly_20250210T090000Z')?.title).toBe('Weekly sync — launch special');
    expect(change!.units[0]!.meetings).toHaveLength(8);

    // the series cancelled: deleted
    api.cancelEvent(CAL, 'weekly');
    const [cancelled] = await readAll(connector, STREAM, change!.cursor);
    expect(cancelled).toMatchObject({ units: [], deleted: [`${STREAM}/weekly`] });
  });

  it('attendees with their response status, conference link, opt-in respected, rooms left out', async () => {
    api.putEvent(
      CAL,
      single('launch', '2025-02-03T14:00:00Z', {
        summary: 'Launch review',
        description: 'Agenda:<br>1. <b>Pricing</b><br><br>2. Android &amp; iOS',
        location: 'Room Blue',
        hangoutLink: 'https://meet.google.com/abc-defg-hij',
        conferenceData: { entryPoints: [{ entryPointType: 'video', uri: 'https://meet.google.com/abc-defg-hij' }], conferenceSolution: { name: 'Google Meet' } },
        attendees: [
          { email: ALICE, responseStatus: 'accepted', organizer: true },
          { email: BOB, responseStatus: 'tentative' },
          { email: CARA, responseStatus: 'declined' },
          { email: OLIVER, responseStatus: 'accepted' },
          { email: 'partner@external.test', responseStatus: 'needsAction' },
          { email: 'c_room-blue@resource.calendar.google.com', resource: true, responseStatus: 'accepted' },
        ],
      }),
    );
    const connector = connectorFor(api, { calendars: [CAL] });
    const [page] = await readAll(connector, STREAM, null);
    const unit = page!.units[0]!;
    const [meeting] = unit.meetings;
    const [item] = unit.items;
    expect(meeting).toMatchObject({
      id: `${CAL}:launch`,
      calendarId: CAL,
      eventId: 'launch',
      organizerId: ALICE,
      attendeeIds: [ALICE, BOB], // Cara declined: invited, not expected
      outsideOptInCount: 2, // Oliver (not opted in) and the partner; the room is not a person
      status: 'confirmed',
      location: 'Room Blue',
      itemId: item!.id,
    });
    expect(item).toMatchObject({ kind: 'event', title: 'Launch review', externalId: `${CAL}:launch`, threadId: `${CAL}:launch`, authorId: null });
    expect(item!.body).toBe('Agenda:\n1. Pricing\n\n2. Android & iOS');
    expect(item!.access).toEqual([ALICE, BOB, CARA]);
    expect(item!.recipients).toEqual([ALICE, BOB]);
    expect(item!.meta).toMatchObject({
      conferenceUrl: 'https://meet.google.com/abc-defg-hij',
      responses: { [ALICE]: 'accepted', [BOB]: 'tentative', [CARA]: 'declined' },
    });
    expect(JSON.stringify(unit)).not.toContain(OLIVER);
    expect(item!.locator).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
    expect(meetingIds(page ? [page] : [])).toEqual([`${CAL}:launch`]);
  });

  it('a shared calendar is read as actAs', async () => {
    const shared = 'c_team@group.calendar.google.com';
    api.calendar(shared);
    api.putEvent(shared, single('x', '2025-02-03T09:00:00Z'));
    const connector = connectorFor(api, { calendars: [shared], actAs: CARA });
    await readAll(connector, `calendar:${shared}`, null);
    expect(api.requests.at(-1)!.authorization).toBe(`Bearer tok:${CARA}`);
    expect(() => connectorFor(api, { calendars: [shared] })).toThrow(/actAs/);
  });
});
