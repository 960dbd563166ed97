/**
 * Follow-up cadence: pure, deterministic working-time arithmetic in a person's own timezone and working hours.
 * Imported by the follow-up workflow (it runs in Temporal's sandbox, where Intl.DateTimeFormat is available and
 * no clock is read here) and by activities and tests alike.
 *
 * Working days are counted like a spreadsheet's WORKDAY: `addWorkingDays(t, n)` is the start of the person's
 * working hours on the n-th working day after the local date of t. Friday 15:00 + 2 = Tuesday 09:00; Saturday + 1 =
 * Monday 09:00. Whatever the hour of t, the result lands at the start of a working day, in that day's UTC offset (so
 * across a DST change 09:00 stays 09:00 local).
 */

/** ISO weekday: 1 = Monday … 7 = Sunday */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface WorkingCalendar {
  /** IANA timezone, e.g. "Europe/Berlin" */
  timezone: string;
  /** local working hours, "HH:MM" 24h; end may be "24:00" */
  workingHours: { start: string; end: string };
  /** default Monday–Friday */
  workingDays?: readonly IsoWeekday[];
}

export interface WorkingDaysSpan {
  workingDays: number;
}

export interface FollowUpCadence {
  /** nudge the owner this long after the anchor */
  nudgeAfter: WorkingDaysSpan;
  /** escalate to the decider */
  escalateAfter: WorkingDaysSpan;
  /** close the follow-up as stale, with a summary */
  closeStaleAfter: WorkingDaysSpan;
}

export type CadenceStep = 'nudge' | 'escalate' | 'stale';
export const CADENCE_STEPS: readonly CadenceStep[] = ['nudge', 'escalate', 'stale'];

/** an instant: a Date, epoch milliseconds or an ISO string */
export type Instant = Date | number | string;

export const MONDAY_TO_FRIDAY: readonly IsoWeekday[] = [1, 2, 3, 4, 5];
const DAY_MS = 86_400_000;

/** A civil date and time as read on a wall clock somewhere. */
export interface LocalDateTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

// ---- timezones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of an instant in a timezone. */
export function localDateTime(instant: Date | number, timeZone: string): LocalDateTime {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/** UTC offset (ms, east positive) of a timezone at an instant. */
export function utcOffsetMs(instant: number, timeZone: string): number {
  const l = localDateTime(instant, timeZone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a timezone. A time that occurs twice (the hour repeated when clocks go
 * back) gives the first; a time that does not occur (skipped when clocks go forward) gives the instant it would have
 * been with the offset before the change, i.e. as far past the gap as it was into it (02:30 → 03:30).
 */
export function zonedTimeToInstant(local: CivilDate & { hour: number; minute: number }, timeZone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const before = utcOffsetMs(wall - DAY_MS, timeZone);
  const after = utcOffsetMs(wall + DAY_MS, timeZone);
  const candidates = [...new Set([wall - before, wall - after])].filter((t) => t + utcOffsetMs(t, timeZone) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  return wall - before;
}

// ---- civil dates

function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday of a civil date (no timezone involved). */
export function isoWeekday(date: CivilDate): IsoWeekday {
  const js = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return (js === 0 ? 7 : js) as IsoWeekday;
}

function parseHhMm(text: string, what: string): number {
  const m = /^(\d\d):(\d\d)$/.exec(text);
  const hours = Number(m?.[1]);
  const minutes = Number(m?.[2]);
  if (!m || minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) {
    throw new RangeError(`${what} "${text}" is not a HH:MM time`);
  }
  return hours * 60 + minutes;
}

interface CheckedCalendar {
  timeZone: string;
  startMin: number;
  endMin: number;
  days: ReadonlySet<number>;
}

function check(calendar: WorkingCalendar): CheckedCalendar {
  if (!isValidTimeZone(calendar.timezone)) throw new RangeError(`unknown timezone "${calendar.timezone}"`);
  const startMin = parseHhMm(calendar.workingHours.start, 'working hours start');
  const endMin = parseHhMm(calendar.workingHours.end, 'working hours end');
  if (startMin >= 24 * 60) throw new RangeError('working hours cannot start at 24:00');
  const days = new Set<number>(calendar.workingDays ?? MONDAY_TO_FRIDAY);
  if (days.size === 0 || [...days].some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw new RangeError('working days must be a non-empty set of ISO weekdays (1 = Monday … 7 = Sunday)');
  }
  return { timeZone: calendar.timezone, startMin, endMin, days };
}

function workStartOn(date: CivilDate, c: CheckedCalendar): number {
  return zonedTimeToInstant({ ...date, hour: Math.floor(c.startMin / 60), minute: c.startMin % 60 }, c.timeZone);
}

function localDateOf(instant: number, timeZone: string): CivilDate {
  const l = localDateTime(instant, timeZone);
  return { year: l.year, month: l.month, day: l.day };
}

// ---- the policy

/**
 * The start of the person's working hours on the n-th working day after the local date of `from` (n ≥ 1).
 * n = 0 means the first working moment at or after `from` (see resumeAt).
 */
export function addWorkingDays(from: Instant, n: number, calendar: WorkingCalendar): Date {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`working days must be a whole number ≥ 0 (got ${n})`);
  if (n === 0) return resumeAt(from, calendar);
  const c = check(calendar);
  let date = localDateOf(new Date(from).getTime(), c.timeZone);
  for (let counted = 0; counted < n; ) {
    date = addDays(date, 1);
    if (c.days.has(isoWeekday(date))) counted += 1;
  }
  return new Date(workStartOn(date, c));
}

/**
 * The first working moment at or after `at`: `at` itself when it falls inside working hours on a working day, else
 * the start of the next working period. (With end ≤ start — a shift past midnight — a day's working period is taken
 * to run from start to midnight.)
 */
export function resumeAt(at: Instant, calendar: WorkingCalendar): Date {
  const c = check(calendar);
  const t = new Date(at).getTime();
  const local = localDateTime(t, c.timeZone);
  const today: CivilDate = { year: local.year, month: local.month, day: local.day };
  const minuteOfDay = local.hour * 60 + local.minute;
  const endMin = c.endMin > c.startMin ? c.endMin : 24 * 60;
  if (c.days.has(isoWeekday(today))) {
    if (minuteOfDay < c.startMin) {
      const start = workStartOn(today, c);
      if (start >= t) return new Date(start);
    } else if (minuteOfDay < endMin) {
      return new Date(t);
    }
  }
  let date = today;
  do date = addDays(date, 1);
  while (!c.days.has(isoWeekday(date)));
  return new Date(workStartOn(date, c));
}

/** Whether `at` falls inside working hours on a working day. */
export function isWorkingTime(at: Instant, calendar: WorkingCalendar): boolean {
  return resumeAt(at, calendar).getTime() === new Date(at).getTime();
}

/** Working days after the anchor at which each step is due. */
export function stepOffsets(cadence: FollowUpCadence): Record<CadenceStep, number> {
  const offsets = {
    nudge: cadence.nudgeAfter.workingDays,
    escalate: cadence.escalateAfter.workingDays,
    stale: cadence.closeStaleAfter.workingDays,
  };
  if (!(offsets.nudge <= offsets.escalate && offsets.escalate <= offsets.stale)) {
    throw new RangeError(`a cadence must nudge, then escalate, then close (got ${offsets.nudge}/${offsets.escalate}/${offsets.stale} working days)`);
  }
  return offsets;
}

/**
 * Where a cadence counts from: `base` is the instant at which the step at `baseOffset` working days is due. A fresh
 * cadence has base = the anchor (the decision, or the action's due date) and baseOffset = 0; a snooze moves the base
 * to the end of the snooze and the offset to the next pending step, so that step lands there and the later ones keep
 * their spacing.
 */
export interface CadenceBase {
  base: string;
  baseOffset: number;
}

/** When `step` is due for a cadence counted from `cb`, in the calendar's working time. */
export function stepDueAt(step: CadenceStep, cb: CadenceBase, cadence: FollowUpCadence, calendar: WorkingCalendar): Date {
  const offset = stepOffsets(cadence)[step];
  const delta = offset - cb.baseOffset;
  if (delta < 0) throw new RangeError(`step ${step} (${offset} working days) comes before the cadence base (${cb.baseOffset})`);
  if (delta === 0) return cb.baseOffset === 0 ? addWorkingDays(cb.base, 0, calendar) : new Date(cb.base);
  return addWorkingDays(cb.base, delta, calendar);
}

/** The three due times of a fresh cadence counted from `anchor`. */
export function followUpSchedule(anchor: Instant, cadence: FollowUpCadence, calendar: WorkingCalendar): Record<CadenceStep, Date> {
  const cb: CadenceBase = { base: new Date(anchor).toISOString(), baseOffset: 0 };
  return {
    nudge: stepDueAt('nudge', cb, cadence, calendar),
    escalate: stepDueAt('escalate', cb, cadence, calendar),
    stale: stepDueAt('stale', cb, cadence, calendar),
  };
}

/**
 * The cadence base after a snooze until `until` while `nextStep` is pending: the step moves to the first working
 * moment at or after `until` — never earlier than it was due already (a snooze only postpones).
 */
export function snoozedBase(
  current: CadenceBase,
  nextStep: CadenceStep,
  until: Instant,
  cadence: FollowUpCadence,
  calendar: WorkingCalendar,
): CadenceBase {
  const due = stepDueAt(nextStep, current, cadence, calendar);
  const resume = resumeAt(until, calendar);
  if (resume.getTime() <= due.getTime()) return current;
  return { base: resume.toISOString(), baseOffset: stepOffsets(cadence)[nextStep] };
}
