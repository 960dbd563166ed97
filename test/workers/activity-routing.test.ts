/**
 * Activities run on their role's queue (workflows/activity-queues.ts), against the test run's Temporal server: the
 * main worker is built by the factory as a deployment whose roles run elsewhere builds it (createWorker with no role
 * queue in process), and each role's worker by `createRoleWorker`, as `myc worker --role <role>` builds it.
 *
 * - A files sync: the folder's listing and ingest are scheduled on the files queue and stay there, unstarted, while
 *   no files worker runs (the main worker, polling beside them and answering the run's queries, never takes them);
 *   once it runs they complete, and extraction waits the same way on the intelligence queue.
 * - A meeting brief: prepared on the main queue, sent from the delivery queue — by the delivery worker, whose outbox
 *   gets the brief, not the main worker's.
 * - The history says where each activity was scheduled; and a history whose activities were all scheduled on the
 *   main queue (as runs started before this routing recorded them) replays under it without a determinism error.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities';
import { deliveryChannelsFromEnv } from '../../activities/delivery/channels';
import { FileOutbox } from '../../activities/delivery/outbox';
import { createExtractor } from '../../activities/intelligence/extraction';
import { FollowUpStore } from '../../activities/memory/follow-ups';
import { openStack, type Stack } from '../../clients/runtime';
import { sampleTeamFolder } from '../../clients/cli/demo';
import type { Meeting, ParsedUnit, Person } from '../../schemas/entities';
import { activityTaskQueue } from '../../temporal.config';
import { roleTaskQueue, type WorkerRole } from '../../workers/scaling';
import { createRoleWorker, createWorker, workflowBundle } from '../../workers/worker';
import { meetingWorkflowId, syncWorkflowId } from '../../workflows/ids';
import { ensureMeetingHasContext } from '../../workflows/meeting';
import { progressQuery, syncSource } from '../../workflows/sync';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';

const NAMESPACE = 'test-activity-routing';
const QUEUE = `activity-routing-${process.pid}`;
/** temporal.api.enums.v1 wire values (part of the stable Temporal API) */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;
const PENDING_ACTIVITY_SCHEDULED = 1;

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
let stack: Stack;
let dirs: string[] = [];
const running: { worker: Worker; run: Promise<void>; connection?: NativeConnection }[] = [];
let mainOutbox: string;
let mainConnection: NativeConnection;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `mycelium-routing-${name}-`));
  dirs.push(dir);
  return dir;
}

/** the activities' world: the test's store, an outbox of the worker's own (so a send shows which worker made it) */
function depsWith(outboxDir: string): ActivityDeps {
  return {
    store: stack.store,
    decisions: stack.decisions,
    followUps: new FollowUpStore({ db: stack.db }),
    sources: stack.sources,
    extractor: createExtractor({}, { log }),
    outbox: new FileOutbox(outboxDir),
    delivery: deliveryChannelsFromEnv({}, { outboxDir, docsDir: join(outboxDir, 'decisions'), log }),
    notifications: stack.notifications,
    personSettings: stack.personSettings,
    coordination: stack.coordination,
    temporal: { client: stack.client, taskQueue: QUEUE },
    log,
    now: () => new Date(),
  };
}

/** a role's worker, as `myc worker --role <role>` builds it, with an outbox of its own */
async function startRoleWorker(role: WorkerRole): Promise<string> {
  const outbox = await tempDir(role);
  const built = await createRoleWorker({ address: testTemporalAddress(), namespace: NAMESPACE, taskQueue: QUEUE, deps: depsWith(outbox), role, env: {} });
  expect(built.taskQueue).toBe(roleTaskQueue(role, QUEUE));
  running.push({ worker: built.worker, run: built.worker.run(), connection: built.connection });
  return outbox;
}

async function pollers(taskQueue: string, type: keyof typeof TASK_QUEUE_TYPE): Promise<number> {
  const res = await stack.client.workflowService.describeTaskQueue({ namespace: NAMESPACE, taskQueue: { name: taskQueue }, taskQueueType: TASK_QUEUE_TYPE[type] });
  return res.pollers?.length ?? 0;
}

async function pendingActivities(handle: WorkflowHandle): Promise<{ type: string; state: number; attempt: number }[]> {
  const described = await handle.describe();
  return (described.raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name ?? '', state: Number(a.state), attempt: a.attempt ?? 0 }));
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** the queue each activity type was scheduled on, from the run's history */
async function scheduledQueues(handle: WorkflowHandle): Promise<Record<string, string[]>> {
  return queuesIn(await handle.fetchHistory());
}

function queuesIn(history: History): Record<string, string[]> {
  const queues: Record<string, string[]> = {};
  for (const event of history.events ?? []) {
    const attrs = event.activityTaskScheduledEventAttributes;
    if (!attrs) continue;
    const type = attrs.activityType?.name ?? '';
    queues[type] = [...new Set([...(queues[type] ?? []), attrs.taskQueue?.name ?? ''])];
  }
  return queues;
}

beforeAll(async () => {
  await ensureTestNamespace(NAMESPACE);
  // the client, store and search attributes of a stack that runs no worker: the test builds the workers itself
  stack = await openStack({ worker: false, temporalAddress: testTemporalAddress(), namespace: NAMESPACE, pgliteDir: null, taskQueue: QUEUE, log });
  mainOutbox = await tempDir('main');
  // the service of a deployment whose roles all run as workers of their own (MYCELIUM_WORKER_ROLES_IN_PROCESS=none)
  const main = await createWorker({
    address: testTemporalAddress(),
    namespace: NAMESPACE,
    taskQueue: QUEUE,
    deps: depsWith(mainOutbox),
    env: { MYCELIUM_WORKER_ROLES_IN_PROCESS: 'none' },
  });
  expect(main.workers.map((w) => w.taskQueue)).toEqual([QUEUE]);
  mainConnection = main.connection;
  running.push({ worker: main.workers[0]!.worker, run: main.workers[0]!.worker.run() });
  // its workflow and activity pollers come up apart: on a busy machine one can be seen well before the other
  await until('the main worker polling for workflow and activity tasks', async () => (await pollers(QUEUE, 'workflow')) > 0 && (await pollers(QUEUE, 'activity')) > 0);
}, 300_000);

afterAll(async () => {
  for (const { worker } of running) if (worker.getState() === 'RUNNING') worker.shutdown();
  await Promise.allSettled(running.map((r) => r.run));
  for (const { connection } of running) await connection?.close();
  await mainConnection?.close();
  await stack?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

describe('activity routing by worker role', () => {
  it('keeps the files connector and extraction on their queues: they wait for their role worker, never run by main', async () => {
    const filesQueue = roleTaskQueue('connector-files', QUEUE);
    const intelligenceQueue = roleTaskQueue('intelligence', QUEUE);
    expect([filesQueue, intelligenceQueue]).toEqual([activityTaskQueue(QUEUE, 'files'), activityTaskQueue(QUEUE, 'intelligence')]);
    // nobody polls the role queues: the main worker was told they run elsewhere
    expect(await pollers(QUEUE, 'activity')).toBeGreaterThan(0);
    for (const queue of [filesQueue, intelligenceQueue, roleTaskQueue('delivery', QUEUE)]) expect(await pollers(queue, 'activity'), queue).toBe(0);

    // a folder with the team's directory and one e-mail between two of its people
    const folder = await tempDir('folder');
    await writeFile(join(folder, 'people.json'), await readFile(join(sampleTeamFolder, 'people.json'), 'utf8'));
    await writeFile(
      join(folder, 'hello.eml'),
      [
        'From: Alice Chen <alice@acme.test>',
        'To: Bob Okafor <bob@acme.test>',
        'Subject: Build servers',
        'Date: Mon, 09 Mar 2026 16:00:00 +0000',
        'Message-ID: <routing-test@acme.test>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The build servers are back up after the maintenance window.',
        '',
      ].join('\r\n'),
    );
    const sourceId = `routing-${process.pid}`;
    await stack.store.upsertSource({ id: sourceId, kind: 'files', config: { root: folder } });
    const handle = await stack.client.workflow.start(syncSource, { workflowId: syncWorkflowId(sourceId), taskQueue: QUEUE, args: [{ sourceId, immediate: true }] });

    // the listing is scheduled on the files queue, and no worker there: it stays scheduled, first attempt
    await until('planSync scheduled', async () => (await pendingActivities(handle)).some((a) => a.type === 'planSync'));
    // the main worker is up and serving this very run (it answers the query), yet does not take the activity
    expect((await handle.query(progressQuery)).phase).toBe('planning');
    expect(await pendingActivities(handle)).toEqual([{ type: 'planSync', state: PENDING_ACTIVITY_SCHEDULED, attempt: 1 }]);
    expect((await scheduledQueues(handle)).planSync).toEqual([filesQueue]);

    await startRoleWorker('connector-files');
    // ingested by the files worker; then extraction waits on the intelligence queue the same way
    await until('extractFromItems scheduled', async () => (await pendingActivities(handle)).some((a) => a.type === 'extractFromItems'));
    expect((await handle.query(progressQuery)).phase).toBe('extracting');
    expect(await pendingActivities(handle)).toEqual([{ type: 'extractFromItems', state: PENDING_ACTIVITY_SCHEDULED, attempt: 1 }]);

    await startRoleWorker('intelligence');
    const result = await handle.result();
    // the directory and the e-mail; one item (the e-mail)
    expect(result).toMatchObject({ files: 2, inserted: 1, quarantined: [] });

    const queues = await scheduledQueues(handle);
    expect(queues).toMatchObject({
      describeSyncSource: [QUEUE],
      planSync: [filesQueue],
      ingestFiles: [filesQueue],
      commitCursor: [QUEUE],
      extractFromItems: [intelligenceQueue],
      calendarsOfSource: [QUEUE],
    });

    // a run recorded before the routing (every activity on the main queue) replays under it: core matches a scheduled
    // activity by id and type, not by queue, so the long-lived runs need no patch
    const history = await handle.fetchHistory();
    for (const event of history.events ?? []) {
      if (event.activityTaskScheduledEventAttributes?.taskQueue) event.activityTaskScheduledEventAttributes.taskQueue.name = QUEUE;
    }
    expect(Object.values(queuesIn(history)).flat()).toEqual(Object.keys(queues).map(() => QUEUE));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    // …while the replay does check scheduled activities: another activity type where the code schedules planSync fails it
    const renamed = structuredClone(history);
    const planned = renamed.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'planSync');
    planned!.activityTaskScheduledEventAttributes!.activityType!.name = 'listFolder';
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, renamed, handle.workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
  }, 240_000);

  it('sends a brief from the delivery queue: prepared by main, written by the delivery worker once it runs', async () => {
    const deliveryQueue = roleTaskQueue('delivery', QUEUE);
    const people: Person[] = ['ana', 'ben'].map((name) => ({
      id: `${name}@routing.test`,
      name,
      timezone: 'UTC',
      workingHours: { start: '09:00', end: '17:00' },
      optedIn: true,
      identities: [],
    }));
    const calendar = `routing${process.pid}`;
    const meeting: Meeting = {
      id: `${calendar}:standup`,
      calendarId: calendar,
      eventId: 'standup',
      title: 'Standup',
      description: 'Daily standup',
      // inside the lead time: the brief is prepared at once; the run ends once it is out and the meeting has begun
      startsAt: new Date(Date.now() + 2_000),
      endsAt: new Date(Date.now() + 30 * 60_000),
      organizerId: people[0]!.id,
      attendeeIds: people.map((p) => p.id),
      outsideOptInCount: 0,
      status: 'confirmed',
      sourceId: 'routing-calendar',
    };
    await stack.store.upsertSource({ id: 'routing-calendar', kind: 'files', config: { root: '/nonexistent' } });
    const unit: ParsedUnit = { path: 'cal/standup.ics', fileHash: 'standup', people, items: [], meetings: [meeting] };
    await stack.store.storeUnit('routing-calendar', unit);

    const handle = await stack.client.workflow.start(ensureMeetingHasContext, {
      workflowId: meetingWorkflowId(meeting.id),
      taskQueue: QUEUE,
      args: [{ meetingId: meeting.id, startsAt: meeting.startsAt.toISOString(), attendeeIds: meeting.attendeeIds }],
    });
    await until('deliverBrief scheduled', async () => (await pendingActivities(handle)).some((a) => a.type === 'deliverBrief'));
    expect(await pendingActivities(handle)).toEqual([{ type: 'deliverBrief', state: PENDING_ACTIVITY_SCHEDULED, attempt: 1 }]);
    expect(await scheduledQueues(handle)).toEqual({ prepareBrief: [QUEUE], deliverBrief: [deliveryQueue] });
    const briefs = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.md'));
    expect(await briefs(mainOutbox)).toEqual([]);

    const deliveryOutbox = await startRoleWorker('delivery');
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'delivered' });
    // the shared brief, under its own id; each attendee's agent may also send them their own brief through the same
    // delivery worker (in their working hours, so depending on the clock) — never through main's
    expect(await briefs(deliveryOutbox)).toContain(`${result.briefId}.md`);
    expect(await briefs(mainOutbox)).toEqual([]);
  }, 240_000);
});
