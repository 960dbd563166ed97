/**
 * The call-slot finder: the first moment every participant of a call is inside their own working hours (each in
 * their own timezone and working days) and not busy. Pure and deterministic: the medium policy calls it from inside
 * workflows, so `from` is an input and no clock is read.
 *
 * Candidates sit on a grid of `stepMinutes` counted from the Unix epoch (so a 15-minute step gives :00/:15/:30/:45 in
 * every whole- and half-hour timezone). Rather than testing every grid point, the search jumps: a participant who is
 * not working jumps it to their next working start, a busy interval to its end; the first candidate nobody jumps past
 * is the slot.
 */
import {
  isWorkingTime,
  localDateTime,
  resumeAt,
  type Instant,
  type IsoWeekday,
  type WorkingCalendar,
} from './cadence';

export interface BusyInterval {
  start: Instant;
  end: Instant;
}

export interface SlotParticipant {
  personId: string;
  /** how the person is named in reasons; defaults to personId */
  name?: string;
  timezone: string;
  workingHours: { start: string; end: string };
  /** default Monday–Friday */
  workingDays?: readonly IsoWeekday[];
  busy: readonly BusyInterval[];
}

export interface SlotRequest {
  participants: readonly SlotParticipant[];
  from: Instant;
  durationMinutes: number;
  /** how far ahead to look, in calendar days from `from` (the slot must start before from + horizonDays) */
  horizonDays: number;
  /** candidate starts are multiples of this many minutes; default 15 */
  stepMinutes?: number;
}

export interface Slot {
  start: Date;
  end: Date;
}

/** A slot, with a sentence saying why it is that one — or no slot, with a sentence saying why there is none. */
export type SlotSearch = { slot: Slot; reason: string } | { slot: undefined; reason: string };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function calendarOf(p: SlotParticipant): WorkingCalendar {
  return { timezone: p.timezone, workingHours: p.workingHours, workingDays: p.workingDays };
}

function nameOf(p: SlotParticipant): string {
  return p.name ?? p.personId;
}

function sameLocalDate(a: number, b: number, timezone: string): boolean {
  const x = localDateTime(a, timezone);
  const y = localDateTime(b, timezone);
  return x.year === y.year && x.month === y.month && x.day === y.day;
}

interface PreparedParticipant {
  who: SlotParticipant;
  calendar: WorkingCalendar;
  busy: { start: number; end: number }[];
}

/**
 * The earliest instant ≥ t at which this participant could start the call, or t itself when they can start at t.
 * A window is inside working hours when its first and last minute both are, on one local day (working hours are a
 * single stretch per day).
 */
function earliestStartFor(p: PreparedParticipant, t: number, durationMs: number, respectBusy: boolean): number {
  if (!isWorkingTime(t, p.calendar)) return resumeAt(t, p.calendar).getTime();
  const lastMinute = t + durationMs - MINUTE_MS;
  if (!isWorkingTime(lastMinute, p.calendar) || !sameLocalDate(t, lastMinute, p.calendar.timezone)) {
    // the window runs past the end of today's working hours: the next working period starts after it
    return resumeAt(t + durationMs, p.calendar).getTime();
  }
  if (respectBusy) {
    let latestEnd = t;
    for (const b of p.busy) if (b.start < t + durationMs && b.end > t) latestEnd = Math.max(latestEnd, b.end);
    if (latestEnd > t) return latestEnd;
  }
  return t;
}

function search(people: PreparedParticipant[], fromMs: number, durationMs: number, stepMs: number, untilMs: number, respectBusy: boolean): Slot | undefined {
  const align = (t: number) => Math.ceil(t / stepMs) * stepMs;
  let t = align(fromMs);
  while (t < untilMs) {
    let next = t;
    for (const p of people) next = Math.max(next, earliestStartFor(p, t, durationMs, respectBusy));
    if (next === t) return { start: new Date(t), end: new Date(t + durationMs) };
    t = align(next);
  }
  return undefined;
}

/** The first slot free for every participant inside all their working hours, or why there is none. */
export function firstCommonSlot(request: SlotRequest): SlotSearch {
  const { participants, durationMinutes, horizonDays } = request;
  const stepMinutes = request.stepMinutes ?? 15;
  if (!(durationMinutes > 0)) throw new RangeError(`a call lasts a positive number of minutes (got ${durationMinutes})`);
  if (!(stepMinutes > 0)) throw new RangeError(`the slot step is a positive number of minutes (got ${stepMinutes})`);
  if (!(horizonDays > 0)) throw new RangeError(`the search horizon is a positive number of days (got ${horizonDays})`);
  const names = participants.map(nameOf);
  if (participants.length === 0) return { slot: undefined, reason: 'there is nobody to call' };

  const people: PreparedParticipant[] = participants.map((who) => ({
    who,
    calendar: calendarOf(who),
    busy: who.busy
      .map((b) => ({ start: new Date(b.start).getTime(), end: new Date(b.end).getTime() }))
      .filter((b) => b.end > b.start),
  }));
  const fromMs = new Date(request.from).getTime();
  const untilMs = fromMs + horizonDays * DAY_MS;
  const durationMs = durationMinutes * MINUTE_MS;
  const stepMs = stepMinutes * MINUTE_MS;
  const everyone = listOf(names);
  const days = horizonDays === 1 ? '1 day' : `${horizonDays} days`;

  const slot = search(people, fromMs, durationMs, stepMs, untilMs, true);
  if (slot) {
    return { slot, reason: `${utcMinute(slot.start)} is the first ${durationMinutes}-minute slot free for ${everyone} inside all their working hours` };
  }
  // tell apart "their working hours never meet" from "they meet, but someone is always busy then"
  const overlap = search(people, fromMs, durationMs, stepMs, untilMs, false);
  if (!overlap) {
    const hours = people.map((p) => `${nameOf(p.who)} ${p.who.workingHours.start}–${p.who.workingHours.end} ${p.who.timezone}`);
    return {
      slot: undefined,
      reason: `the working hours of ${listOf(hours)} never share ${durationMinutes} minutes in the next ${days}`,
    };
  }
  return {
    slot: undefined,
    reason: `${everyone} share working hours in the next ${days}, but someone is busy in every ${durationMinutes}-minute slot of them`,
  };
}

/** "2024-03-11 13:00 UTC": no seconds, and no full stop inside a one-sentence reason */
export function utcMinute(d: Date): string {
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
