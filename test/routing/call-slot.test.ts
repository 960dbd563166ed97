/**
 * The call-slot finder: the first slot free for everyone inside all their working hours. Every expected instant is
 * worked out by hand from the UTC offsets of that week (Berlin CEST = UTC+2 and New York EDT = UTC−4 in June;
 * in the week of 11 March 2024 New York is already on EDT while Berlin is still on CET = UTC+1).
 */
import { describe, expect, it } from 'vitest';
import { firstCommonSlot, type SlotParticipant } from '../../workflows/call-slot';

const hours = { start: '09:00', end: '17:00' };
const berlin = (busy: SlotParticipant['busy'] = []): SlotParticipant => ({ personId: 'alice', name: 'Alice', timezone: 'Europe/Berlin', workingHours: hours, busy });
const newYork = (busy: SlotParticipant['busy'] = []): SlotParticipant => ({ personId: 'bob', name: 'Bob', timezone: 'America/New_York', workingHours: hours, busy });
const tokyo = (busy: SlotParticipant['busy'] = []): SlotParticipant => ({ personId: 'kenji', name: 'Kenji', timezone: 'Asia/Tokyo', workingHours: hours, busy });
const jerusalem: SlotParticipant = { personId: 'noa', name: 'Noa', timezone: 'Asia/Jerusalem', workingHours: hours, workingDays: [7, 1, 2, 3, 4], busy: [] };

const MONDAY = '2024-06-03T00:00:00Z';
const iso = (d: Date | undefined) => d?.toISOString();

describe('firstCommonSlot', () => {
  it('finds the start of the overlap of Berlin (07–15 UTC) and New York (13–21 UTC) working hours', () => {
    const found = firstCommonSlot({ participants: [berlin(), newYork()], from: MONDAY, durationMinutes: 30, horizonDays: 5 });
    expect(iso(found.slot?.start)).toBe('2024-06-03T13:00:00.000Z');
    expect(iso(found.slot?.end)).toBe('2024-06-03T13:30:00.000Z');
    expect(found.reason).toMatch(/first 30-minute slot free for Alice and Bob inside all their working hours/);
  });

  it('skips busy intervals, and a slot that would run past the end of someone’s working day', () => {
    // Alice busy until 14:10 → 14:15; Bob busy 14:15–14:45 → 14:45; 14:45–15:15 runs past Alice's 15:00 UTC end
    const found = firstCommonSlot({
      participants: [
        berlin([{ start: '2024-06-03T13:00:00Z', end: '2024-06-03T14:10:00Z' }]),
        newYork([{ start: '2024-06-03T14:15:00Z', end: '2024-06-03T14:45:00Z' }]),
      ],
      from: MONDAY,
      durationMinutes: 30,
      horizonDays: 5,
    });
    expect(iso(found.slot?.start)).toBe('2024-06-04T13:00:00.000Z');
  });

  it('fits a slot exactly between two busy intervals on the step grid', () => {
    const found = firstCommonSlot({
      participants: [
        berlin([{ start: '2024-06-03T13:00:00Z', end: '2024-06-03T13:30:00Z' }]),
        newYork([{ start: '2024-06-03T13:45:00Z', end: '2024-06-03T15:00:00Z' }]),
      ],
      from: MONDAY,
      durationMinutes: 15,
      horizonDays: 5,
      stepMinutes: 15,
    });
    expect(iso(found.slot?.start)).toBe('2024-06-03T13:30:00.000Z');
  });

  it('starts no earlier than `from`, rounded up to the step', () => {
    const found = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-06-03T13:07:00Z', durationMinutes: 5, horizonDays: 5, stepMinutes: 15 });
    expect(iso(found.slot?.start)).toBe('2024-06-03T13:15:00.000Z');
  });

  it('finds Berlin and Tokyo their one shared hour (07–08 UTC)', () => {
    const found = firstCommonSlot({ participants: [berlin(), tokyo()], from: MONDAY, durationMinutes: 60, horizonDays: 5 });
    expect(iso(found.slot?.start)).toBe('2024-06-03T07:00:00.000Z');
    const tooLong = firstCommonSlot({ participants: [berlin(), tokyo()], from: MONDAY, durationMinutes: 90, horizonDays: 5 });
    expect(tooLong.slot).toBeUndefined();
  });

  it('says so when the working hours of Berlin, New York and Tokyo never meet', () => {
    const found = firstCommonSlot({ participants: [berlin(), newYork(), tokyo()], from: MONDAY, durationMinutes: 5, horizonDays: 7 });
    expect(found.slot).toBeUndefined();
    expect(found.reason).toMatch(/working hours of Alice 09:00–17:00 Europe\/Berlin, Bob 09:00–17:00 America\/New_York and Kenji 09:00–17:00 Asia\/Tokyo never share 5 minutes in the next 7 days/);
  });

  it('says so when the hours meet but someone is busy in all of them', () => {
    const found = firstCommonSlot({
      participants: [berlin(), newYork([{ start: '2024-06-03T12:00:00Z', end: '2024-06-03T16:00:00Z' }])],
      from: MONDAY,
      durationMinutes: 30,
      horizonDays: 1,
    });
    expect(found.slot).toBeUndefined();
    expect(found.reason).toMatch(/share working hours in the next 1 day, but someone is busy in every 30-minute slot/);
  });

  it('skips the weekend: Friday’s overlap is over, so Monday', () => {
    const found = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-06-07T14:50:00Z', durationMinutes: 30, horizonDays: 5 });
    expect(iso(found.slot?.start)).toBe('2024-06-10T13:00:00.000Z');
  });

  it('honours each person’s own working days (Sunday–Thursday in Jerusalem, Monday–Friday in Berlin)', () => {
    // Friday: Noa is off; the weekend: Alice is off (Sunday is a working day for Noa only); Monday: both, 07:00 UTC
    const found = firstCommonSlot({ participants: [berlin(), jerusalem], from: '2024-06-07T00:00:00Z', durationMinutes: 30, horizonDays: 7 });
    expect(iso(found.slot?.start)).toBe('2024-06-10T07:00:00.000Z');
  });

  it('uses the wider overlap of the weeks when only the US has moved its clocks (DST)', () => {
    const nyBusy = (day: string) => newYork([{ start: `${day}T13:00:00Z`, end: `${day}T15:00:00Z` }]);
    // 11 March 2024: Berlin CET 08–16 UTC, New York EDT 13–21 UTC → 15:00–16:00 UTC is still shared
    const dstWeek = firstCommonSlot({ participants: [berlin(), nyBusy('2024-03-11')], from: '2024-03-11T00:00:00Z', durationMinutes: 60, horizonDays: 1 });
    expect(iso(dstWeek.slot?.start)).toBe('2024-03-11T15:00:00.000Z');
    // 4 March 2024: New York EST 14–22 UTC → shared 14–16 UTC; in the DST week the overlap opens an hour earlier
    const before = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-03-04T00:00:00Z', durationMinutes: 60, horizonDays: 1 });
    expect(iso(before.slot?.start)).toBe('2024-03-04T14:00:00.000Z');
    const dstFree = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-03-11T00:00:00Z', durationMinutes: 60, horizonDays: 1 });
    expect(iso(dstFree.slot?.start)).toBe('2024-03-11T13:00:00.000Z');
    // 1 April 2024: both on summer time, shared 13–15 UTC only: a 3-hour call (which fit 13–16 in the DST week) fits nowhere
    const after = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-04-01T00:00:00Z', durationMinutes: 180, horizonDays: 5 });
    expect(after.slot).toBeUndefined();
    const dstLong = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-03-11T00:00:00Z', durationMinutes: 180, horizonDays: 1 });
    expect(iso(dstLong.slot?.start)).toBe('2024-03-11T13:00:00.000Z');
  });

  it('only looks as far as the horizon', () => {
    const found = firstCommonSlot({ participants: [berlin(), newYork()], from: '2024-06-07T16:00:00Z', durationMinutes: 30, horizonDays: 2 });
    expect(found.slot).toBeUndefined();
  });

  it('rejects nonsense requests and handles nobody', () => {
    expect(() => firstCommonSlot({ participants: [berlin()], from: MONDAY, durationMinutes: 0, horizonDays: 5 })).toThrow(RangeError);
    expect(firstCommonSlot({ participants: [], from: MONDAY, durationMinutes: 5, horizonDays: 5 }).slot).toBeUndefined();
  });
});
