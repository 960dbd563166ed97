/**
 * deliverNotification's exactly-once rules in one process, on a real PGlite ledger and real channels (the outbox,
 * the decision-record folder, a local Slack Web API): a retry after a send that went out but was never confirmed
 * asks the channel the ledger recorded, whatever the configuration picks now; a call invite or a decision record
 * goes out once for everyone it concerns. The same rules across a real worker kill: exactly-once-kill.test.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryChannelsFromEnv } from '../../activities/delivery/channels';
import type { DeliveryChannel, DeliveryRequest } from '../../activities/delivery/port';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { NotificationStore, type PlannedNotification } from '../../activities/memory/notifications';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { createNotifyDeliveryActivities, outboxChannels, sharedSendKey, type ChannelResolver } from '../../activities/notify-delivery';
import { FileOutbox } from '../../activities/delivery/outbox';
import type { Person } from '../../schemas/entities';
import { truncateAll, useTestDatabase } from '../support/db';
import { failureOf, startWireServer, type WireServer } from './wire-server';

const SAM: Person = { id: 'sam@deliver.test', name: 'Sam', timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [{ provider: 'slack', externalId: 'U0SAM' }] };
const ALICE = 'alice@deliver.test';
const BOB = 'bob@deliver.test';
const CAROL = 'carol@deliver.test';
const SLOT = { start: new Date('2026-03-03T10:00:00Z'), end: new Date('2026-03-03T10:05:00Z') };

const database = useTestDatabase('pglite');
let store: MemoryStore;
let notifications: NotificationStore;
let dir: string;

beforeAll(async () => {
  const embedder = new LocalHashingEmbedder();
  store = new MemoryStore({ db: database.db, vectors: await chooseVectorIndex(database.db, embedder.dimensions), embedder });
});

beforeEach(async () => {
  await truncateAll(database.db);
  await store.upsertPeople([SAM]);
  notifications = new NotificationStore({ db: database.db });
  dir = await mkdtemp(join(tmpdir(), 'myc-notify-delivery-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function planned(over: Partial<PlannedNotification>): PlannedNotification {
  return {
    topicKey: 'decision:D-12',
    recipientId: SAM.id,
    role: 'decide',
    roleReasons: ['owns the follow-up of decision D-12'],
    medium: 'chat_dm',
    mediumReason: 'test',
    channel: 'fast',
    urgency: 'high',
    subject: 'Pricing: decide by Friday',
    markdown: 'We need your call on pricing.',
    subjectKind: 'decision',
    workflowId: 'notify:decision:D-12',
    runId: 'run-1',
    ...over,
  };
}

async function plan(...entries: Partial<PlannedNotification>[]): Promise<string[]> {
  return (await notifications.recordPlanned(entries.map(planned))).map((r) => r.id);
}

const activities = (channels: ChannelResolver) => createNotifyDeliveryActivities({ notifications, people: store, channels, now: () => new Date() });

/** a resolver's channels, each send counted (and, when `lose` says so, its answer lost after the provider has it) */
function watched(inner: ChannelResolver, lose: (request: DeliveryRequest) => boolean = () => false): { channels: ChannelResolver; sends: DeliveryRequest[] } {
  const sends: DeliveryRequest[] = [];
  const wrap = (channel: DeliveryChannel): DeliveryChannel => ({
    name: channel.name,
    mediums: channel.mediums,
    findSent: (request) => channel.findSent(request),
    send: async (request) => {
      sends.push(request);
      const receipt = await channel.send(request);
      if (lose(request)) throw new Error('socket hang up'); // the provider has it; the worker never learns
      return receipt;
    },
  });
  return {
    channels: {
      forMedium: (medium, recipient) => wrap(inner.forMedium(medium, recipient)),
      byName: (name) => {
        const channel = inner.byName?.(name);
        return channel && wrap(channel);
      },
    },
    sends,
  };
}

describe('a retry after a send whose answer was lost', () => {
  let slack: WireServer;
  let posted: { channel: string; ts: string; key: unknown }[];
  let env: Record<string, string>;

  beforeEach(async () => {
    slack = await startWireServer();
    posted = [];
    env = { MYCELIUM_SLACK_TOKEN: 'xoxb-test', MYCELIUM_SLACK_BASE_URL: slack.url };
    slack.on('POST', '/api/conversations.open', (request) => ({ body: { ok: true, channel: { id: `D-${request.form().get('users')}` } } }));
    slack.on('POST', '/api/chat.postMessage', (request) => {
      const metadata = JSON.parse(request.form().get('metadata') ?? 'null') as { event_payload?: { idempotency_key?: string } } | null;
      const message = { channel: request.form().get('channel') ?? '', ts: `1700000000.00010${posted.length}`, key: metadata?.event_payload?.idempotency_key };
      posted.push(message);
      return { body: { ok: true, channel: message.channel, ts: message.ts } };
    });
    slack.on('POST', '/api/conversations.history', (request) => ({
      body: {
        ok: true,
        messages: posted
          .filter((m) => m.channel === request.form().get('channel'))
          .reverse()
          .map((m) => ({ type: 'message', ts: m.ts, metadata: { event_type: 'mycelium_delivery', event_payload: { idempotency_key: m.key } } })),
      },
    }));
  });
  afterEach(() => slack.close());

  const options = () => ({ outboxDir: join(dir, 'outbox'), docsDir: join(dir, 'decisions') });

  it('finds the message at Slack and confirms it without posting again', async () => {
    const [id] = await plan({});
    const lossy = watched(deliveryChannelsFromEnv(env, options()), () => true);
    await expect(activities(lossy.channels).deliverNotification(id!)).rejects.toThrow('socket hang up');
    expect(await notifications.getDelivery(id!)).toMatchObject({ status: 'sending', channelName: 'slack' });

    const retry = watched(deliveryChannelsFromEnv(env, options()));
    const outcome = await activities(retry.channels).deliverNotification(id!);
    expect(outcome).toEqual({ deliveryKey: id, ref: 'slack:D-U0SAM/1700000000.000100', alreadySent: true, notificationIds: [id], channelName: 'slack' });
    expect(retry.sends).toEqual([]);
    expect(posted).toHaveLength(1);
    expect(await notifications.getDelivery(id!)).toMatchObject({ status: 'sent', attempts: 2, foundSent: true });
  });

  it('asks the channel the ledger recorded, even when the configuration now picks another for the medium', async () => {
    const [id] = await plan({});
    await activities(watched(deliveryChannelsFromEnv(env, options()), () => true).channels).deliverNotification(id!).catch(() => undefined);

    // now every medium resolves to the outbox, but Slack can still be named
    const slackChannels = deliveryChannelsFromEnv(env, options());
    const outbox = outboxChannels(new FileOutbox(join(dir, 'outbox')));
    const rerouted = watched({ forMedium: (medium, recipient) => outbox.forMedium(medium, recipient), byName: (name) => slackChannels.byName(name) });
    const outcome = await activities(rerouted.channels).deliverNotification(id!);
    expect(outcome).toMatchObject({ alreadySent: true, channelName: 'slack', ref: 'slack:D-U0SAM/1700000000.000100' });
    expect(rerouted.sends).toEqual([]);
    expect(await readdir(join(dir, 'outbox')).catch(() => [])).toEqual([]);
  });

  it('when the recorded channel is no longer configured, it stops with an error naming it rather than risk a second send', async () => {
    const [id] = await plan({});
    await activities(watched(deliveryChannelsFromEnv(env, options()), () => true).channels).deliverNotification(id!).catch(() => undefined);

    const withoutSlack = watched(deliveryChannelsFromEnv({}, options()));
    const failure = await failureOf(activities(withoutSlack.channels).deliverNotification(id!));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/started through "slack", which is no longer configured/);
    expect(withoutSlack.sends).toEqual([]);
    expect(posted).toHaveLength(1);
    expect((await notifications.getDelivery(id!))?.status).toBe('sending');
  });
});

describe('a call invite and a decision record go out once for everyone they concern', () => {
  const call = { slot: SLOT, organizerId: ALICE, attendeeIds: [ALICE, BOB, CAROL] };

  it('three participants of one call: one invite naming all of them, each notification confirmed with its reference', async () => {
    const ids = await plan(
      { recipientId: ALICE, medium: 'call', channel: 'fastest', call },
      { recipientId: BOB, medium: 'call', channel: 'fastest', call: { ...call, attendeeIds: [CAROL, ALICE] } },
      { recipientId: CAROL, medium: 'call', channel: 'fastest', call },
    );
    const { channels, sends } = watched(deliveryChannelsFromEnv({}, { outboxDir: join(dir, 'outbox'), docsDir: join(dir, 'decisions') }));
    const deliver = activities(channels);
    const outcomes = [];
    for (const id of ids) outcomes.push(await deliver.deliverNotification(id));

    expect(sends).toHaveLength(1);
    const invite = sends[0]!;
    expect(invite.idempotencyKey).toMatch(/^call-[0-9a-f]{28}$/);
    expect(invite.call?.organizer.personId).toBe(ALICE);
    expect(invite.call?.attendees.map((a) => a.personId)).toEqual([BOB, CAROL]);
    expect(outcomes.map((o) => o.ref)).toEqual(Array(3).fill(outcomes[0]!.ref));
    expect(outcomes.map((o) => o.alreadySent)).toEqual([false, true, true]);
    expect(outcomes.map((o) => o.deliveryKey)).toEqual(ids);
    for (const id of ids) expect(await notifications.get(id)).toMatchObject({ status: 'sent', deliveryKey: id, providerRef: outcomes[0]!.ref });
    expect(await notifications.getDelivery(invite.idempotencyKey)).toMatchObject({ status: 'sent', personId: ALICE, notificationIds: [], channelName: 'outbox' });
    expect((await readdir(join(dir, 'outbox'))).filter((name) => name.startsWith('delivery-'))).toHaveLength(1);

    // replayed: nothing more goes out
    for (const id of ids) expect(await deliver.deliverNotification(id)).toMatchObject({ alreadySent: true, ref: outcomes[0]!.ref });
    expect(sends).toHaveLength(1);
  });

  it('a different slot, or a different text, is another invite', async () => {
    const [a, b, c] = await plan(
      { recipientId: ALICE, medium: 'call', channel: 'fastest', call },
      { recipientId: BOB, medium: 'call', channel: 'fastest', call: { ...call, slot: { start: new Date('2026-03-03T11:00:00Z'), end: new Date('2026-03-03T11:05:00Z') } } },
      { recipientId: CAROL, medium: 'call', channel: 'fastest', call, markdown: 'Only for Carol: the numbers.' },
    );
    const [ra, rb, rc] = await notifications.getMany([a!, b!, c!]);
    expect(new Set([sharedSendKey(ra!), sharedSendKey(rb!), sharedSendKey(rc!)]).size).toBe(3);
  });

  it('two readers of one decision record: one file in the decisions folder; other mediums stay per person', async () => {
    const ids = await plan({ recipientId: ALICE, medium: 'doc', channel: 'slow', urgency: 'normal' }, { recipientId: BOB, medium: 'doc', channel: 'slow', urgency: 'normal' });
    const { channels, sends } = watched(deliveryChannelsFromEnv({}, { outboxDir: join(dir, 'outbox'), docsDir: join(dir, 'decisions') }));
    const deliver = activities(channels);
    const [first, second] = [await deliver.deliverNotification(ids[0]!), await deliver.deliverNotification(ids[1]!)];
    expect(sends).toHaveLength(1);
    expect(first.channelName).toBe('doc');
    expect(second).toMatchObject({ ref: first.ref, alreadySent: true });
    expect(await readdir(join(dir, 'decisions'))).toHaveLength(1);

    const [dm] = await notifications.getMany(await plan({ recipientId: ALICE, subject: 'Pricing: one more thing' }));
    expect(sharedSendKey(dm!)).toBeUndefined();
  });
});
