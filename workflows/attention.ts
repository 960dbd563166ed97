/**
 * When a person's agent lets a notification through: pure, deterministic timing policy over the person's working
 * time (workflows/cadence.ts), quiet hours, do-not-disturb and attention budget. The person agent workflow calls it;
 * `myc me` and tests call it too. No clock is read here: every function takes the instant it decides for.
 *
 * An item interrupts (goes out on its own, now) when it is urgent or travels a fast channel, and only inside working
 * hours, outside quiet hours and do-not-disturb, while the day's attention budget lasts. An interrupting item that
 * comes at a bad moment is held until the next allowed one; once the budget is spent, it joins the digest. Everything
 * else joins the digest, delivered at the person's digest time (default: the start of their working day) in their
 * own timezone.
 */
import type { Channel, Medium, Urgency } from '../schemas/routing';
import { isoWeekday, localDateTime, resumeAt, zonedTimeToInstant, type CivilDate, type Instant, type IsoWeekday, type WorkingCalendar } from './cadence';

export interface QuietHours {
  /** local "HH:MM"; the quiet period may wrap past midnight (22:00–07:00) */
  start: string;
  end: string;
}

/** What the agent knows about a person's attention: the directory's working time plus their own settings. */
export interface AttentionSettings {
  timezone: string;
  workingHours: { start: string; end: string };
  workingDays?: readonly IsoWeekday[];
  quietHours?: QuietHours;
  /** ISO instant: nothing interrupts before it, and no digest goes out before it */
  dndUntil?: string;
  /** interruptions per local day */
  budgetPerDay: number;
  /** local "HH:MM" of the daily digest */
  digestTime: string;
  preferredMediums: Medium[];
  avoidedMediums: Medium[];
}

export interface AttentionRules {
  interruptingUrgencies: readonly Urgency[];
  interruptingChannels: readonly Channel[];
}

export interface NoticeTiming {
  urgency: Urgency;
  channel: Channel;
  /** not before this instant (ISO) */
  deliverAt?: string;
}

/** Where an item goes: out now, held until a moment, or into the next digest. Every placement says why. */
export type Placement = { kind: 'now'; reason: string } | { kind: 'hold'; until: Date; reason: string } | { kind: 'digest'; reason: string };

function minutesOf(hhmm: string, what: string): number {
  const m = /^(\d\d):(\d\d)$/.exec(hhmm);
  const hours = Number(m?.[1]);
  const minutes = Number(m?.[2]);
  if (!m || hours > 23 || minutes > 59) throw new RangeError(`${what} "${hhmm}" is not a HH:MM time`);
  return hours * 60 + minutes;
}

/** A civil date `days` after another (no timezone involved). */
function civilPlus(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function atLocal(date: CivilDate, minuteOfDay: number, timezone: string): number {
  return zonedTimeToInstant({ ...date, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 }, timezone);
}

export function calendarOf(settings: AttentionSettings): WorkingCalendar {
  return { timezone: settings.timezone, workingHours: settings.workingHours, ...(settings.workingDays ? { workingDays: settings.workingDays } : {}) };
}

/** The person's local date of an instant, "YYYY-MM-DD": the attention budget is counted per local day. */
export function localDateKey(at: Instant, timezone: string): string {
  const l = localDateTime(new Date(at), timezone);
  return `${l.year}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')}`;
}

/** When the quiet period containing `at` ends, or undefined when `at` is not inside quiet hours. */
export function quietEndAfter(at: Instant, quiet: QuietHours | undefined, timezone: string): Date | undefined {
  if (!quiet) return undefined;
  const start = minutesOf(quiet.start, 'quiet hours start');
  const end = minutesOf(quiet.end, 'quiet hours end');
  if (start === end) return undefined;
  const t = new Date(at).getTime();
  const l = localDateTime(t, timezone);
  const today: CivilDate = { year: l.year, month: l.month, day: l.day };
  const minute = l.hour * 60 + l.minute;
  if (start < end) return minute >= start && minute < end ? new Date(atLocal(today, end, timezone)) : undefined;
  if (minute >= start) return new Date(atLocal(civilPlus(today, 1), end, timezone));
  if (minute < end) return new Date(atLocal(today, end, timezone));
  return undefined;
}

/** The first instant at or after `at` inside working time, outside quiet hours and after do-not-disturb. */
export function nextAllowedMoment(at: Instant, settings: AttentionSettings): Date {
  const calendar = calendarOf(settings);
  const dnd = settings.dndUntil ? new Date(settings.dndUntil).getTime() : undefined;
  let t = new Date(at).getTime();
  // each step only moves forward; a handful settles any sane calendar (quiet hours covering a whole working day
  // push to the next day, and so on)
  for (let step = 0; step < 32; step++) {
    const before = t;
    if (dnd !== undefined && t < dnd) t = dnd;
    t = resumeAt(t, calendar).getTime();
    const quietEnd = quietEndAfter(t, settings.quietHours, settings.timezone);
    if (quietEnd) t = quietEnd.getTime();
    if (t === before) return new Date(t);
  }
  throw new RangeError('quiet hours cover every working hour: nothing could ever interrupt');
}

/** The first digest moment at or after `at` (the digest time on a working day), never inside do-not-disturb. */
export function nextDigestAt(at: Instant, settings: AttentionSettings): Date {
  const digestMinute = minutesOf(settings.digestTime, 'digest time');
  const dnd = settings.dndUntil ? new Date(settings.dndUntil).getTime() : Number.NEGATIVE_INFINITY;
  const from = Math.max(new Date(at).getTime(), dnd);
  const days = new Set<number>(settings.workingDays ?? [1, 2, 3, 4, 5]);
  const l = localDateTime(from, settings.timezone);
  const today: CivilDate = { year: l.year, month: l.month, day: l.day };
  for (let d = 0; d <= 8; d++) {
    const date = civilPlus(today, d);
    if (!days.has(isoWeekday(date))) continue;
    const t = atLocal(date, digestMinute, settings.timezone);
    if (t >= from) return new Date(t);
  }
  throw new RangeError('no working day within a week: a digest could never be sent');
}

export function interrupts(notice: NoticeTiming, rules: AttentionRules): boolean {
  return rules.interruptingUrgencies.includes(notice.urgency) || rules.interruptingChannels.includes(notice.channel);
}

function describeHold(at: number, until: Date, settings: AttentionSettings): string {
  const calendar = calendarOf(settings);
  if (settings.dndUntil && at < new Date(settings.dndUntil).getTime()) return `do not disturb until ${settings.dndUntil}`;
  if (quietEndAfter(at, settings.quietHours, settings.timezone)) return `quiet hours ${settings.quietHours!.start}–${settings.quietHours!.end} (${settings.timezone})`;
  if (resumeAt(at, calendar).getTime() !== at) return `outside working hours ${settings.workingHours.start}–${settings.workingHours.end} (${settings.timezone})`;
  return `not before ${until.toISOString()}`;
}

/**
 * Where one item goes at `now`, given how many interruptions the person had today (their local day of `now`).
 */
export function placeNotice(notice: NoticeTiming, now: Instant, settings: AttentionSettings, usedToday: number, rules: AttentionRules): Placement {
  const t = new Date(now).getTime();
  if (!interrupts(notice, rules)) {
    return { kind: 'digest', reason: `${notice.urgency} urgency on the ${notice.channel} channel: waits for the digest` };
  }
  const notBefore = notice.deliverAt ? Math.max(t, new Date(notice.deliverAt).getTime()) : t;
  const allowed = nextAllowedMoment(notBefore, settings);
  if (allowed.getTime() > t) {
    const reason = notBefore > t ? `scheduled for ${new Date(notBefore).toISOString()}` : describeHold(t, allowed, settings);
    return { kind: 'hold', until: allowed, reason: `${reason}: held until ${allowed.toISOString()}` };
  }
  if (usedToday >= settings.budgetPerDay) {
    return { kind: 'digest', reason: `the attention budget of ${settings.budgetPerDay} interruptions today is used up: joins the digest` };
  }
  return { kind: 'now', reason: `${notice.urgency} urgency on the ${notice.channel} channel, inside working hours: sent at once` };
}
