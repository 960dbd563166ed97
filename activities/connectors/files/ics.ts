/**
 * iCalendar (.ics) files, parsed by node-ical. Every VEVENT gives a Meeting and an `event`
 * Item; recurring events are expanded (EXDATE and RECURRENCE-ID overrides honored) inside the
 * window around `now`.
 */
import path from 'node:path';
import ical from 'node-ical';
import type { Item, Meeting, Person } from '../../../schemas/entities';
import type { UnitContent } from './common';
import { calendarEvent } from './calendar-event';
import { DAY_MS, shifted, unique } from './common';
import { optedIn } from './directory';
import type { FilesContext } from './types';
import { QuarantineError } from './types';

/** Recurrences are expanded from this many days before `now`. */
export const PAST_WINDOW_DAYS = 90;

/** Lower-case, ASCII letters and digits separated by single dashes. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function calendarIdFor(relPath: string, calName: string | undefined): string {
  const fromName = calName ? slugify(calName) : '';
  if (fromName) return fromName;
  return slugify(path.posix.basename(relPath, path.posix.extname(relPath))) || 'calendar';
}

/**
 * The expansion window in the shifted (emitted) time line: from UTC midnight of `now` minus
 * 90 days to UTC midnight after `now` plus horizonDays. Day granularity keeps the output (and
 * the fileHash that records the window) stable within a day.
 */
export function expansionWindow(now: Date, horizonDays: number): { from: Date; to: Date } {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { from: new Date(today - PAST_WINDOW_DAYS * DAY_MS), to: new Date(today + (horizonDays + 1) * DAY_MS) };
}

type Param = ical.ParameterValue<string, Record<string, unknown>> | undefined;

function text(value: Param): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && 'val' in value) return typeof value.val === 'string' ? value.val : String(value.val);
  return String(value);
}

/** The email of an ATTENDEE/ORGANIZER value (mailto: URI or EMAIL parameter), lower-cased. */
function addressOf(value: Param): { email?: string; cutype?: string } {
  if (value === undefined || value === null) return {};
  const params = typeof value === 'object' ? value.params : {};
  const raw = text(value) ?? '';
  const fromParam = typeof params.EMAIL === 'string' ? params.EMAIL : undefined;
  const fromUri = /^mailto:/i.test(raw) ? raw.replace(/^mailto:/i, '') : raw.includes('@') ? raw : undefined;
  const email = (fromParam ?? fromUri)?.trim().toLowerCase();
  const cutype = typeof params.CUTYPE === 'string' ? params.CUTYPE.toUpperCase() : undefined;
  return { email: email && email.includes('@') ? email : undefined, cutype };
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * All-day values are created by node-ical at local midnight of the process time zone; re-anchor
 * them at UTC midnight so output and ids do not depend on where the worker runs.
 */
function instant(d: ical.DateWithTimeZone): Date {
  if (d.dateOnly) return new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  return new Date(d.getTime());
}

function occurrenceKey(d: ical.DateWithTimeZone): string {
  return d.dateOnly ? instant(d).toISOString().slice(0, 10) : d.toISOString();
}

function isValidDate(d: unknown): d is ical.DateWithTimeZone {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/**
 * Structural checks node-ical does not make (it accepts almost anything): the file is a
 * VCALENDAR, it is complete, and its BEGIN/END lines nest.
 */
function checkStructure(relPath: string, source: string): void {
  const lines = source.split(/\r\n|\r|\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first === -1 || lines[first]?.trim().toUpperCase() !== 'BEGIN:VCALENDAR') {
    throw new QuarantineError(relPath, 'not an iCalendar file (missing BEGIN:VCALENDAR)');
  }
  const stack: { name: string; line: number }[] = [];
  lines.forEach((raw, i) => {
    const m = /^(BEGIN|END):([A-Za-z0-9-]+)\s*$/.exec(raw);
    if (!m) return;
    const name = (m[2] ?? '').toUpperCase();
    if (m[1]?.toUpperCase() === 'BEGIN') {
      stack.push({ name, line: i + 1 });
      return;
    }
    const open = stack.pop();
    if (!open) throw new QuarantineError(relPath, `END:${name} at line ${i + 1} without a matching BEGIN`);
    if (open.name !== name) {
      throw new QuarantineError(relPath, `BEGIN:${open.name} at line ${open.line} is closed by END:${name} at line ${i + 1}`);
    }
    if (name === 'VCALENDAR' && lines.slice(i + 1).some((l) => l.trim() !== '')) {
      throw new QuarantineError(relPath, `content after END:VCALENDAR at line ${i + 1}`);
    }
  });
  const open = stack[stack.length - 1];
  if (open) throw new QuarantineError(relPath, `truncated: BEGIN:${open.name} at line ${open.line} is never closed`);
}

interface Occurrence {
  /** the VEVENT that describes this occurrence (an override, or the event itself) */
  event: ical.VEvent;
  start: Date;
  end: Date;
  eventId: string;
  seriesId?: string;
}

function occurrencesOf(relPath: string, master: ical.VEvent, window: { from: Date; to: Date }): Occurrence[] {
  const uid = master.uid;
  const start = master.start;
  const endOf = (s: ical.DateWithTimeZone, e: ical.DateWithTimeZone | undefined | null): Date =>
    isValidDate(e) ? instant(e) : new Date(instant(s).getTime() + (s.dateOnly ? DAY_MS : 0));

  if (!master.rrule) {
    // a plain event, or an override whose series is not in this file
    const recurrenceId = master.recurrenceid;
    if (isValidDate(recurrenceId)) {
      return [{ event: master, start: instant(start), end: endOf(start, master.end), eventId: `${uid}@${occurrenceKey(recurrenceId)}`, seriesId: uid }];
    }
    return [{ event: master, start: instant(start), end: endOf(start, master.end), eventId: uid }];
  }

  let instances: ical.EventInstance[];
  try {
    instances = ical.expandRecurringEvent(master, { from: window.from, to: window.to });
  } catch (err) {
    throw new QuarantineError(relPath, `cannot expand the recurrence of VEVENT ${uid} (${err instanceof Error ? err.message : String(err)})`);
  }
  return instances.map((inst) => {
    const original = inst.isOverride && isValidDate(inst.event.recurrenceid) ? inst.event.recurrenceid : inst.start;
    return {
      event: inst.event,
      start: instant(inst.start),
      end: endOf(inst.start, inst.end),
      eventId: `${uid}@${occurrenceKey(original)}`,
      seriesId: uid,
    };
  });
}

function statusOf(event: ical.VEvent, master: ical.VEvent): Meeting['status'] {
  const s = String(event.status ?? master.status ?? '').toUpperCase();
  if (s === 'CANCELLED') return 'cancelled';
  if (s === 'TENTATIVE') return 'tentative';
  return 'confirmed';
}

export async function parseIcs(ctx: FilesContext, relPath: string, source: string): Promise<UnitContent> {
  checkStructure(relPath, source);
  let data: ical.CalendarResponse;
  try {
    data = await ical.async.parseICS(source);
  } catch (err) {
    throw new QuarantineError(relPath, `invalid iCalendar (${err instanceof Error ? err.message : String(err)})`);
  }
  const calendarId = calendarIdFor(relPath, data.vcalendar?.['WR-CALNAME']);
  const window = expansionWindow(ctx.now, ctx.horizonDays);
  // node-ical compares against the event's own (unshifted) times
  const unshiftedWindow = { from: new Date(window.from.getTime() - ctx.timeShiftMs), to: new Date(window.to.getTime() - ctx.timeShiftMs) };

  const events: ical.VEvent[] = [];
  let index = 0;
  for (const component of Object.values(data)) {
    if (!component || component.type !== 'VEVENT') continue;
    const event = component as ical.VEvent;
    index++;
    const label = `VEVENT #${index}${text(event.summary) ? ` ("${text(event.summary)}")` : ''}`;
    if (typeof event.uid !== 'string' || event.uid.trim() === '') throw new QuarantineError(relPath, `${label} has no UID`);
    if (!isValidDate(event.start)) throw new QuarantineError(relPath, `${label} has no valid DTSTART`);
    if (event.end !== undefined && event.end !== null && !isValidDate(event.end)) {
      throw new QuarantineError(relPath, `${label} has an invalid DTEND`);
    }
    events.push(event);
  }

  const meetings: Meeting[] = [];
  const items: Item[] = [];
  const seen = new Set<string>();
  for (const master of events) {
    for (const occ of occurrencesOf(relPath, master, unshiftedWindow)) {
      const meetingId = `${calendarId}:${occ.eventId}`;
      if (seen.has(meetingId)) throw new QuarantineError(relPath, `two events share the id ${meetingId}`);
      seen.add(meetingId);
      const ev = occ.event;
      // an override that restates nothing inherits the series' people and texts
      const attendeeValues = asArray(ev.attendee ?? master.attendee) as Param[];
      const organizerValue = (ev.organizer ?? master.organizer) as Param;

      const attendeeIds: string[] = [];
      const outside = new Set<string>();
      let anonymousOutside = 0;
      const consider = (value: Param, isAttendee: boolean): Person | undefined => {
        const { email, cutype } = addressOf(value);
        if (cutype === 'ROOM' || cutype === 'RESOURCE') return undefined;
        const person = email ? optedIn(ctx.directory.byEmail(email)) : undefined;
        if (person) {
          if (isAttendee) attendeeIds.push(person.id);
        } else if (email) outside.add(ctx.directory.byEmail(email)?.id ?? email);
        else if (isAttendee) anonymousOutside++;
        return person;
      };
      for (const a of attendeeValues) consider(a, true);
      const organizer = organizerValue === undefined ? undefined : consider(organizerValue, false);

      const title = text(ev.summary ?? master.summary) ?? '';
      const description = text((ev.description ?? master.description) as Param) ?? '';
      const location = text((ev.location ?? master.location) as Param) || undefined;
      const status = statusOf(ev, master);
      const startsAt = shifted(ctx, occ.start);
      const endsAt = shifted(ctx, occ.end);
      const attendees = unique(attendeeIds);
      const outsideOptInCount = outside.size + anonymousOutside;

      const { item, meeting } = calendarEvent(ctx, relPath, {
        meetingId,
        calendarId,
        eventId: occ.eventId,
        seriesId: occ.seriesId,
        title,
        description,
        location,
        startsAt,
        endsAt,
        status,
        organizerId: organizer?.id ?? null,
        attendeeIds: attendees,
        outsideOptInCount,
        locator: `${relPath}#${encodeURIComponent(occ.eventId)}`,
      });
      items.push(item);
      meetings.push(meeting);
    }
  }
  const order = (a: { startsAt: Date; id: string }, b: { startsAt: Date; id: string }) =>
    a.startsAt.getTime() - b.startsAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  meetings.sort(order);
  const rank = new Map(meetings.map((m, i) => [m.itemId, i]));
  items.sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
  return { meetings, items };
}
