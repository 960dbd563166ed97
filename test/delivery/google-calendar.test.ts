import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleCalendarChannel, GoogleFreeBusy, googleEventIdFor } from '../../activities/delivery/google-calendar';
import type { DeliveryAddress, DeliveryRequest } from '../../activities/delivery/port';
import { failureOf, startWireServer, type WireServer } from './wire-server';

const person = (id: string, name: string): DeliveryAddress => ({ personId: `${id}@acme.test`, name, email: `${id}@acme.test`, timezone: 'UTC' });
const alice = person('alice', 'Alice Chen');
const bob = person('bob', 'Bob Okafor');
const dev = person('dev', 'Dev Patel');
const slot = { start: new Date('2026-03-02T10:00:00Z'), end: new Date('2026-03-02T10:05:00Z') };
const request: DeliveryRequest = {
  idempotencyKey: 'notify-q7-call-01',
  medium: 'call',
  recipient: bob,
  subject: '5 minutes on the Android rollout',
  markdown: 'Blocker: the **release** needs a decision today.',
  call: { slot, attendees: [alice, bob, dev], organizer: alice },
};
const eventsPath = '/calendar/v3/calendars/alice@acme.test/events';

describe('GoogleCalendarChannel against a local Calendar API', () => {
  let google: WireServer;
  let channel: GoogleCalendarChannel;
  const events = new Map<string, unknown>();
  const subjects: string[] = [];

  beforeEach(async () => {
    google = await startWireServer();
    events.clear();
    subjects.length = 0;
    const config = {
      baseUrl: google.url,
      accessToken: async (subject: string) => {
        subjects.push(subject);
        return 'ya29.calendar';
      },
    };
    channel = new GoogleCalendarChannel(config);
    google.on('POST', eventsPath, (incoming) => {
      const event = incoming.json() as { id: string };
      if (events.has(event.id)) {
        return { status: 409, body: { error: { code: 409, message: 'The requested identifier already exists.', errors: [{ domain: 'global', reason: 'duplicate' }] } } };
      }
      events.set(event.id, { ...event, status: 'confirmed', htmlLink: 'https://calendar.test/e' });
      return { body: events.get(event.id) };
    });
    google.on('GET', new RegExp(`^${eventsPath}/`), (incoming) => {
      const event = events.get(incoming.path.slice(eventsPath.length + 1));
      return event ? { body: event } : { status: 404, body: { error: { code: 404, message: 'Not Found', errors: [{ domain: 'global', reason: 'notFound' }] } } };
    });
  });
  afterEach(() => google.close());

  it('event ids are deterministic and inside base32hex', () => {
    const id = googleEventIdFor('notify-q7-call-01');
    expect(id).toBe(googleEventIdFor('notify-q7-call-01'));
    expect(id).not.toBe(googleEventIdFor('notify-q7-call-02'));
    expect(id).toMatch(/^[a-v0-9]{5,1024}$/);
  });

  it('inserts the invite on the organizer calendar with the deterministic id, attendees, slot and Meet request', async () => {
    const receipt = await channel.send(request);
    const id = googleEventIdFor(request.idempotencyKey);
    expect(receipt).toEqual({ ref: `gcal:${id}` });

    const [insert] = google.requests;
    expect(insert?.method).toBe('POST');
    expect(insert?.path).toBe(eventsPath);
    expect(Object.fromEntries(insert!.query)).toEqual({ sendUpdates: 'all', conferenceDataVersion: '1' });
    expect(insert?.headers.authorization).toBe('Bearer ya29.calendar');
    expect(subjects).toEqual(['alice@acme.test']);
    expect(insert?.json()).toEqual({
      id,
      summary: '5 minutes on the Android rollout',
      description: 'Blocker: the **release** needs a decision today.',
      start: { dateTime: '2026-03-02T10:00:00.000Z', timeZone: 'UTC' },
      end: { dateTime: '2026-03-02T10:05:00.000Z', timeZone: 'UTC' },
      attendees: [
        { email: 'bob@acme.test', displayName: 'Bob Okafor' },
        { email: 'dev@acme.test', displayName: 'Dev Patel' },
      ],
      conferenceData: { createRequest: { requestId: 'notify-q7-call-01', conferenceSolutionKey: { type: 'hangoutsMeet' } } },
      extendedProperties: { private: { myceliumKey: 'notify-q7-call-01' } },
    });
  });

  it('a second insert (409 duplicate) is an earlier send, and findSent gets it by id', async () => {
    expect(await channel.findSent(request)).toBeUndefined();
    await channel.send(request);
    expect(await channel.send(request)).toEqual({ ref: `gcal:${googleEventIdFor(request.idempotencyKey)}`, alreadySent: true });
    expect(await channel.findSent(request)).toEqual({ ref: `gcal:${googleEventIdFor(request.idempotencyKey)}`, alreadySent: true });
    expect(google.requests.at(-1)?.path).toBe(`${eventsPath}/${googleEventIdFor(request.idempotencyKey)}`);
    expect(events.size).toBe(1);
  });

  it('429 + Retry-After → retryable with that delay; 401 → non-retryable', async () => {
    google.on('POST', eventsPath, () => ({ status: 429, headers: { 'retry-after': '3' }, body: { error: { code: 429, message: 'Rate Limit Exceeded', errors: [{ reason: 'rateLimitExceeded' }] } } }));
    const limited = await failureOf(channel.send(request));
    expect(limited.type).toBe('DeliveryRateLimited');
    expect(limited.nextRetryDelay).toBe(3000);
    expect(limited.nonRetryable).toBe(false);

    google.on('POST', eventsPath, () => ({ status: 401, body: { error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] } } }));
    const refused = await failureOf(channel.send(request));
    expect(refused.type).toBe('DeliveryAuthFailed');
    expect(refused.nonRetryable).toBe(true);
  });

  it('a call request without a slot is rejected before any request', async () => {
    const failure = await failureOf(channel.send({ ...request, call: undefined }));
    expect(failure.nonRetryable).toBe(true);
    expect(google.requests).toHaveLength(0);
  });
});

describe('GoogleFreeBusy', () => {
  let google: WireServer;
  beforeEach(async () => {
    google = await startWireServer();
  });
  afterEach(() => google.close());

  it('queries freebusy for every person and returns busy intervals per person id; unreadable calendars stay unknown', async () => {
    google.on('POST', '/calendar/v3/freeBusy', () => ({
        body: {
          kind: 'calendar#freeBusy',
          timeMin: '2026-03-02T08:00:00.000Z',
          timeMax: '2026-03-02T18:00:00.000Z',
          calendars: {
            'alice@acme.test': { busy: [{ start: '2026-03-02T09:00:00Z', end: '2026-03-02T10:00:00Z' }] },
            'bob@acme.test': { busy: [] },
            'dev@acme.test': { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] },
          },
        },
      }));
    const source = new GoogleFreeBusy({ baseUrl: google.url, asUser: 'mycelium@acme.test', accessToken: async () => 'ya29.fb' });
    const busy = await source.busy(['alice@acme.test', 'bob@acme.test', 'dev@acme.test'], new Date('2026-03-02T08:00:00Z'), new Date('2026-03-02T18:00:00Z'));
    expect(busy.get('alice@acme.test')).toEqual([{ start: new Date('2026-03-02T09:00:00Z'), end: new Date('2026-03-02T10:00:00Z') }]);
    expect(busy.get('bob@acme.test')).toEqual([]);
    expect(busy.has('dev@acme.test')).toBe(false);
    const [query] = google.requests;
    expect(query?.headers.authorization).toBe('Bearer ya29.fb');
    expect(query?.json()).toEqual({
      timeMin: '2026-03-02T08:00:00.000Z',
      timeMax: '2026-03-02T18:00:00.000Z',
      items: [{ id: 'alice@acme.test' }, { id: 'bob@acme.test' }, { id: 'dev@acme.test' }],
    });
  });
});
