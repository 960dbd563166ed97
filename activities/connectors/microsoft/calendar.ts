/**
 * `calendar:<user>`: the user's calendar through /users/{id}/calendarView/delta over a window around now. Every
 * event occurrence gives a Meeting and an `event` Item, exactly as an .ics VEVENT does in the files connector:
 * meeting id `${calendarId}:${eventId}` (calendarId = the configured user, eventId = Graph's occurrence id),
 * opted-in attendees as the access list, people outside the opt-in counted, never named.
 */
import type { Meeting } from '../../../schemas/entities';
import { calendarEvent } from '../files/calendar-event';
import { unique } from '../files/common';
import type { ConnectorContext } from '../port';
import { unitPath } from '../port';
import { addressOf, bodyText, graphDate, optedInByEmail, unitOf, type GraphEmailAddress, type GraphItemBody } from './common';
import type { ParsedUnit } from '../../../schemas/entities';

export interface GraphAttendee extends GraphEmailAddress {
  type?: 'required' | 'optional' | 'resource' | string;
  status?: { response?: string; time?: string } | null;
}

export interface GraphEvent {
  id: string;
  '@removed'?: { reason?: string };
  subject?: string | null;
  body?: GraphItemBody | null;
  start?: { dateTime?: string; timeZone?: string } | null;
  end?: { dateTime?: string; timeZone?: string } | null;
  isCancelled?: boolean;
  isAllDay?: boolean;
  type?: 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster' | string;
  seriesMasterId?: string | null;
  iCalUId?: string | null;
  organizer?: GraphEmailAddress | null;
  attendees?: GraphAttendee[] | null;
  location?: { displayName?: string | null } | null;
  onlineMeeting?: { joinUrl?: string | null } | null;
  isOnlineMeeting?: boolean;
  webLink?: string | null;
}

/** The calendar id of a user's calendar in meeting ids: the user as configured, lower-cased. */
export function calendarIdOf(user: string): string {
  return user.trim().toLowerCase();
}

export function meetingIdOf(user: string, eventId: string): string {
  return `${calendarIdOf(user)}:${eventId}`;
}

export function eventUnit(ctx: ConnectorContext, stream: string, user: string, event: GraphEvent): ParsedUnit {
  const path = unitPath(stream, event.id);
  const startsAt = graphDate(event.start);
  const endsAt = graphDate(event.end) ?? startsAt;
  if (!startsAt || !endsAt || event.type === 'seriesMaster') return unitOf(ctx, path, event, {}); // masters carry no occurrence

  const calendarId = calendarIdOf(user);
  const meetingId = meetingIdOf(user, event.id);
  const organizerEmail = addressOf(event.organizer);
  const organizer = optedInByEmail(ctx, organizerEmail);

  const invited: string[] = [];
  const attending: string[] = [];
  const responses: Record<string, string> = {};
  const outside = new Set<string>();
  for (const attendee of event.attendees ?? []) {
    if (attendee.type === 'resource') continue; // rooms and equipment
    const email = addressOf(attendee);
    const person = optedInByEmail(ctx, email);
    if (!person) {
      outside.add(email ?? `anonymous-${outside.size}`);
      continue;
    }
    invited.push(person.id);
    const response = attendee.status?.response ?? 'none';
    responses[person.id] = response;
    // a declined invitation still lets them see the event, but they are not expected in the room
    if (response !== 'declined') attending.push(person.id);
  }
  if (organizerEmail && !organizer) outside.delete(organizerEmail);

  const title = event.subject ?? '';
  const description = bodyText(event.body);
  const status: Meeting['status'] = event.isCancelled ? 'cancelled' : 'confirmed';
  const location = event.location?.displayName?.trim() || undefined;
  const joinUrl = event.onlineMeeting?.joinUrl ?? undefined;
  const seriesId = event.seriesMasterId ?? undefined;
  const attendees = unique(attending);

  const { item, meeting } = calendarEvent(ctx, path, {
    meetingId,
    calendarId,
    eventId: event.id,
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
    outsideOptInCount: outside.size,
    locator: event.webLink ?? `https://outlook.office.com/calendar/item/${encodeURIComponent(event.id)}`,
    providerMeta: { ...(event.iCalUId ? { iCalUId: event.iCalUId } : {}), ...(joinUrl ? { joinUrl } : {}), responses },
  });
  return unitOf(ctx, path, event, { items: [item], meetings: [meeting] });
}
