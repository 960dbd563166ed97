/**
 * When something is due: natural-language dates ("by Friday", "before the March 10 sync", "this week")
 * resolved with chrono-node relative to the moment they were said, in the SPEAKER's time zone, and
 * turned into an instant at the end of that person's working day (or its start, for "before …" and
 * "first thing …").
 *
 * chrono works on wall-clock time here: the reference instant is shifted into the speaker's zone and
 * parsed as if it were UTC, the resolved calendar day is read back, and the final wall-clock time is
 * converted to an instant with the zone's real offset on that day (so DST changes are respected).
 */
import * as chrono from 'chrono-node';

export interface WorkingHours {
  start: string;
  end: string;
}

export interface DueDate {
  dueAt: Date;
  /** the words it was resolved from, as said ("by Friday") */
  dueText: string;
  /** where those words are in the text */
  index: number;
  length: number;
}

const DEFAULT_HOURS: WorkingHours = { start: '09:00', end: '17:00' };
const DAY_MS = 86_400_000;

/** Offset of `timeZone` from UTC at `instant`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(timeZone: string, instant: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** A valid IANA zone name, or UTC. */
export function safeZone(timeZone: string | undefined): string {
  if (!timeZone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone;
  } catch {
    return 'UTC';
  }
}

/** The instant at which the wall clock in `timeZone` shows the given local date and time. */
export function zonedWallTimeToInstant(
  timeZone: string,
  local: { year: number; month: number; day: number; hour: number; minute: number },
): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // Two passes settle the offset across a DST change.
  let guess = wall - zoneOffsetMs(timeZone, new Date(wall));
  guess = wall - zoneOffsetMs(timeZone, new Date(guess));
  return new Date(guess);
}

function hhmm(value: string | undefined, fallback: string): { hour: number; minute: number } {
  const [h, m] = (value && /^\d\d:\d\d$/.test(value) ? value : fallback).split(':').map(Number);
  return { hour: h ?? 0, minute: m ?? 0 };
}

/** chrono, taught the deadline idioms it does not know on its own (EOD, EOW, end of the week/month). */
const deadlineChrono = (() => {
  const custom = chrono.casual.clone();
  custom.parsers.push({
    pattern: () => /\b(?:eod|end of (?:the |to)?day|close of business|cob)\b/i,
    extract: (context) => {
      const ref = context.refDate;
      return { year: ref.getUTCFullYear(), month: ref.getUTCMonth() + 1, day: ref.getUTCDate() };
    },
  });
  custom.parsers.push({
    pattern: () => /\b(?:eow|end of (?:the |this )?week)\b/i,
    extract: (context) => {
      const friday = fridayOfWeek(context.refDate);
      return { year: friday.getUTCFullYear(), month: friday.getUTCMonth() + 1, day: friday.getUTCDate(), weekday: 5 };
    },
  });
  custom.parsers.push({
    pattern: () => /\b(?:eom|end of (?:the |this )?month)\b/i,
    extract: (context) => {
      const last = lastDayOfMonth(context.refDate);
      return { year: last.getUTCFullYear(), month: last.getUTCMonth() + 1, day: last.getUTCDate() };
    },
  });
  return custom;
})();

/** Friday of the (Monday-based) week of a wall-clock-as-UTC date. */
function fridayOfWeek(d: Date): Date {
  const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + (4 - weekday)));
}

function lastDayOfMonth(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
}

/** Words right before a date that make it a deadline, and which end of the day they mean. */
const LEADING_WORDS = /(?:\b(by|before|until|till|on|due|no later than|at the latest by|first thing|from)\s+(?:the\s+)?)$/i;

/**
 * The first future date in `text`, as a deadline: `saidAt` is when it was said, `timeZone` and
 * `hours` the speaker's. Dates that resolve to the past ("yesterday", "last week") are not deadlines.
 */
export function resolveDueDate(text: string, saidAt: Date, timeZone: string | undefined, hours: WorkingHours = DEFAULT_HOURS): DueDate | undefined {
  const zone = safeZone(timeZone);
  const offset = zoneOffsetMs(zone, saidAt);
  const wallRef = new Date(saidAt.getTime() + offset);
  const results = deadlineChrono.parse(text, { instant: wallRef, timezone: 0 }, { forwardDate: true });
  for (const result of results) {
    if (!looksLikeADate(result)) continue;
    const before = text.slice(0, result.index);
    const lead = LEADING_WORDS.exec(before);
    const leadWord = lead?.[1]?.toLowerCase();
    const startOfDay = leadWord === 'before' || leadWord === 'first thing' || /\bmorning\b/i.test(result.text);

    let dueAt: Date;
    if (result.start.isCertain('timezoneOffset')) {
      dueAt = result.start.date(); // "16:00 UTC": an absolute instant
    } else {
      let day = result.start.date(); // wall clock, expressed in UTC fields
      const phrase = result.text.toLowerCase();
      if (/\bweek\b/.test(phrase) && !result.start.isCertain('weekday') && !result.start.isCertain('day')) day = fridayOfWeek(day);
      if (/\bmonth\b/.test(phrase) && !result.start.isCertain('day')) day = lastDayOfMonth(day);
      const time = result.start.isCertain('hour')
        ? { hour: result.start.get('hour') ?? 0, minute: result.start.get('minute') ?? 0 }
        : hhmm(startOfDay ? hours.start : hours.end, startOfDay ? DEFAULT_HOURS.start : DEFAULT_HOURS.end);
      dueAt = zonedWallTimeToInstant(zone, {
        year: day.getUTCFullYear(),
        month: day.getUTCMonth() + 1,
        day: day.getUTCDate(),
        ...time,
      });
    }
    if (dueAt.getTime() <= saidAt.getTime() - DAY_MS / 2) continue; // in the past: not a deadline
    const index = lead ? result.index - lead[0].length : result.index;
    const dueText = text.slice(index, result.index + result.text.length).trim().replace(/[\s,;:.]+$/, '');
    return { dueAt, dueText, index, length: result.index + result.text.length - index };
  }
  return undefined;
}

/** chrono also reads bare numbers and durations; a deadline names a day (or a time on one). */
function looksLikeADate(result: chrono.ParsedResult): boolean {
  const s = result.start;
  // "~6 hours", "in 20 minutes": a duration from now, not a day something is due on
  if (/\b(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)\b/i.test(result.text)) return false;
  if (s.isCertain('day') || s.isCertain('weekday') || s.isCertain('month')) return true;
  return /\b(?:today|tonight|tomorrow|week|month|eod|eow|eom|end of)\b/i.test(result.text);
}
