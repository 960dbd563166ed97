/**
 * The follow-up cadence: working days in the person's own timezone and hours. Every expected instant is worked
 * out by hand (weekday, UTC offset of that date) rather than computed with the code under test.
 */
import { describe, expect, it } from 'vitest';
import { temporalConfig } from '../../temporal.config';
import {
  addWorkingDays,
  followUpSchedule,
  isoWeekday,
  isValidTimeZone,
  isWorkingTime,
  localDateTime,
  resumeAt,
  snoozedBase,
  stepDueAt,
  utcOffsetMs,
  zonedTimeToInstant,
  type WorkingCalendar,
} from '../../workflows/cadence';

const utc: WorkingCalendar = { timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' } };
const newYork: WorkingCalendar = { timezone: 'America/New_York', workingHours: { start: '09:00', end: '17:00' } };
const berlin: WorkingCalendar = { timezone: 'Europe/Berlin', workingHours: { start: '09:00', end: '17:30' } };
const tokyo: WorkingCalendar = { timezone: 'Asia/Tokyo', workingHours: { start: '10:00', end: '18:00' } };
const iso = (d: Date) => d.toISOString();

describe('addWorkingDays', () => {
  it('counts working days after the local date and lands at the start of the working day', () => {
    // Monday 2024-06-03 15:00 UTC + 2 → Wednesday 09:00
    expect(iso(addWorkingDays(Date.parse('2024-06-03T15:00:00Z'), 2, utc))).toBe('2024-06-05T09:00:00.000Z');
    // the hour of the start does not matter: Monday 07:00 also gives Wednesday 09:00
    expect(iso(addWorkingDays(Date.parse('2024-06-03T07:00:00Z'), 2, utc))).toBe('2024-06-05T09:00:00.000Z');
  });

  it('skips weekends', () => {
    // Friday 2024-06-07 15:00 + 2 → Tuesday 06-11
    expect(iso(addWorkingDays(Date.parse('2024-06-07T15:00:00Z'), 2, utc))).toBe('2024-06-11T09:00:00.000Z');
    // Saturday + 1 → Monday; Sunday + 1 → Monday
    expect(iso(addWorkingDays(Date.parse('2024-06-08T12:00:00Z'), 1, utc))).toBe('2024-06-10T09:00:00.000Z');
    expect(iso(addWorkingDays(Date.parse('2024-06-09T23:59:00Z'), 1, utc))).toBe('2024-06-10T09:00:00.000Z');
    // Thursday + 5 → next Thursday
    expect(iso(addWorkingDays(Date.parse('2024-06-06T10:00:00Z'), 5, utc))).toBe('2024-06-13T09:00:00.000Z');
  });

  it('uses the local date of the person, not the UTC date', () => {
    // Sunday 2024-06-02 20:00 UTC is Monday 05:00 in Tokyo (UTC+9): +2 → Wednesday 10:00 JST = Wednesday 01:00 UTC
    expect(iso(addWorkingDays(Date.parse('2024-06-02T20:00:00Z'), 2, tokyo))).toBe('2024-06-05T01:00:00.000Z');
    // the same instant for a New Yorker is Sunday 16:00 EDT: +2 → Tuesday 09:00 EDT = 13:00 UTC
    expect(iso(addWorkingDays(Date.parse('2024-06-02T20:00:00Z'), 2, newYork))).toBe('2024-06-04T13:00:00.000Z');
  });

  it('keeps 09:00 local across the spring-forward DST change', () => {
    // Friday 2024-03-08 22:00 EST (UTC-5) = Saturday 03:00 UTC; clocks go forward Sunday 03-10.
    // Local date Friday, +2 → Tuesday 03-12 09:00 EDT (UTC-4) = 13:00 UTC
    expect(iso(addWorkingDays(Date.parse('2024-03-09T03:00:00Z'), 2, newYork))).toBe('2024-03-12T13:00:00.000Z');
    // before the change 09:00 local was 14:00 UTC
    expect(iso(addWorkingDays(Date.parse('2024-03-06T20:00:00Z'), 1, newYork))).toBe('2024-03-07T14:00:00.000Z');
  });

  it('keeps 09:00 local across the fall-back DST change', () => {
    // Berlin: clocks go back Sunday 2024-10-27. Friday 10-25 10:00 CEST + 2 → Tuesday 10-29 09:00 CET (UTC+1) = 08:00 UTC
    expect(iso(addWorkingDays(Date.parse('2024-10-25T08:00:00Z'), 2, berlin))).toBe('2024-10-29T08:00:00.000Z');
    // the Thursday before: +1 → Friday 09:00 CEST (UTC+2) = 07:00 UTC
    expect(iso(addWorkingDays(Date.parse('2024-10-24T08:00:00Z'), 1, berlin))).toBe('2024-10-25T07:00:00.000Z');
  });

  it('honours other working weeks', () => {
    const sundayToThursday: WorkingCalendar = {
      timezone: 'Asia/Jerusalem',
      workingHours: { start: '08:30', end: '17:00' },
      workingDays: [7, 1, 2, 3, 4],
    };
    // Thursday 2024-06-06 12:00 IDT + 1 → Sunday 06-09 08:30 IDT (UTC+3) = 05:30 UTC
    expect(iso(addWorkingDays(Date.parse('2024-06-06T09:00:00Z'), 1, sundayToThursday))).toBe('2024-06-09T05:30:00.000Z');
  });

  it('computes the configured cadence (2 / 5 / 14 working days) in the owner timezone', () => {
    // decided Monday 2024-06-03 10:00 in Berlin (08:00 UTC)
    const s = followUpSchedule(Date.parse('2024-06-03T08:00:00Z'), temporalConfig.followUp, berlin);
    expect(iso(s.nudge)).toBe('2024-06-05T07:00:00.000Z'); // Wednesday 09:00 CEST
    expect(iso(s.escalate)).toBe('2024-06-10T07:00:00.000Z'); // next Monday 09:00
    expect(iso(s.stale)).toBe('2024-06-21T07:00:00.000Z'); // Friday of the third week 09:00
  });

  it('rejects bad input', () => {
    expect(() => addWorkingDays(0, 1, { ...utc, timezone: 'Mars/Olympus' })).toThrow(/timezone/);
    expect(() => addWorkingDays(0, 1, { ...utc, workingHours: { start: '9am', end: '17:00' } })).toThrow(/HH:MM/);
    expect(() => addWorkingDays(0, -1, utc)).toThrow(/whole number/);
    expect(() => addWorkingDays(0, 1.5, utc)).toThrow(/whole number/);
    expect(() => addWorkingDays(0, 1, { ...utc, workingDays: [] })).toThrow(/working days/);
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Nowhere/Else')).toBe(false);
  });
});

describe('timezone arithmetic', () => {
  it('reads wall clocks and offsets', () => {
    expect(localDateTime(Date.parse('2024-03-10T06:59:00Z'), 'America/New_York')).toEqual({
      year: 2024, month: 3, day: 10, hour: 1, minute: 59, second: 0,
    });
    expect(localDateTime(Date.parse('2024-03-10T07:00:00Z'), 'America/New_York').hour).toBe(3);
    expect(utcOffsetMs(Date.parse('2024-01-15T12:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
    expect(isoWeekday({ year: 2024, month: 6, day: 9 })).toBe(7);
    expect(isoWeekday({ year: 2024, month: 6, day: 10 })).toBe(1);
  });

  it('maps a wall time skipped by DST past the gap, and a repeated one to its first occurrence', () => {
    // 02:30 does not exist in New York on 2024-03-10: 02:30 EST would be 07:30 UTC = 03:30 EDT
    expect(new Date(zonedTimeToInstant({ year: 2024, month: 3, day: 10, hour: 2, minute: 30 }, 'America/New_York')).toISOString()).toBe(
      '2024-03-10T07:30:00.000Z',
    );
    // 01:30 happens twice on 2024-11-03: first at EDT (UTC-4) = 05:30 UTC
    expect(new Date(zonedTimeToInstant({ year: 2024, month: 11, day: 3, hour: 1, minute: 30 }, 'America/New_York')).toISOString()).toBe(
      '2024-11-03T05:30:00.000Z',
    );
  });

  it('lands a night-shift start inside the DST gap just after it', () => {
    const nightShift: WorkingCalendar = {
      timezone: 'America/New_York',
      workingHours: { start: '02:30', end: '10:30' },
      workingDays: [1, 2, 3, 4, 5, 6, 7],
    };
    // Saturday 2024-03-09 12:00 EST + 1 → Sunday 02:30, which does not exist → 03:30 EDT = 07:30 UTC
    expect(iso(addWorkingDays(Date.parse('2024-03-09T17:00:00Z'), 1, nightShift))).toBe('2024-03-10T07:30:00.000Z');
  });
});

describe('resumeAt and snoozes', () => {
  it('finds the first working moment at or after an instant', () => {
    // Wednesday 2024-06-05 11:00 UTC: inside working hours
    expect(iso(resumeAt(Date.parse('2024-06-05T11:00:00Z'), utc))).toBe('2024-06-05T11:00:00.000Z');
    expect(isWorkingTime(Date.parse('2024-06-05T11:00:00Z'), utc)).toBe(true);
    // before the day starts → 09:00 the same day
    expect(iso(resumeAt(Date.parse('2024-06-05T06:00:00Z'), utc))).toBe('2024-06-05T09:00:00.000Z');
    // after it ends → next morning; the end itself is outside
    expect(iso(resumeAt(Date.parse('2024-06-05T17:00:00Z'), utc))).toBe('2024-06-06T09:00:00.000Z');
    // Friday evening → Monday
    expect(iso(resumeAt(Date.parse('2024-06-07T18:00:00Z'), utc))).toBe('2024-06-10T09:00:00.000Z');
    // Saturday in New York → Monday 09:00 EDT
    expect(iso(resumeAt(Date.parse('2024-06-08T15:00:00Z'), newYork))).toBe('2024-06-10T13:00:00.000Z');
  });

  it('a snooze moves the pending step to the end of the snooze and keeps the spacing of the later ones', () => {
    const cadence = temporalConfig.followUp;
    // anchor Monday 2024-06-03 10:00 UTC: nudge due Wednesday 06-05 09:00
    const fresh = { base: '2024-06-03T10:00:00.000Z', baseOffset: 0 };
    // snoozed until Thursday 06-13 00:00 → nudge Thursday 09:00; escalation 3 working days later (Tuesday 06-18)
    const moved = snoozedBase(fresh, 'nudge', Date.parse('2024-06-13T00:00:00Z'), cadence, utc);
    expect(moved).toEqual({ base: '2024-06-13T09:00:00.000Z', baseOffset: 2 });
    expect(iso(stepDueAt('nudge', moved, cadence, utc))).toBe('2024-06-13T09:00:00.000Z');
    expect(iso(stepDueAt('escalate', moved, cadence, utc))).toBe('2024-06-18T09:00:00.000Z');
    // stale 12 working days after the nudge: Thu 13 → Mon 07-01
    expect(iso(stepDueAt('stale', moved, cadence, utc))).toBe('2024-07-01T09:00:00.000Z');
    // a snooze that ends before the step is due changes nothing
    expect(snoozedBase(fresh, 'nudge', Date.parse('2024-06-04T12:00:00Z'), cadence, utc)).toBe(fresh);
    // a snooze in the middle of a working day resumes at that very time
    expect(snoozedBase(fresh, 'nudge', Date.parse('2024-06-06T14:15:00Z'), cadence, utc).base).toBe('2024-06-06T14:15:00.000Z');
  });

  it('refuses a cadence out of order', () => {
    const bad = { nudgeAfter: { workingDays: 5 }, escalateAfter: { workingDays: 2 }, closeStaleAfter: { workingDays: 14 } };
    expect(() => followUpSchedule(0, bad, utc)).toThrow(/nudge, then escalate/);
  });
});
