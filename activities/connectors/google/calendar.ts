/**
 * The `calendar:<calendarId>` stream: Calendar v3 events → Meetings and `event` Items, as ics.ts makes them.
 *
 * Recurring events: the feed is read with singleEvents=false (series masters and their exceptions), and a series is
 * one unit: `calendar:<id>/<masterId>`, holding every occurrence Google expands for it (events.instances) inside the
 * files connector's window (90 days back, horizonDays ahead). Why not singleEvents=true: a syncToken forbids
 * timeMin/timeMax, so the feed would expand every series over all time, and one edit of a weekly series would
 * deliver each of its instances; with masters + exceptions an edit is one entry, the series is re-read whole and
 * replaces exactly what it produced before (a moved or cancelled occurrence included).
 *
 * Incremental: nextSyncToken (on the last page) is the cursor; 410 Gone → a full listing (the page is marked full,
 * so the pipeline sweeps what the listing did not name). A cancelled event in the feed is deleted; a cancelled
 * exception re-reads its series, which no longer lists it. The window moves with time: once it has moved a week
 * since the last full listing, the stream lists in full again, so new occurrences of unchanged series appear.
 */
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import type { Item, Meeting } from '../../../schemas/entities';
import { calendarEvent } from '../files/calendar-event';
import { DAY_MS, unique } from '../files/common';
import { optedIn } from '../files/directory';
import { expansionWindow } from '../files/ics';
import type { StreamCursor, StreamPage } from '../port';
import { unitPath } from '../port';
import { must, request } from './apis';
import { isUserCalendar } from './config';
import type { GoogleReadContext } from './context';
import { googleUnit } from './context';
import { htmlToText } from './text';

export interface CalendarCursor {
  syncToken?: string;
  pageToken?: string;
  /** this pass is a full listing */
  full?: boolean;
  /** start of the expansion window (ISO day) when the last full listing began */
  windowFrom?: string;
}

/** the window may lag this far behind before a full listing refreshes the series it expands */
const WINDOW_REFRESH_MS = 7 * DAY_MS;
const PAGE_SIZE = 250;

export function calendarStream(calendarId: string): string {
  return `calendar:${calendarId}`;
}

function subjectOf(rc: GoogleReadContext, calendarId: string): string {
  return isUserCalendar(calendarId) ? calendarId.toLowerCase() : rc.config.actAs!;
}

export async function readCalendarPage(rc: GoogleReadContext, calendarId: string, cursor: StreamCursor | null): Promise<StreamPage> {
  const stream = calendarStream(calendarId);
  const window = expansionWindow(rc.ctx.now, rc.config.horizonDays);
  const fresh: CalendarCursor = { full: true, windowFrom: window.from.toISOString() };
  let state = (cursor ?? {}) as CalendarCursor;
  const paging = state.pageToken !== undefined;
  const windowStale = state.windowFrom === undefined || window.from.getTime() - Date.parse(state.windowFrom) >= WINDOW_REFRESH_MS;
  if (!paging && (!state.syncToken || windowStale)) state = fresh;

  const subject = subjectOf(rc, calendarId);
  const list = async (s: CalendarCursor) =>
    request(`calendar ${calendarId}`, async () =>
      (
        await rc.apis.calendar.events.list(
          {
            calendarId,
            singleEvents: false,
            maxResults: PAGE_SIZE,
            ...(s.full ? {} : { syncToken: s.syncToken }),
            ...(s.pageToken ? { pageToken: s.pageToken } : {}),
          },
          await rc.apis.as(subject),
        )
      ).data,
    [410]);
  let answer = await list(state);
  if ('status' in answer) {
    // 410 Gone: the sync token (or a page of its pass) expired; list everything again and sweep
    rc.ctx.log.info({ sourceId: rc.ctx.sourceId, stream }, 'calendar sync token expired (410): full resync');
    state = fresh;
    answer = await list(state);
    if ('status' in answer) throw new Error(`calendar ${calendarId}: a full listing answered ${answer.status}`);
  }
  rc.ctx.heartbeat({ stream });
  const data = answer.ok;
  const events = data.items ?? [];

  const deleted: string[] = [];
  const singles: calendar_v3.Schema$Event[] = [];
  const series = new Map<string, calendar_v3.Schema$Event | undefined>();
  for (const event of events) {
    if (!event.id) continue;
    if (event.recurringEventId) {
      if (!series.has(event.recurringEventId)) series.set(event.recurringEventId, undefined);
    } else if (event.status === 'cancelled') {
      deleted.push(unitPath(stream, event.id));
    } else if (event.recurrence?.length) {
      series.set(event.id, event);
    } else singles.push(event);
  }

  const units = singles.map((event) => googleUnit(rc, unitPath(stream, event.id!), { ...eventContent(rc, calendarId, [{ event }]) }));
  for (const [masterId, known] of series) {
    const occurrences = await seriesOccurrences(rc, calendarId, subject, masterId, known, window);
    if (occurrences === undefined) deleted.push(unitPath(stream, masterId));
    else units.push(googleUnit(rc, unitPath(stream, masterId), eventContent(rc, calendarId, occurrences)));
  }

  const more = Boolean(data.nextPageToken);
  const next: CalendarCursor = more
    ? { ...state, pageToken: data.nextPageToken! }
    : { syncToken: data.nextSyncToken ?? undefined, windowFrom: state.windowFrom };
  if (!more && !data.nextSyncToken) throw new Error(`calendar ${calendarId}: the last page carries no nextSyncToken`);
  return { units, deleted: unique(deleted), cursor: { ...next }, more, full: Boolean(state.full) };
}

interface Occurrence {
  event: calendar_v3.Schema$Event;
  master?: calendar_v3.Schema$Event;
}

/** The occurrences of a series inside the window; undefined when the series is gone (cancelled or deleted). */
async function seriesOccurrences(
  rc: GoogleReadContext,
  calendarId: string,
  subject: string,
  masterId: string,
  known: calendar_v3.Schema$Event | undefined,
  window: { from: Date; to: Date },
): Promise<Occurrence[] | undefined> {
  let master = known;
  if (!master) {
    const got = await request(`calendar ${calendarId}`, async () => (await rc.apis.calendar.events.get({ calendarId, eventId: masterId }, await rc.apis.as(subject))).data, [404, 410]);
    if ('status' in got) return undefined;
    master = got.ok;
  }
  if (master.status === 'cancelled') return undefined;
  const occurrences: Occurrence[] = [];
  let pageToken: string | undefined;
  do {
    const page = await must(`calendar ${calendarId}`, async () =>
      (
        await rc.apis.calendar.events.instances(
          { calendarId, eventId: masterId, timeMin: window.from.toISOString(), timeMax: window.to.toISOString(), maxResults: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) },
          await rc.apis.as(subject),
        )
      ).data,
    );
    rc.ctx.heartbeat({ calendarId, series: masterId });
    for (const event of page.items ?? []) if (event.id && event.status !== 'cancelled') occurrences.push({ event, master });
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return occurrences;
}

/** an event time: dateTime, or an all-day date anchored at UTC midnight (as ics.ts anchors them) */
function timeOf(t: calendar_v3.Schema$EventDateTime | undefined): Date | undefined {
  const value = t?.dateTime ?? (t?.date ? `${t.date}T00:00:00.000Z` : undefined);
  const d = value ? new Date(value) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

function conferenceUrl(event: calendar_v3.Schema$Event): string | undefined {
  const video = event.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video' && e.uri);
  return video?.uri ?? event.hangoutLink ?? undefined;
}

function statusOf(event: calendar_v3.Schema$Event): Meeting['status'] {
  return event.status === 'tentative' ? 'tentative' : event.status === 'cancelled' ? 'cancelled' : 'confirmed';
}

/** Meetings and event items of one unit's occurrences. */
export function eventContent(rc: GoogleReadContext, calendarId: string, occurrences: Occurrence[]): { items: Item[]; meetings: Meeting[] } {
  const { ctx } = rc;
  const unitPathOf = (o: Occurrence) => unitPath(calendarStream(calendarId), o.master?.id ?? o.event.id!);
  const items: Item[] = [];
  const meetings: Meeting[] = [];
  for (const occurrence of occurrences) {
    const { event, master } = occurrence;
    const path = unitPathOf(occurrence);
    const eventId = event.id!;
    const meetingId = `${calendarId}:${eventId}`;
    const startsAt = timeOf(event.start);
    if (!startsAt) continue; // Google always gives a start to a live event; a bare cancelled stub has none
    const endsAt = timeOf(event.end) ?? new Date(startsAt.getTime() + (event.start?.date ? DAY_MS : 0));

    const invited: string[] = [];
    const attending: string[] = [];
    const responses: Record<string, string> = {};
    const outside = new Set<string>();
    for (const attendee of event.attendees ?? []) {
      if (attendee.resource) continue; // rooms and equipment are not people
      const email = attendee.email?.trim().toLowerCase();
      const person = email ? optedIn(ctx.directory.byEmail(email)) : undefined;
      if (!person) {
        outside.add(email ?? `anonymous-${outside.size}`);
        continue;
      }
      invited.push(person.id);
      responses[person.id] = attendee.responseStatus ?? 'needsAction';
      // who declined is still invited (may see the event) but is not expected there: no brief for them
      if (attendee.responseStatus !== 'declined') attending.push(person.id);
    }
    const organizerEmail = event.organizer?.email?.toLowerCase();
    const organizer = organizerEmail ? optedIn(ctx.directory.byEmail(organizerEmail)) : undefined;
    const outsideOptInCount = outside.size + (event.attendeesOmitted ? 1 : 0);

    const title = event.summary ?? master?.summary ?? '';
    const description = htmlToText(event.description ?? master?.description ?? '');
    const location = event.location ?? master?.location ?? undefined;
    const status = statusOf(event);
    const link = conferenceUrl(event);
    const attendees = unique(attending);
    const attachments = (event.attachments ?? []).map((a) => a.fileId).filter((id): id is string => Boolean(id));
    const seriesId = event.recurringEventId ?? undefined;

    const { item, meeting } = calendarEvent(ctx, path, {
      meetingId,
      calendarId,
      eventId,
      seriesId,
      title,
      description,
      location,
      startsAt,
      endsAt,
      status,
      organizerId: organizer?.id ?? null,
      attendeeIds: attendees,
      alsoInvited: invited,
      outsideOptInCount,
      locator: event.htmlLink ?? `google-calendar:${calendarId}/${eventId}`,
      providerMeta: { ...(link ? { conferenceUrl: link } : {}), ...(attachments.length ? { driveFileIds: attachments } : {}), responses },
    });
    items.push(item);
    meetings.push(meeting);
  }
  return { items, meetings };
}
