import { afterEach, describe, expect, it } from 'vitest';
import { directoryFrom, expansionWindow, itemIdFor, parseUnit, slugify } from '../../activities/connectors/files';
import { BAD, DAY, expectAbsent, NOW, quarantineReason, teamContext, teamPeople } from './helpers';

const ICS = 'calendar/platform.ics';
const standup = (iso: string) => `platform-team:standup@acme.test@${iso}`;

describe('ics: recurring series', () => {
  it('expands the series honoring EXDATE and RECURRENCE-ID overrides', async () => {
    const unit = await parseUnit(await teamContext(), ICS);
    expect(unit.meetings.map((m) => [m.id, m.startsAt.toISOString(), m.status])).toEqual([
      [standup('2025-01-06T14:30:00.000Z'), '2025-01-06T14:30:00.000Z', 'confirmed'],
      [standup('2025-01-13T14:30:00.000Z'), '2025-01-13T14:30:00.000Z', 'confirmed'],
      // 2025-01-20 is an EXDATE; the 01-27 occurrence was moved to 11:00 EST but keeps its id
      [standup('2025-01-27T14:30:00.000Z'), '2025-01-27T16:00:00.000Z', 'confirmed'],
      [standup('2025-02-03T14:30:00.000Z'), '2025-02-03T14:30:00.000Z', 'cancelled'],
      [standup('2025-02-10T14:30:00.000Z'), '2025-02-10T14:30:00.000Z', 'confirmed'],
      ['platform-team:launch-review@acme.test', '2025-02-12T15:00:00.000Z', 'confirmed'],
      ['platform-team:retro@acme.test', '2025-02-14T17:00:00.000Z', 'cancelled'],
      [standup('2025-02-17T14:30:00.000Z'), '2025-02-17T14:30:00.000Z', 'confirmed'],
      ['platform-team:offsite@acme.test', '2025-02-20T00:00:00.000Z', 'confirmed'],
      [standup('2025-02-24T14:30:00.000Z'), '2025-02-24T14:30:00.000Z', 'confirmed'],
    ]);
    const series = unit.meetings.filter((m) => m.seriesId === 'standup@acme.test');
    expect(series).toHaveLength(7); // COUNT=8 minus one EXDATE
    expect(unit.meetings.some((m) => m.id.includes('2025-01-20'))).toBe(false);
    expect(unit.items).toHaveLength(unit.meetings.length);
  });

  it('takes an override instance from its own VEVENT', async () => {
    const unit = await parseUnit(await teamContext(), ICS);
    const moved = unit.meetings.find((m) => m.id === standup('2025-01-27T14:30:00.000Z'));
    expect(moved).toEqual({
      id: standup('2025-01-27T14:30:00.000Z'),
      calendarId: 'platform-team',
      eventId: 'standup@acme.test@2025-01-27T14:30:00.000Z',
      seriesId: 'standup@acme.test',
      title: 'Platform standup (moved for the all-hands)',
      description: 'Moved to 11:00 this week.',
      startsAt: new Date('2025-01-27T16:00:00.000Z'),
      endsAt: new Date('2025-01-27T16:30:00.000Z'),
      organizerId: 'alice@acme.test',
      attendeeIds: ['alice@acme.test', 'dan@acme.test'],
      outsideOptInCount: 0,
      status: 'confirmed',
      location: 'Room 4 / video',
      sourceId: 'acme',
      itemId: itemIdFor('acme', standup('2025-01-27T14:30:00.000Z')),
    });
  });

  it('lists only opted-in attendees and counts the others (rooms are not people)', async () => {
    const unit = await parseUnit(await teamContext(), ICS);
    const first = unit.meetings[0]!;
    expect(first.attendeeIds).toEqual(['alice@acme.test', 'bob@acme.test']);
    expect(first.organizerId).toBe('alice@acme.test');
    expect(first.outsideOptInCount).toBe(2); // carol (opted out) + vera (unknown); not the room
    const review = unit.meetings.find((m) => m.id === 'platform-team:launch-review@acme.test')!;
    expect(review.organizerId).toBeNull(); // organizer carol is not opted in
    expect(review.attendeeIds).toEqual(['alice@acme.test', 'dan@acme.test']);
    expect(review.outsideOptInCount).toBe(1);
    expectAbsent(JSON.stringify(unit), ['carol@acme.test', 'vera@partner.test', 'Carol Evans', 'Vera Vendor']);
  });

  it('pairs every meeting with an event item', async () => {
    const unit = await parseUnit(await teamContext(), ICS);
    const meeting = unit.meetings[0]!;
    const item = unit.items[0]!;
    expect(meeting.itemId).toBe(item.id);
    expect(item).toMatchObject({
      id: itemIdFor('acme', meeting.id),
      sourceId: 'acme',
      externalId: meeting.id,
      kind: 'event',
      title: 'Platform standup',
      body: 'Weekly platform sync.\n\nAgenda: blockers first.',
      authorId: null,
      occurredAt: new Date('2025-01-06T14:30:00.000Z'),
      threadId: meeting.id,
      locator: 'calendar/platform.ics#standup%40acme.test%402025-01-06T14%3A30%3A00.000Z',
      access: ['alice@acme.test', 'bob@acme.test'],
      recipients: ['alice@acme.test', 'bob@acme.test'],
      segments: [
        { position: 0, text: 'Weekly platform sync.' },
        { position: 1, text: 'Agenda: blockers first.' },
      ],
    });
    expect(item.meta).toMatchObject({ meetingId: meeting.id, calendarId: 'platform-team', seriesId: 'standup@acme.test', status: 'confirmed' });
    expect(item.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const launch = unit.items.find((i) => i.externalId === 'platform-team:launch-review@acme.test')!;
    expect(launch.access).toEqual(['alice@acme.test', 'dan@acme.test']);
  });

  it('names the calendar after the file when there is no X-WR-CALNAME', async () => {
    const unit = await parseUnit(await teamContext(), 'calendar/dan-1on1.ics');
    expect(unit.meetings.map((m) => m.id)).toEqual(['dan-1on1:dan-alice-1on1@acme.test']);
    expect(unit.meetings[0]!.seriesId).toBeUndefined();
    expect(slugify('Équipe Plateforme — Q1!')).toBe('equipe-plateforme-q1');
  });
});

describe('ics: time shift and window', () => {
  it('shifts every emitted time and keeps every id (demo-style: now moves with the shift)', async () => {
    const base = await parseUnit(await teamContext(), ICS);
    const shift = 40 * DAY + 7 * 60_000;
    const moved = await parseUnit(await teamContext({ timeShiftMs: shift, now: new Date(NOW.getTime() + shift) }), ICS);
    expect(moved.meetings.map((m) => m.id)).toEqual(base.meetings.map((m) => m.id));
    expect(moved.items.map((i) => i.id)).toEqual(base.items.map((i) => i.id));
    moved.meetings.forEach((m, i) => {
      const b = base.meetings[i]!;
      expect(m.startsAt.getTime() - b.startsAt.getTime()).toBe(shift);
      expect(m.endsAt.getTime() - b.endsAt.getTime()).toBe(shift);
      expect(m.eventId).toBe(b.eventId);
    });
    moved.items.forEach((it, i) => expect(it.occurredAt.getTime() - base.items[i]!.occurredAt.getTime()).toBe(shift));
    expect(moved.fileHash).not.toBe(base.fileHash);
  });

  it('keeps ids stable across different shifts with the same now', async () => {
    const a = await parseUnit(await teamContext({ timeShiftMs: 0, horizonDays: 120 }), ICS);
    const b = await parseUnit(await teamContext({ timeShiftMs: -3 * DAY + 1234, horizonDays: 120 }), ICS);
    expect(b.items.map((i) => i.id)).toEqual(a.items.map((i) => i.id));
    expect(b.items[0]!.contentHash).not.toBe(a.items[0]!.contentHash); // occurredAt is stored content
  });

  it('expands only inside [now - 90 days, now + horizonDays]', async () => {
    const late = await parseUnit(await teamContext({ now: new Date('2025-05-01T12:00:00Z') }), ICS);
    // window starts 2025-01-31: only the February standups remain; single events are never windowed
    expect(late.meetings.filter((m) => m.seriesId).map((m) => m.eventId)).toEqual([
      'standup@acme.test@2025-02-03T14:30:00.000Z',
      'standup@acme.test@2025-02-10T14:30:00.000Z',
      'standup@acme.test@2025-02-17T14:30:00.000Z',
      'standup@acme.test@2025-02-24T14:30:00.000Z',
    ]);
    expect(late.meetings.filter((m) => !m.seriesId)).toHaveLength(3);
    // the window applies to shifted times: shifting both now and the data keeps the same occurrences
    const S = 60 * DAY;
    const lateShifted = await parseUnit(await teamContext({ now: new Date(Date.parse('2025-05-01T12:00:00Z') + S), timeShiftMs: S }), ICS);
    expect(lateShifted.meetings.map((m) => m.id)).toEqual(late.meetings.map((m) => m.id));
    const short = await parseUnit(await teamContext({ now: new Date('2025-02-12T08:00:00Z'), horizonDays: 5 }), ICS);
    expect(short.meetings.filter((m) => m.seriesId).map((m) => m.startsAt.toISOString().slice(0, 10))).toEqual([
      '2025-01-06',
      '2025-01-13',
      '2025-01-27',
      '2025-02-03',
      '2025-02-10',
      '2025-02-17',
    ]);
    expect(expansionWindow(new Date('2025-02-12T08:00:00Z'), 5)).toEqual({
      from: new Date('2024-11-14T00:00:00.000Z'),
      to: new Date('2025-02-18T00:00:00.000Z'),
    });
  });

  it('has a fileHash that changes with the window day, the directory and the shift, and not within a day', async () => {
    const ctx = await teamContext();
    const a = await parseUnit(ctx, ICS);
    const sameDay = await parseUnit({ ...ctx, now: new Date(NOW.getTime() + 5 * 3600_000) }, ICS);
    expect(sameDay.fileHash).toBe(a.fileHash);
    expect(sameDay).toEqual(a);
    expect((await parseUnit({ ...ctx, now: new Date(NOW.getTime() + DAY) }, ICS)).fileHash).not.toBe(a.fileHash);
    expect((await parseUnit({ ...ctx, timeShiftMs: 1 }, ICS)).fileHash).not.toBe(a.fileHash);
    const everyoneIn = directoryFrom((await teamPeople()).map((p) => ({ ...p, optedIn: true })));
    const widened = await parseUnit({ ...ctx, directory: everyoneIn }, ICS);
    expect(widened.fileHash).not.toBe(a.fileHash);
    expect(widened.meetings[0]!.attendeeIds).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test']);
  });
});

describe('ics: all-day events', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('do not depend on the time zone of the process', async () => {
    process.env.TZ = 'Pacific/Kiritimati';
    const east = await parseUnit(await teamContext(), ICS);
    process.env.TZ = 'America/Los_Angeles';
    const west = await parseUnit(await teamContext(), ICS);
    expect(west).toEqual(east);
    const offsite = west.meetings.find((m) => m.eventId === 'offsite@acme.test')!;
    expect([offsite.startsAt.toISOString(), offsite.endsAt.toISOString()]).toEqual(['2025-02-20T00:00:00.000Z', '2025-02-21T00:00:00.000Z']);
  });
});

describe('ics: quarantine', () => {
  it('refuses truncated, non-calendar and UID-less files', async () => {
    const ctx = await teamContext({ root: BAD });
    expect(await quarantineReason(ctx, 'truncated.ics')).toBe('truncated: BEGIN:VEVENT at line 3 is never closed');
    expect(await quarantineReason(ctx, 'not-calendar.ics')).toBe('not an iCalendar file (missing BEGIN:VCALENDAR)');
    expect(await quarantineReason(ctx, 'no-uid.ics')).toBe('VEVENT #1 ("Nameless") has no UID');
  });
});
