import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MYCELIUM_KEY_PROPERTY } from '../../activities/delivery/graph';
import { GraphCalendarChannel, GraphFreeBusy } from '../../activities/delivery/graph-calendar';
import type { DeliveryAddress, DeliveryRequest } from '../../activities/delivery/port';
import { failureOf, startWireServer, type WireServer } from './wire-server';

const person = (id: string, name: string): DeliveryAddress => ({ personId: `${id}@acme.test`, name, email: `${id}@acme.test`, timezone: 'UTC' });
const alice = person('alice', 'Alice Chen');
const bob = person('bob', 'Bob Okafor');
const request: DeliveryRequest = {
  idempotencyKey: 'notify-q7-call-02',
  medium: 'call',
  recipient: bob,
  subject: '5 minutes on the Android rollout',
  markdown: 'Blocker: needs a decision today.',
  call: { slot: { start: new Date('2026-03-02T10:00:00Z'), end: new Date('2026-03-02T10:05:00Z') }, attendees: [alice, bob], organizer: alice },
};
const eventsPath = '/v1.0/users/alice@acme.test/events';

interface StoredEvent {
  id: string;
  transactionId: string;
  singleValueExtendedProperties: { id: string; value: string }[];
}

describe('GraphCalendarChannel against a local Microsoft Graph', () => {
  let graph: WireServer;
  let channel: GraphCalendarChannel;
  const events: StoredEvent[] = [];

  beforeEach(async () => {
    graph = await startWireServer();
    events.length = 0;
    channel = new GraphCalendarChannel({ baseUrl: graph.url, accessToken: async () => 'eyJ.cal' });
    graph.on('POST', eventsPath, (incoming) => {
      const body = incoming.json() as Omit<StoredEvent, 'id'>;
      // Graph's own dedupe: the same transactionId gives back the event created first
      const existing = events.find((event) => event.transactionId === body.transactionId);
      const event = existing ?? { ...body, id: `AAMkEvt${events.length}` };
      if (!existing) events.push(event);
      return { status: 201, body: event };
    });
    graph.on('GET', eventsPath, (incoming) => {
      const match = /^singleValueExtendedProperties\/Any\(ep: ep\/id eq '(.+)' and ep\/value eq '(.+)'\)$/.exec(incoming.query.get('$filter') ?? '');
      const value = match ? events.filter((event) => event.singleValueExtendedProperties.some((ep) => ep.id === match[1] && ep.value === match[2])) : [];
      return { body: { value: value.map(({ id, transactionId }) => ({ id, transactionId })) } };
    });
  });
  afterEach(() => graph.close());

  it('creates an online meeting with transactionId = key, UTC times, attendees and the key property', async () => {
    expect(await channel.send(request)).toEqual({ ref: 'graph-event:AAMkEvt0' });
    const [create] = graph.requests;
    expect(create?.method).toBe('POST');
    expect(create?.path).toBe(eventsPath);
    expect(create?.headers.authorization).toBe('Bearer eyJ.cal');
    expect(create?.json()).toEqual({
      subject: '5 minutes on the Android rollout',
      body: { contentType: 'HTML', content: '<p>Blocker: needs a decision today.</p>' },
      start: { dateTime: '2026-03-02T10:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-03-02T10:05:00', timeZone: 'UTC' },
      attendees: [{ emailAddress: { address: 'bob@acme.test', name: 'Bob Okafor' }, type: 'required' }],
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
      allowNewTimeProposals: true,
      transactionId: 'notify-q7-call-02',
      singleValueExtendedProperties: [{ id: MYCELIUM_KEY_PROPERTY, value: 'notify-q7-call-02' }],
    });
  });

  it('findSent finds the event by the key property, so a retry after a crash does not create another', async () => {
    expect(await channel.findSent(request)).toBeUndefined();
    await channel.send(request);
    expect(await channel.findSent(request)).toEqual({ ref: 'graph-event:AAMkEvt0', alreadySent: true });
    expect(graph.requests.at(-1)?.query.get('$filter')).toBe(`singleValueExtendedProperties/Any(ep: ep/id eq '${MYCELIUM_KEY_PROPERTY}' and ep/value eq 'notify-q7-call-02')`);
    expect(events).toHaveLength(1);
  });

  it('429 + Retry-After → retryable with that delay; 403 → non-retryable', async () => {
    graph.on('POST', eventsPath, () => ({ status: 429, headers: { 'retry-after': '2' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } }));
    const throttled = await failureOf(channel.send(request));
    expect(throttled.type).toBe('DeliveryRateLimited');
    expect(throttled.nextRetryDelay).toBe(2000);
    graph.on('POST', eventsPath, () => ({ status: 403, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } } }));
    const denied = await failureOf(channel.send(request));
    expect(denied.type).toBe('DeliveryAuthFailed');
    expect(denied.nonRetryable).toBe(true);
  });
});

describe('GraphFreeBusy', () => {
  let graph: WireServer;
  beforeEach(async () => {
    graph = await startWireServer();
  });
  afterEach(() => graph.close());

  it('calls getSchedule in UTC and keeps busy, tentative and out-of-office items per person', async () => {
    graph.on('POST', '/v1.0/users/mycelium@acme.test/calendar/getSchedule', () => ({
      body: {
        value: [
          {
            scheduleId: 'alice@acme.test',
            availabilityView: '0220',
            scheduleItems: [
              { status: 'busy', start: { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-02T09:30:00.0000000', timeZone: 'UTC' } },
              { status: 'free', start: { dateTime: '2026-03-02T11:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-02T11:30:00.0000000', timeZone: 'UTC' } },
              { status: 'oof', start: { dateTime: '2026-03-02T15:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-02T16:00:00.0000000', timeZone: 'UTC' } },
            ],
          },
          { scheduleId: 'bob@acme.test', availabilityView: '0000', scheduleItems: [] },
          { scheduleId: 'dev@acme.test', error: { message: 'The user was not found', responseCode: 'ErrorMailRecipientNotFound' } },
        ],
      },
    }));
    const source = new GraphFreeBusy({ baseUrl: graph.url, asUser: 'mycelium@acme.test', accessToken: async () => 'eyJ.fb' });
    const busy = await source.busy(['alice@acme.test', 'bob@acme.test', 'dev@acme.test'], new Date('2026-03-02T08:00:00Z'), new Date('2026-03-02T18:00:00Z'));
    expect(busy.get('alice@acme.test')).toEqual([
      { start: new Date('2026-03-02T09:00:00Z'), end: new Date('2026-03-02T09:30:00Z') },
      { start: new Date('2026-03-02T15:00:00Z'), end: new Date('2026-03-02T16:00:00Z') },
    ]);
    expect(busy.get('bob@acme.test')).toEqual([]);
    expect(busy.has('dev@acme.test')).toBe(false);

    const [call] = graph.requests;
    expect(call?.headers.authorization).toBe('Bearer eyJ.fb');
    expect(call?.headers.prefer).toBe('outlook.timezone="UTC"');
    expect(call?.json()).toEqual({
      schedules: ['alice@acme.test', 'bob@acme.test', 'dev@acme.test'],
      startTime: { dateTime: '2026-03-02T08:00:00', timeZone: 'UTC' },
      endTime: { dateTime: '2026-03-02T18:00:00', timeZone: 'UTC' },
      availabilityViewInterval: 15,
    });
  });
});
