/**
 * The person agent (`person:<personId>`) on the time-skipping test server (days pass in seconds), with the real
 * workflow, the real activities, real PGlite stores and the real file outbox behind the channel resolver. The
 * resolver only watches: each send is recorded with the server's clock at the moment it happened.
 *
 * Expected instants are computed with luxon in each person's zone, independently of workflows/cadence.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../activities/delivery/outbox';
import type { DeliveryChannel, DeliveryRequest } from '../../activities/delivery/port';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { NotificationStore } from '../../activities/memory/notifications';
import { PersonSettingsStore } from '../../activities/memory/person-settings';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { createNotifyDeliveryActivities, outboxChannels, type ChannelResolver } from '../../activities/notify-delivery';
import { createPersonAgentActivities } from '../../activities/person-agent';
import { signalPersonAgent, tellPersonAgent } from '../../activities/person-requests';
import type { Person } from '../../schemas/entities';
import type { Channel, Medium, Urgency } from '../../schemas/routing';
import { workflowBundle } from '../../workers/worker';
import { QueueWorkers } from '../support/queue-workers';
import { personWorkflowId } from '../../workflows/ids';
import { flushDigestUpdate, personAgent, stateQuery, type PersonState } from '../../workflows/person';
import { useTestDatabase } from '../support/db';
import { timeSkippingEnv, type TimeSkippingEnvironment } from '../support/time-skipping';

const MINUTE = 60_000;
const person = (id: string, timezone: string, start: string, end: string): Person => ({ id, name: id.split('@')[0]!, timezone, workingHours: { start, end }, optedIn: true, identities: [] });
const BERLIN = person('berta@agent.test', 'Europe/Berlin', '09:00', '17:00');
const TOKYO = person('taro@agent.test', 'Asia/Tokyo', '10:00', '18:00');
const NEW_YORK = person('nora@agent.test', 'America/New_York', '09:00', '17:00');
const SAO_PAULO = person('paula@agent.test', 'America/Sao_Paulo', '08:00', '17:00');
const KOLKATA = person('kiran@agent.test', 'Asia/Kolkata', '09:30', '18:00');
const UTC_PERSON = person('uma@agent.test', 'UTC', '09:00', '17:00');
const CAN_PERSON = person('cara@agent.test', 'Europe/Berlin', '09:00', '17:00');

interface Sent {
  request: DeliveryRequest;
  /** the server's clock when the provider was called */
  at: number;
}

/** The outbox, watched: every send with the (skipped) server time it happened at. */
class WatchedChannels implements ChannelResolver {
  readonly sent: Sent[] = [];
  readonly #inner: ChannelResolver;

  constructor(
    outbox: FileOutbox,
    private readonly clock: () => Promise<number>,
  ) {
    this.#inner = outboxChannels(outbox);
  }

  forMedium(medium: Medium, recipient: DeliveryRequest['recipient']): DeliveryChannel {
    const channel = this.#inner.forMedium(medium, recipient);
    return {
      name: 'watched-outbox',
      mediums: channel.mediums,
      send: async (request) => {
        const receipt = await channel.send(request);
        this.sent.push({ request, at: await this.clock() });
        return receipt;
      },
      findSent: (request) => channel.findSent(request),
    };
  }

  to(personId: string): Sent[] {
    return this.sent.filter((s) => s.request.recipient.personId === personId);
  }
}

const database = useTestDatabase('pglite');
let ts: TimeSkippingEnvironment;
let worker: QueueWorkers;
let running: Promise<void>;
let outboxDir: string;
let channels: WatchedChannels;
let notifications: NotificationStore;
let settings: PersonSettingsStore;
const taskQueue = 'person-agent-test';
const UNTAGGED = { searchAttributes: false } as const;

beforeAll(async () => {
  ts = await timeSkippingEnv();
  const db = database.db;
  const embedder = new LocalHashingEmbedder();
  const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions), embedder });
  await store.upsertPeople([BERLIN, TOKYO, NEW_YORK, SAO_PAULO, KOLKATA, UTC_PERSON, CAN_PERSON]);
  notifications = new NotificationStore({ db });
  settings = new PersonSettingsStore({ db });
  outboxDir = await mkdtemp(join(tmpdir(), 'mycelium-person-agent-'));
  channels = new WatchedChannels(new FileOutbox(outboxDir), () => ts.env.currentTimeMs());
  // the sends run on the delivery queue beside the test's (workflows/activity-queues.ts)
  worker = await QueueWorkers.create({
    connection: ts.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...createPersonAgentActivities({ people: store, personSettings: settings }),
      ...createNotifyDeliveryActivities({ notifications, people: store, channels, now: () => new Date() }),
    },
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await ts?.teardown();
  if (outboxDir) await rm(outboxDir, { recursive: true, force: true });
});

// ---- helpers

async function skipTo(at: number): Promise<void> {
  const now = await ts.env.currentTimeMs();
  if (at > now) await ts.env.sleep(at - now);
}

/** The next local weekday (1 = Monday) at hh:mm in a zone, after `after`. */
function nextLocal(after: number, zone: string, weekday: number, hour: number, minute = 0): number {
  const day = DateTime.fromMillis(after, { zone }).startOf('day');
  for (let i = 0; i <= 8; i++) {
    const candidate = day.plus({ days: i }).set({ hour, minute, second: 0, millisecond: 0 });
    if (candidate.weekday === weekday && candidate.toMillis() > after) return candidate.toMillis();
  }
  throw new Error('unreachable');
}

/** Each read gets its own bound: a query sent as a run continues-as-new can hang on the test server; the next one answers. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    const attempt = await withinMs(read(), 5_000);
    if (attempt.done) {
      last = attempt.value;
      if (ok(last)) return last;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

async function withinMs<T>(pending: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  const settled = pending.then((value) => ({ done: true as const, value }));
  settled.catch(() => undefined); // a read that fails after its bound is dropped, not left unhandled
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

let seq = 0;
/** Records a planned notification the way notifyStakeholders does and hands it to the person's agent. */
async function notify(p: Person, over: { urgency: Urgency; medium: Medium; channel: Channel; subject?: string }): Promise<string> {
  const subject = over.subject ?? `item ${++seq}`;
  const [recorded] = await notifications.recordPlanned([
    {
      topicKey: `topic-${seq}`,
      recipientId: p.id,
      role: 'inform',
      roleReasons: ['replied in 3 of the 4 threads on this'],
      medium: over.medium,
      mediumReason: 'test',
      channel: over.channel,
      urgency: over.urgency,
      subject,
      markdown: `About ${subject}.`,
      subjectKind: 'text',
      workflowId: `notify:topic-${seq}`,
      runId: 'run-test',
    },
  ]);
  await signalPersonAgent(ts.env.client, taskQueue, p.id, { notificationId: recorded!.id, urgency: over.urgency, medium: over.medium, channel: over.channel }, UNTAGGED);
  return recorded!.id;
}

const slow = { urgency: 'normal', medium: 'digest', channel: 'slow' } as const;
const urgent = { urgency: 'high', medium: 'chat_dm', channel: 'fast' } as const;
const agent = (p: Person): WorkflowHandle => ts.env.client.workflow.getHandle(personWorkflowId(p.id));
const stateOf = (p: Person): Promise<PersonState> => agent(p).query(stateQuery);
const untilState = (p: Person, ok: (s: PersonState) => boolean, what: string) => eventually(() => stateOf(p), ok, what);
const untilSent = (p: Person, count: number, what: string) => eventually(async () => channels.to(p.id), (s) => s.length >= count, what);

// ---- tests

describe('personAgent', () => {
  it('a slow item queued on Friday evening goes out in each person’s digest on Monday at the start of their own working day', async () => {
    const fridayEvening = nextLocal(await ts.env.currentTimeMs(), 'Europe/Berlin', 5, 19);
    await skipTo(fridayEvening);
    const ids = { berlin: await notify(BERLIN, slow), tokyo: await notify(TOKYO, slow), newYork: await notify(NEW_YORK, slow) };

    const mondayBerlin = nextLocal(fridayEvening, 'Europe/Berlin', 1, 9);
    const mondayTokyo = nextLocal(fridayEvening, 'Asia/Tokyo', 1, 10);
    const mondayNewYork = nextLocal(fridayEvening, 'America/New_York', 1, 9);
    const berlin = await untilState(BERLIN, (s) => s.queue.some((q) => q.notificationId === ids.berlin && q.placement === 'digest'), 'the Berlin item to be queued');
    expect(berlin.nextDigestAt).toBe(new Date(mondayBerlin).toISOString());
    expect(berlin.queue[0]!.reason).toMatch(/waits for the digest/);
    expect((await untilState(TOKYO, (s) => s.nextDigestAt !== undefined, 'Tokyo queued')).nextDigestAt).toBe(new Date(mondayTokyo).toISOString());
    // Friday 13:00 in New York, inside working hours: a slow item still waits for the digest
    expect((await untilState(NEW_YORK, (s) => s.nextDigestAt !== undefined, 'New York queued')).nextDigestAt).toBe(new Date(mondayNewYork).toISOString());

    // nothing over the weekend
    await skipTo(mondayTokyo - MINUTE);
    expect(channels.to(TOKYO.id)).toEqual([]);
    expect(channels.to(BERLIN.id)).toEqual([]);

    await skipTo(mondayTokyo + 30_000);
    const [tokyoDigest] = await untilSent(TOKYO, 1, 'the Tokyo digest');
    expect(tokyoDigest!.at).toBeGreaterThanOrEqual(mondayTokyo);
    expect(tokyoDigest!.at).toBeLessThan(mondayTokyo + 5 * MINUTE);
    expect(channels.to(BERLIN.id)).toEqual([]);

    await skipTo(mondayBerlin + 30_000);
    const [berlinDigest] = await untilSent(BERLIN, 1, 'the Berlin digest');
    expect(berlinDigest!.at).toBeGreaterThanOrEqual(mondayBerlin);
    expect(berlinDigest!.at).toBeLessThan(mondayBerlin + 5 * MINUTE);
    expect(berlinDigest!.request.medium).toBe('digest');
    expect(berlinDigest!.request.markdown).toContain(`myc why ${ids.berlin}`);
    // its own key: person + the local date of the digest (Monday in Berlin)
    const localMonday = DateTime.fromMillis(mondayBerlin, { zone: 'Europe/Berlin' }).toFormat('yyyyLLdd');
    expect(berlinDigest!.request.idempotencyKey).toMatch(new RegExp(`^dg-[0-9a-f]{16}-${localMonday}-1$`));
    expect(await notifications.get(ids.berlin)).toMatchObject({ status: 'sent', deliveryKey: berlinDigest!.request.idempotencyKey });
    const delivery = await notifications.getDelivery(berlinDigest!.request.idempotencyKey);
    expect(delivery).toMatchObject({ kind: 'digest', status: 'sent', notificationIds: [ids.berlin], attempts: 1 });
    const state = await untilState(BERLIN, (s) => s.recentlyDelivered.length === 1, 'Berlin to remember the delivery');
    expect(Date.parse(state.recentlyDelivered[0]!.at)).toBeGreaterThanOrEqual(mondayBerlin);
    expect(state.queue).toEqual([]);
    expect(state.nextDigestAt).toBeUndefined();

    await skipTo(mondayNewYork + 30_000);
    const [nyDigest] = await untilSent(NEW_YORK, 1, 'the New York digest');
    expect(nyDigest!.at).toBeGreaterThanOrEqual(mondayNewYork);
    expect(channels.to(TOKYO.id)).toHaveLength(1);
  });

  it('quiet hours hold an urgent item until they end', async () => {
    await settings.set(SAO_PAULO.id, { quietHours: { start: '12:00', end: '14:00' } });
    const lunch = nextLocal(await ts.env.currentTimeMs(), 'America/Sao_Paulo', 2, 12, 30);
    const quietEnd = lunch + 90 * MINUTE;
    await skipTo(lunch);
    const id = await notify(SAO_PAULO, urgent);
    const held = await untilState(SAO_PAULO, (s) => s.queue.some((q) => q.notificationId === id), 'the item to be held');
    expect(held.queue[0]).toMatchObject({ placement: 'held', until: new Date(quietEnd).toISOString() });
    expect(held.queue[0]!.reason).toMatch(/quiet hours 12:00–14:00/);

    await skipTo(quietEnd - MINUTE);
    expect(channels.to(SAO_PAULO.id)).toEqual([]);
    await skipTo(quietEnd + 30_000);
    const [sent] = await untilSent(SAO_PAULO, 1, 'the held item');
    expect(sent!.at).toBeGreaterThanOrEqual(quietEnd);
    expect(sent!.request).toMatchObject({ medium: 'chat_dm', idempotencyKey: id });
    expect(await notifications.get(id)).toMatchObject({ status: 'sent' });
  });

  it('do-not-disturb holds an urgent item; clearing it lets the item out at once', async () => {
    const morning = nextLocal(await ts.env.currentTimeMs(), 'Asia/Kolkata', 3, 11);
    await settings.set(KOLKATA.id, { dndUntil: new Date(morning + 4 * 60 * MINUTE) });
    await skipTo(morning);
    const id = await notify(KOLKATA, { urgency: 'critical', medium: 'chat_dm', channel: 'fast' });
    const held = await untilState(KOLKATA, (s) => s.queue.some((q) => q.notificationId === id), 'the item to be held');
    expect(held.queue[0]).toMatchObject({ placement: 'held', until: new Date(morning + 4 * 60 * MINUTE).toISOString() });
    expect(held.queue[0]!.reason).toMatch(/do not disturb/);

    await skipTo(morning + 60 * MINUTE);
    expect(channels.to(KOLKATA.id)).toEqual([]);
    await settings.set(KOLKATA.id, { dndUntil: null });
    expect(await tellPersonAgent(ts.env.client, KOLKATA.id, { settingsChanged: true })).toBe(true);
    const [sent] = await untilSent(KOLKATA, 1, 'the item after do-not-disturb was cleared');
    expect(sent!.at).toBeLessThan(morning + 4 * 60 * MINUTE);
    expect((await stateOf(KOLKATA)).settings?.dndUntil).toBeUndefined();
  });

  it('urgent items inside working hours go at once until the attention budget is spent; the rest join the digest', async () => {
    await settings.set(UTC_PERSON.id, { attentionBudget: 2 });
    const thursday = nextLocal(await ts.env.currentTimeMs(), 'UTC', 4, 10);
    await skipTo(thursday);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await notify(UTC_PERSON, urgent));
    const state = await untilState(UTC_PERSON, (s) => s.recentlyDelivered.length === 2 && s.queue.length === 2, 'two sent, two queued');
    expect(state.budgetLeft).toBe(0);
    expect(state.recentlyDelivered.map((d) => d.notificationId)).toEqual(ids.slice(0, 2));
    expect(state.queue.map((q) => [q.notificationId, q.placement])).toEqual([
      [ids[2], 'digest'],
      [ids[3], 'digest'],
    ]);
    expect(state.queue[0]!.reason).toMatch(/attention budget of 2 interruptions today is used up/);
    const friday = nextLocal(thursday, 'UTC', 5, 9);
    expect(state.nextDigestAt).toBe(new Date(friday).toISOString());
    const direct = channels.to(UTC_PERSON.id);
    expect(direct.map((s) => s.request.idempotencyKey)).toEqual(ids.slice(0, 2));
    for (const s of direct) expect(s.at).toBeLessThan(thursday + 5 * MINUTE);

    await skipTo(friday + 30_000);
    const all = await untilSent(UTC_PERSON, 3, 'the digest');
    expect(all).toHaveLength(3);
    expect(all[2]!.request.medium).toBe('digest');
    expect(all[2]!.at).toBeGreaterThanOrEqual(friday);
    const digest = await notifications.getDelivery(all[2]!.request.idempotencyKey);
    expect(digest?.notificationIds).toEqual(ids.slice(2));
    expect((await untilState(UTC_PERSON, (s) => s.queue.length === 0, 'the queue to empty')).budgetLeft).toBe(2);
  });

  it('continue-as-new keeps the queue, and a flushed digest carries everything queued across runs', async () => {
    const handle = await ts.env.client.workflow.start(personAgent, { workflowId: personWorkflowId(CAN_PERSON.id), taskQueue, args: [{ personId: CAN_PERSON.id, maxHistoryEvents: 40 }] });
    const firstRun = handle.firstExecutionRunId;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(await notify(CAN_PERSON, slow));
      // one at a time, so each takes a workflow task of its own and the history grows
      await untilState(CAN_PERSON, (s) => s.queue.some((q) => q.notificationId === ids[i]), `item ${i} queued`);
    }
    const state = await untilState(CAN_PERSON, (s) => s.runs >= 2, 'a continued run');
    expect(state.queue.map((q) => q.notificationId)).toEqual(ids);
    const described = await agent(CAN_PERSON).describe();
    expect(described.runId).not.toBe(firstRun);

    const flushed = await agent(CAN_PERSON).executeUpdate(flushDigestUpdate);
    expect(flushed.notificationIds).toEqual(ids);
    const sent = channels.to(CAN_PERSON.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request.idempotencyKey).toBe(flushed.digestKey);
    for (const id of ids) expect(sent[0]!.request.markdown).toContain(`myc why ${id}`);
    expect((await stateOf(CAN_PERSON)).queue).toEqual([]);
  });
});
