/**
 * Exactly once across a real worker kill: a worker in a child process (test/support/delivery-worker.ts) is SIGKILLed
 * after the provider has the message and before the delivery ledger confirmed it; a new worker process takes the
 * activity's retry, finds the earlier send at the provider (findSent through the channel the ledger recorded) and
 * confirms it without sending again.
 *
 * Real parts throughout: the test run's Temporal dev server, a fresh Postgres database shared by the test and both
 * worker processes, the delivery channels built from the environment as the service builds them, the file outbox
 * and a local Slack Web API (test/delivery/wire-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deliveryChannelsFromEnv } from '../../activities/delivery/channels';
import type { DeliveryChannel } from '../../activities/delivery/port';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { NotificationStore, type DeliveryRecord, type PlannedNotification } from '../../activities/memory/notifications';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { createNotifyDeliveryActivities, type ChannelResolver, type DeliveryOutcome } from '../../activities/notify-delivery';
import { signalPersonAgent } from '../../activities/person-requests';
import type { Person } from '../../schemas/entities';
import { personWorkflowId } from '../../workflows/ids';
import { flushDigestUpdate, stateQuery, type PersonState } from '../../workflows/person-defs';
import { createTestDatabase, type TestDatabase } from '../support/db';
import type { DeliveryWorkerMessage } from '../support/delivery-worker';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';
import { startWireServer, type RecordedRequest, type WireServer } from './wire-server';

const workerScript = fileURLToPath(new URL('../support/delivery-worker.ts', import.meta.url));
const workflowsPath = fileURLToPath(new URL('../support/delivery-workflows.ts', import.meta.url));
const NAMESPACE = 'test-exactly-once';
const TASK_QUEUE = `exactly-once-${process.pid}`;

const DORA: Person = { id: 'dora@kill.test', name: 'Dora', timezone: 'Europe/Berlin', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [] };
const SAM: Person = { id: 'sam@kill.test', name: 'Sam', timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [{ provider: 'slack', externalId: 'U0SAM' }] };

let database: TestDatabase;
let store: MemoryStore;
let notifications: NotificationStore;
let connection: Connection;
let client: Client;
let bundleDir: string;
let bundlePath: string;
const children: WorkerProcess[] = [];

beforeAll(async () => {
  await ensureTestNamespace(NAMESPACE);
  database = await createTestDatabase('postgres', { migrate: true });
  const embedder = new LocalHashingEmbedder();
  store = new MemoryStore({ db: database.db, vectors: await chooseVectorIndex(database.db, embedder.dimensions), embedder });
  await store.upsertPeople([DORA, SAM]);
  notifications = new NotificationStore({ db: database.db });
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection, namespace: NAMESPACE });
  // bundled once here: each worker process would otherwise spend its own seconds on it
  bundleDir = await mkdtemp(join(tmpdir(), 'myc-exactly-once-bundle-'));
  bundlePath = join(bundleDir, 'workflows.js');
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error } });
  await writeFile(bundlePath, code, 'utf8');
}, 240_000);

afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

afterAll(async () => {
  await connection?.close();
  await database?.dispose();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

// ---- helpers

interface WorkerProcess {
  process: ChildProcess;
  /** resolves with the next message of this type */
  next<T extends DeliveryWorkerMessage['type']>(type: T): Promise<Extract<DeliveryWorkerMessage, { type: T }>>;
  output(): string;
  kill(): Promise<void>;
}

/** A delivery worker in a child process; its env names providers, never the developer's own configuration. */
async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MYCELIUM_')));
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    env: {
      ...inherited,
      DATABASE_URL: database.url!,
      TEMPORAL_TEST_ADDRESS: testTemporalAddress(),
      DELIVERY_WORKER_NAMESPACE: NAMESPACE,
      DELIVERY_WORKER_TASK_QUEUE: TASK_QUEUE,
      DELIVERY_WORKER_BUNDLE: bundlePath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: { type: string; resolve: (m: DeliveryWorkerMessage) => void; reject: (e: Error) => void }[] = [];
  child.on('message', (message: DeliveryWorkerMessage) => {
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the delivery worker exited (${signal ?? code}) before "${w.type}":\n${output}`));
  });
  const handle: WorkerProcess = {
    process: child,
    next: (type) => new Promise((resolve, reject) => waiting.push({ type, resolve: resolve as (m: DeliveryWorkerMessage) => void, reject })),
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  children.push(handle);
  await handle.next('ready');
  return handle;
}

/** SIGKILL: no shutdown, no finally blocks, no confirmation */
async function sigkill(worker: WorkerProcess): Promise<void> {
  worker.process.kill('SIGKILL');
  await new Promise<void>((resolve) => (worker.process.exitCode !== null || worker.process.signalCode !== null ? resolve() : worker.process.once('exit', () => resolve())));
  expect(worker.process.signalCode).toBe('SIGKILL');
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

let seq = 0;
async function plan(recipient: Person, over: Partial<PlannedNotification>): Promise<string> {
  const n = ++seq;
  const [recorded] = await notifications.recordPlanned([
    {
      topicKey: `kill-${n}`,
      recipientId: recipient.id,
      role: 'decide',
      roleReasons: ['owns the follow-up of decision D-12'],
      medium: 'chat_dm',
      mediumReason: 'test',
      channel: 'fast',
      urgency: 'high',
      subject: `Decision D-12, take ${n}`,
      markdown: `We need your call on pricing (${n}).`,
      subjectKind: 'decision',
      workflowId: `notify:kill-${n}-${process.pid}`,
      runId: 'run-kill',
      ...over,
    },
  ]);
  return recorded!.id;
}

/** the real channels a worker builds from this env, counting sends: a replay must not reach them */
function countingChannels(env: Record<string, string>, outboxDir: string): { channels: ChannelResolver; sends: string[] } {
  const inner = deliveryChannelsFromEnv(env, { outboxDir, docsDir: join(outboxDir, 'decisions') });
  const sends: string[] = [];
  const counted = (channel: DeliveryChannel): DeliveryChannel => ({
    name: channel.name,
    mediums: channel.mediums,
    findSent: (request) => channel.findSent(request),
    send: (request) => {
      sends.push(request.idempotencyKey);
      return channel.send(request);
    },
  });
  const byName = (name: string) => {
    const channel = inner.byName(name);
    return channel && counted(channel);
  };
  return { channels: { forMedium: (medium, recipient) => counted(inner.forMedium(medium, recipient)), byName }, sends };
}

const ledger = async (key: string): Promise<DeliveryRecord | undefined> => notifications.getDelivery(key);

// ---- tests

describe('exactly once across a SIGKILLed worker', () => {
  it('the person agent digest through the embedded outbox: killed after the file is written, before the ledger confirms; the next worker finds the file and sends nothing', async () => {
    const outboxDir = await mkdtemp(join(tmpdir(), 'myc-exactly-once-outbox-'));
    try {
      const first = await startWorker({ DELIVERY_WORKER_OUTBOX_DIR: outboxDir, DELIVERY_WORKER_HOLD_AFTER_SEND: '1' });
      const id = await plan(DORA, { medium: 'digest', channel: 'slow', urgency: 'normal' });
      await signalPersonAgent(client, TASK_QUEUE, DORA.id, { notificationId: id, urgency: 'normal', medium: 'digest', channel: 'slow' }, { searchAttributes: false });
      const agent = client.workflow.getHandle(personWorkflowId(DORA.id));
      await eventually(() => agent.query(stateQuery), (s: PersonState) => s.queue.some((q) => q.notificationId === id && q.placement === 'digest'), 'the notice queued for the digest');

      // the digest goes out now, on request; the update outlives the worker that starts it
      const flush = await agent.startUpdate(flushDigestUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
      const sent = await first.next('sent');
      expect(sent.channel).toBe('outbox');
      const path = join(outboxDir, `delivery-${sent.key}.md`);
      expect(sent.ref).toBe(`outbox:${path}`);
      // recorded before the send, not yet confirmed
      expect(await ledger(sent.key)).toMatchObject({ status: 'sending', channelName: 'outbox', attempts: 1, notificationIds: [id] });
      const written = await stat(path);

      await sigkill(first);
      expect((await ledger(sent.key))?.status).toBe('sending');

      await startWorker({ DELIVERY_WORKER_OUTBOX_DIR: outboxDir });
      const result = await flush.result();
      expect(result).toEqual({ digestKey: sent.key, notificationIds: [id] });
      const confirmed = await eventually(() => ledger(sent.key), (d) => d?.status === 'sent', 'the digest confirmed');
      expect(confirmed).toMatchObject({ status: 'sent', attempts: 2, foundSent: true, providerRef: sent.ref, notificationIds: [id] });
      expect(await notifications.get(id)).toMatchObject({ status: 'sent', deliveryKey: sent.key, providerRef: sent.ref });

      // one file, the very one the killed worker wrote (a rewrite would be a new inode from the temp file's rename)
      expect((await readdir(outboxDir)).filter((name) => name.startsWith('delivery-'))).toEqual([`delivery-${sent.key}.md`]);
      expect((await stat(path)).ino).toBe(written.ino);
      const state = await eventually(() => agent.query(stateQuery), (s: PersonState) => s.queue.length === 0, 'the agent settled');
      expect(state.recentlyDelivered).toEqual([expect.objectContaining({ notificationId: id, via: 'digest', deliveryKey: sent.key })]);

      // a replayed delivery of the same digest sends nothing
      const replay = countingChannels({}, outboxDir);
      const again = await createNotifyDeliveryActivities({ notifications, people: store, channels: replay.channels, now: () => new Date() }).deliverDigest(DORA.id, [id], sent.key);
      expect(again).toMatchObject({ deliveryKey: sent.key, alreadySent: true, ref: sent.ref, notificationIds: [id] });
      expect(replay.sends).toEqual([]);
      expect((await ledger(sent.key))?.attempts).toBe(2);
    } finally {
      await client.workflow.getHandle(personWorkflowId(DORA.id)).terminate('test over').catch(() => undefined);
      await rm(outboxDir, { recursive: true, force: true });
    }
  });

  describe('a Slack DM through a real workflow', () => {
    let slack: WireServer;
    let held: (() => void)[] = [];
    let posted: { channel: string; ts: string; metadata: unknown }[] = [];

    beforeAll(async () => {
      slack = await startWireServer();
    });
    afterAll(async () => {
      for (const release of held) release();
      await slack?.close();
    });

    it('killed after Slack received chat.postMessage, before the worker saw the answer: the retry on a new worker finds the message by its metadata and posts nothing', async () => {
      const outboxDir = await mkdtemp(join(tmpdir(), 'myc-exactly-once-slack-'));
      const env = { MYCELIUM_SLACK_TOKEN: 'xoxb-kill-test', MYCELIUM_SLACK_BASE_URL: slack.url };
      let received: (request: RecordedRequest) => void = () => undefined;
      const firstPost = new Promise<RecordedRequest>((resolve) => (received = resolve));
      let holdAnswers = true;
      slack.on('POST', '/api/conversations.open', (request) => ({ body: { ok: true, channel: { id: `D-${request.form().get('users')}` } } }));
      slack.on('POST', '/api/chat.postMessage', async (request) => {
        const form = request.form();
        const message = { channel: form.get('channel') ?? '', ts: `1700000000.00010${posted.length}`, metadata: JSON.parse(form.get('metadata') ?? 'null') as unknown };
        posted.push(message); // Slack has the message from here on, whatever happens to the caller
        received(request);
        // the worker is killed while waiting for this answer
        if (holdAnswers) await new Promise<void>((release) => held.push(release));
        return { body: { ok: true, channel: message.channel, ts: message.ts } };
      });
      slack.on('POST', '/api/conversations.history', (request) => ({
        body: {
          ok: true,
          has_more: false,
          messages: posted
            .filter((message) => message.channel === request.form().get('channel'))
            .reverse()
            .map((message) => ({ type: 'message', ts: message.ts, text: '…', ...(request.form().get('include_all_metadata') === 'true' ? { metadata: message.metadata } : {}) })),
        },
      }));
      const postMessages = () => slack.requests.filter((request) => request.path === '/api/chat.postMessage');

      try {
        const first = await startWorker({ ...env, DELIVERY_WORKER_OUTBOX_DIR: outboxDir });
        const id = await plan(SAM, {});
        const run = await client.workflow.start('deliverOnce', { workflowId: `deliver-once-${id}`, taskQueue: TASK_QUEUE, args: [id] });

        const post = await firstPost;
        expect(JSON.parse(post.form().get('metadata')!)).toEqual({ event_type: 'mycelium_delivery', event_payload: { idempotency_key: id } });
        expect(await ledger(id)).toMatchObject({ status: 'sending', channelName: 'slack', attempts: 1 });
        await sigkill(first);
        // from now on Slack answers at once: a second post would show up in the count, not hang the test
        holdAnswers = false;

        await startWorker({ ...env, DELIVERY_WORKER_OUTBOX_DIR: outboxDir });
        const outcome = (await run.result()) as DeliveryOutcome;
        expect(outcome).toEqual({ deliveryKey: id, ref: 'slack:D-U0SAM/1700000000.000100', alreadySent: true, notificationIds: [id], channelName: 'slack' });
        expect(postMessages()).toHaveLength(1);
        expect(slack.requests.filter((request) => request.path === '/api/conversations.history').length).toBeGreaterThanOrEqual(1);
        expect(await ledger(id)).toMatchObject({ status: 'sent', channelName: 'slack', attempts: 2, foundSent: true, providerRef: outcome.ref });
        expect(await notifications.get(id)).toMatchObject({ status: 'sent', deliveryKey: id, providerRef: outcome.ref });
        const history = await run.fetchHistory();
        const retried = history.events?.find((event) => event.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes;
        expect(retried?.attempt).toBe(2);

        // a second deliverNotification of the same notification, through a real workflow again, sends nothing
        const before = slack.requests.length;
        const replay = await client.workflow.execute('deliverOnce', { workflowId: `deliver-once-again-${id}`, taskQueue: TASK_QUEUE, args: [id] });
        expect(replay).toEqual({ ...outcome, alreadySent: true });
        expect(slack.requests.length).toBe(before);
        expect(postMessages()).toHaveLength(1);
        expect((await ledger(id))?.attempts).toBe(2);
      } finally {
        for (const release of held.splice(0)) release();
        posted = [];
        held = [];
        await rm(outboxDir, { recursive: true, force: true });
      }
    });
  });
});
