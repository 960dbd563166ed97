/**
 * A calendar event as every calendar connector stores it (ICS files, Google Calendar, Microsoft Graph): an `event`
 * item — its description as the body, readable by the opted-in people on it — and the meeting the workflows brief,
 * from one normalized draft. Each connector works out the people, times and status its own way; what is stored of
 * them is decided here, once.
 */
import type { Item, Meeting } from '../../../schemas/entities';
import { accessList, finishItem, finishMeeting, paragraphSegments } from './common';
import type { FilesContext } from './types';

export interface CalendarEventDraft {
  /** `<calendarId>:<eventId>`: the meeting's id, the item's external id and its conversation */
  meetingId: string;
  calendarId: string;
  eventId: string;
  /** the recurring series it belongs to; absent (or empty) for a one-off */
  seriesId?: string;
  title: string;
  description: string;
  location?: string;
  startsAt: Date;
  endsAt: Date;
  status: Meeting['status'];
  organizerId: string | null;
  /** the opted-in people expected in the room */
  attendeeIds: string[];
  /** the opted-in people who may see the event besides them (invited but declined); the organizer is added */
  alsoInvited?: string[];
  /** people on it who are not opted in (counted, never named) */
  outsideOptInCount: number;
  /** where the event is seen in its source */
  locator: string;
  /** what only this provider knows (responses, join link, provider ids), kept in the item's meta */
  providerMeta?: Record<string, unknown>;
}

export function calendarEvent(ctx: Pick<FilesContext, 'sourceId'>, unitPath: string, e: CalendarEventDraft): { item: Item; meeting: Meeting } {
  const item = finishItem(ctx, unitPath, {
    externalId: e.meetingId,
    kind: 'event',
    title: e.title,
    body: e.description,
    authorId: null,
    occurredAt: e.startsAt,
    threadId: e.meetingId,
    locator: e.locator,
    access: accessList([...e.attendeeIds, ...(e.alsoInvited ?? []), ...(e.organizerId ? [e.organizerId] : [])]),
    recipients: e.attendeeIds,
    meta: {
      meetingId: e.meetingId,
      calendarId: e.calendarId,
      eventId: e.eventId,
      ...(e.seriesId ? { seriesId: e.seriesId } : {}),
      status: e.status,
      startsAt: e.startsAt.toISOString(),
      endsAt: e.endsAt.toISOString(),
      ...(e.location ? { location: e.location } : {}),
      ...e.providerMeta,
      organizerId: e.organizerId,
      outsideOptInCount: e.outsideOptInCount,
    },
    segments: paragraphSegments(e.description),
  });
  const meeting = finishMeeting(unitPath, {
    id: e.meetingId,
    calendarId: e.calendarId,
    eventId: e.eventId,
    seriesId: e.seriesId,
    title: e.title,
    description: e.description,
    startsAt: e.startsAt,
    endsAt: e.endsAt,
    organizerId: e.organizerId,
    attendeeIds: e.attendeeIds,
    outsideOptInCount: e.outsideOptInCount,
    status: e.status,
    location: e.location,
    sourceId: ctx.sourceId,
    itemId: item.id,
  });
  return { item, meeting };
}
