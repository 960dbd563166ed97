/**
 * The fastest medium on Microsoft 365: an online-meeting invite on the organizer's calendar
 * (`POST /users/{organizer}/events`), and free/busy for the slot finder (`POST …/calendar/getSchedule`).
 *
 * Graph dedupes event creation by `transactionId` (our idempotency key), which covers a retried POST. A crash
 * after the POST is covered by the key in a named extended property: `findSent` filters the organizer's events on
 * it (transactionId itself is not a filterable property).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Interval, Medium } from '../../schemas/routing';
import { callOf, inviteesOf, personIdAsEmail } from './call-invite';
import { graphClient, keyFilter, keyProperty, type GraphApiConfig } from './graph';
import { toHtml } from './markdown';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest, FreeBusySource } from './port';
import { graphFailure } from './provider-errors';

/** Graph's dateTimeTimeZone: a local date-time without offset, plus the zone */
function utc(date: Date | string): { dateTime: string; timeZone: 'UTC' } {
  return { dateTime: new Date(date).toISOString().slice(0, 19), timeZone: 'UTC' };
}

function fromGraphUtc(value: { dateTime?: string } | undefined): Date | undefined {
  if (!value?.dateTime) return undefined;
  const date = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value.dateTime) ? value.dateTime : `${value.dateTime}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export class GraphCalendarChannel implements DeliveryChannel {
  readonly name = 'graph-calendar';
  readonly mediums: readonly Medium[] = ['call'];
  private readonly client: Client;

  constructor(config: GraphApiConfig) {
    this.client = graphClient(config);
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    const call = callOf(request, 'graph-calendar');
    try {
      const event = (await this.client.api(`/users/${encodeURIComponent(call.organizer.email)}/events`).post({
        subject: request.subject,
        body: { contentType: 'HTML', content: toHtml(request.markdown) },
        start: utc(call.slot.start),
        end: utc(call.slot.end),
        attendees: inviteesOf(request, call).map((person) => ({ emailAddress: { address: person.email, name: person.name }, type: 'required' })),
        isOnlineMeeting: true,
        onlineMeetingProvider: 'teamsForBusiness',
        allowNewTimeProposals: true,
        transactionId: request.idempotencyKey,
        singleValueExtendedProperties: [keyProperty(request.idempotencyKey)],
      })) as { id?: string };
      return { ref: `graph-event:${event.id ?? request.idempotencyKey}` };
    } catch (error) {
      throw graphFailure(error, 'graph-calendar');
    }
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    const call = callOf(request, 'graph-calendar');
    try {
      const found = (await this.client
        .api(`/users/${encodeURIComponent(call.organizer.email)}/events`)
        .filter(keyFilter(request.idempotencyKey))
        .select(['id', 'transactionId'])
        .top(1)
        .get()) as { value?: { id?: string }[] };
      const id = found.value?.[0]?.id;
      return id ? { ref: `graph-event:${id}`, alreadySent: true } : undefined;
    } catch (error) {
      throw graphFailure(error, 'graph-calendar');
    }
  }
}

export interface GraphFreeBusyConfig extends GraphApiConfig {
  /** the mailbox whose getSchedule is called (any licensed mailbox of the tenant) */
  asUser: string;
  /** person id → mailbox; default: person ids are e-mail addresses */
  emailOf?: (personId: string) => string | undefined;
  /** getSchedule accepts at most 100 schedules per call */
  batchSize?: number;
}

/** statuses that block a slot; "workingElsewhere" and "free" do not */
const BLOCKING = new Set(['busy', 'tentative', 'oof']);

interface ScheduleInformation {
  scheduleId?: string;
  scheduleItems?: { status?: string; start?: { dateTime?: string }; end?: { dateTime?: string } }[];
  error?: { message?: string; responseCode?: string };
}

export class GraphFreeBusy implements FreeBusySource {
  readonly name = 'graph-calendar';
  private readonly client: Client;

  constructor(private readonly config: GraphFreeBusyConfig) {
    this.client = graphClient(config);
  }

  async busy(personIds: string[], from: Date, to: Date): Promise<Map<string, Interval[]>> {
    const emailOf = this.config.emailOf ?? personIdAsEmail;
    const mailboxes = new Map<string, string>();
    for (const personId of personIds) {
      const email = emailOf(personId);
      if (email) mailboxes.set(email.toLowerCase(), personId);
    }
    const busy = new Map<string, Interval[]>();
    const all = [...mailboxes.keys()];
    const size = this.config.batchSize ?? 100;
    try {
      for (let offset = 0; offset < all.length; offset += size) {
        const answer = (await this.client
          .api(`/users/${encodeURIComponent(this.config.asUser)}/calendar/getSchedule`)
          .header('Prefer', 'outlook.timezone="UTC"')
          .post({ schedules: all.slice(offset, offset + size), startTime: utc(from), endTime: utc(to), availabilityViewInterval: 15 })) as { value?: ScheduleInformation[] };
        for (const schedule of answer.value ?? []) {
          const personId = mailboxes.get((schedule.scheduleId ?? '').toLowerCase());
          // a mailbox Graph could not read stays absent: unknown is not "free"
          if (!personId || schedule.error) continue;
          const intervals: Interval[] = [];
          for (const item of schedule.scheduleItems ?? []) {
            const start = fromGraphUtc(item.start);
            const end = fromGraphUtc(item.end);
            if (start && end && BLOCKING.has(item.status ?? 'busy')) intervals.push({ start, end });
          }
          busy.set(personId, intervals);
        }
      }
      return busy;
    } catch (error) {
      throw graphFailure(error, 'graph-calendar');
    }
  }
}
