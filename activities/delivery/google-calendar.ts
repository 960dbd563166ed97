/**
 * The fastest medium on Google: a calendar invite (`events.insert` on the organizer's calendar, invitations sent
 * by Google) with a Meet link, and free/busy for the slot finder (`freebusy.query`).
 *
 * The event id is derived from the idempotency key (hex of a SHA-256 is inside Google's base32hex alphabet), so
 * a second insert with the same key answers 409 and `findSent` is a plain `events.get`.
 */
import { createHash } from 'node:crypto';
import { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import { GaxiosError } from 'googleapis-common';
import type { Interval, Medium } from '../../schemas/routing';
import { authorizationAs, googleApiOptions, type GoogleApiConfig } from './google';
import { callOf, inviteesOf, personIdAsEmail } from './call-invite';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest, FreeBusySource } from './port';
import { googleFailure } from './provider-errors';

/** Google event ids: base32hex (a-v, 0-9), 5–1024 characters. */
export function googleEventIdFor(idempotencyKey: string): string {
  return createHash('sha256').update(`mycelium:${idempotencyKey}`).digest('hex');
}

export class GoogleCalendarChannel implements DeliveryChannel {
  readonly name = 'google-calendar';
  readonly mediums: readonly Medium[] = ['call'];
  private readonly calendar: calendar_v3.Calendar;

  constructor(private readonly config: GoogleApiConfig) {
    this.calendar = new calendar_v3.Calendar(googleApiOptions(config));
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    const call = callOf(request, 'google-calendar');
    const id = googleEventIdFor(request.idempotencyKey);
    try {
      await this.calendar.events.insert(
        {
          calendarId: call.organizer.email,
          sendUpdates: 'all',
          conferenceDataVersion: 1,
          requestBody: {
            id,
            summary: request.subject,
            description: request.markdown,
            start: { dateTime: new Date(call.slot.start).toISOString(), timeZone: 'UTC' },
            end: { dateTime: new Date(call.slot.end).toISOString(), timeZone: 'UTC' },
            attendees: inviteesOf(request, call).map((person) => ({ email: person.email, displayName: person.name })),
            conferenceData: { createRequest: { requestId: request.idempotencyKey, conferenceSolutionKey: { type: 'hangoutsMeet' } } },
            extendedProperties: { private: { myceliumKey: request.idempotencyKey } },
          },
        },
        await authorizationAs(this.config, call.organizer.email),
      );
      return { ref: `gcal:${id}` };
    } catch (error) {
      // the id is ours and deterministic: a conflict means this very invite exists already
      if (error instanceof GaxiosError && (error.status ?? error.response?.status) === 409) return { ref: `gcal:${id}`, alreadySent: true };
      throw googleFailure(error, 'google-calendar');
    }
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    const call = callOf(request, 'google-calendar');
    const id = googleEventIdFor(request.idempotencyKey);
    try {
      const event = await this.calendar.events.get({ calendarId: call.organizer.email, eventId: id }, await authorizationAs(this.config, call.organizer.email));
      return event.data.id ? { ref: `gcal:${event.data.id}`, alreadySent: true } : undefined;
    } catch (error) {
      if (error instanceof GaxiosError && (error.status ?? error.response?.status) === 404) return undefined;
      throw googleFailure(error, 'google-calendar');
    }
  }
}

export interface GoogleFreeBusyConfig extends GoogleApiConfig {
  /** the mailbox the query runs as */
  asUser: string;
  /** person id → calendar (e-mail); default: person ids are e-mail addresses */
  emailOf?: (personId: string) => string | undefined;
}

export class GoogleFreeBusy implements FreeBusySource {
  readonly name = 'google-calendar';
  private readonly calendar: calendar_v3.Calendar;

  constructor(private readonly config: GoogleFreeBusyConfig) {
    this.calendar = new calendar_v3.Calendar(googleApiOptions(config));
  }

  async busy(personIds: string[], from: Date, to: Date): Promise<Map<string, Interval[]>> {
    const emailOf = this.config.emailOf ?? personIdAsEmail;
    const calendars = new Map<string, string>();
    for (const personId of personIds) {
      const email = emailOf(personId);
      if (email) calendars.set(email.toLowerCase(), personId);
    }
    const busy = new Map<string, Interval[]>();
    if (calendars.size === 0) return busy;
    try {
      const answer = await this.calendar.freebusy.query(
        { requestBody: { timeMin: from.toISOString(), timeMax: to.toISOString(), items: [...calendars.keys()].map((id) => ({ id })) } },
        await authorizationAs(this.config, this.config.asUser),
      );
      for (const [calendarId, entry] of Object.entries(answer.data.calendars ?? {})) {
        const personId = calendars.get(calendarId.toLowerCase());
        // a calendar Google could not read (notFound, no access) stays absent: unknown is not "free"
        if (!personId || entry.errors?.length) continue;
        busy.set(
          personId,
          (entry.busy ?? []).filter((slot) => slot.start && slot.end).map((slot) => ({ start: new Date(slot.start!), end: new Date(slot.end!) })),
        );
      }
      return busy;
    } catch (error) {
      throw googleFailure(error, 'google-calendar');
    }
  }
}
