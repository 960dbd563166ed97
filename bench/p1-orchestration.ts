/**
 * P1 orchestration: N meetings through ensureMeetingHasContext, against a no-op workflow with the same number
 * of activity calls, on the same Temporal server, with the same worker settings (workers/scaling.ts, role
 * `main`), in the same run. Both are started the way Mycelium starts meetings (signal-with-start by business id);
 * each meeting's lead time has passed, so its run prepares and delivers the brief at once and ends.
 *
 * Ours is the app's real worker (createWorker) on a store holding the meetings, their attendees and the
 * messages a brief draws on; it does everything the product does, including the notify run each delivered
 * brief starts (counted, not waited for). The baseline's activities return at once.
 */
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Embedder } from '../activities/memory/ports';
import type { Item, Meeting, ParsedUnit, Person } from '../schemas/entities';
import { ensureMeetingHasContext, workflowResult } from '../clients/client/temporal';
import { meetingWorkflowId, notifyWorkflowId } from '../workflows/ids';
import { projectRoot } from '../infra/paths';
import { workerOptionsOf, workerTuning } from '../workers/scaling';
import { noopActivities } from './noop/activities';
import { noopSignal } from './noop/workflows';
import type { DbBackend } from './support/backends';
import { table, timed, say, type BenchOutcome } from './support/report';
import { contentHash, people as benchPeople, random, sentence } from './support/team';
import { openBenchStack, stopWorker, type BenchStack, type BenchTemporal } from './support/world';
import path from 'node:path';

export interface P1Options {
  meetings: number;
  /** starts in flight at once (a calendar reconcile starts many meetings together) */
  concurrency: number;
  backend: DbBackend;
  temporal: BenchTemporal;
  embedder: Embedder;
  log: Logger;
}

const SOURCE = 'bench-p1';
const CALENDAR = 'bench';
const MESSAGES = 2_000;

export async function runP1(o: P1Options): Promise<BenchOutcome> {
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const stack = await openBenchStack({ temporal: o.temporal, backend: o.backend, embedder: o.embedder, taskQueue: `bench-p1-ours-${suffix}`, worker: true, log: o.log });
  const noopQueue = `bench-p1-noop-${suffix}`;
  const tuning = workerTuning('main');
  const connection = await NativeConnection.connect({ address: o.temporal.address });
  const noopWorker = await Worker.create({
    connection,
    namespace: o.temporal.namespace,
    taskQueue: noopQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(projectRoot, 'bench', 'noop', 'workflows.ts'), logger: quiet }),
    activities: noopActivities,
    ...workerOptionsOf(tuning),
  });
  const noopRunning = noopWorker.run();
  try {
    say(`P1: seeding ${o.meetings} meetings and ${MESSAGES} messages into ${o.backend}`);
    const warmup = Math.min(50, Math.max(5, Math.round(o.meetings / 20)));
    const meetings = await seed(stack.store, o.meetings + warmup);
    const startsAt = new Date(Date.now() - 60_000).toISOString();

    const runOurs = (batch: Meeting[], tag: string) =>
      startAndAwait(batch, o.concurrency, async (m) => {
        const handle = await ensureMeetingHasContext(o.temporal.client, { meetingId: m.id, startsAt, attendeeIds: m.attendeeIds }, { taskQueue: stack.taskQueue });
        const result = (await workflowResult(o.temporal.client.workflow.getHandle(meetingWorkflowId(m.id), handle.signaledRunId))) as { outcome: string };
        if (result.outcome !== 'delivered') throw new Error(`${tag}: meeting ${m.id} ended ${result.outcome}`);
      });
    const runNoop = (batch: Meeting[], tag: string) =>
      startAndAwait(batch, o.concurrency, async (m) => {
        const handle = await o.temporal.client.workflow.signalWithStart('noopMeeting', {
          workflowId: `noop:${tag}:${m.id}`,
          taskQueue: noopQueue,
          args: [{ meetingId: m.id }],
          signal: noopSignal,
          signalArgs: [{ startsAt }],
        });
        await workflowResult(o.temporal.client.workflow.getHandle(handle.workflowId, handle.signaledRunId));
      });

    // warm both workers (bundles loaded, caches and connections up) on meetings not measured
    say(`P1: warm-up (${warmup} each)`);
    await runNoop(meetings.slice(o.meetings), 'warm');
    await runOurs(meetings.slice(o.meetings), 'warm');
    // each warm-up brief started a notify run (planned per attendee, told to their agents): let those end first, or
    // the baseline below is measured beside ours' leftover work
    await settleNotifyRuns(stack.db, o.temporal.client);

    const measured = meetings.slice(0, o.meetings);
    say(`P1: no-op workflow × ${o.meetings}`);
    const noop = await timed(() => runNoop(measured, 'run'));
    say(`P1: ensureMeetingHasContext × ${o.meetings}`);
    const ours = await timed(() => runOurs(measured, 'run'));
    const { rows } = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM briefs');
    const briefs = Number(rows[0]?.n ?? 0);

    const noopRate = o.meetings / (noop.ms / 1000);
    const oursRate = o.meetings / (ours.ms / 1000);
    const ratio = oursRate / noopRate;
    const text = table(
      ['workflow', 'runs', 'activity calls', 'wall s', 'workflows/s'],
      [
        ['ensureMeetingHasContext (ours)', o.meetings, o.meetings * 2, ours.ms / 1000, oursRate],
        ['no-op, same shape (baseline)', o.meetings, o.meetings * 2, noop.ms / 1000, noopRate],
      ],
    );
    const verdict = `P1 ${ratio >= 0.6 ? 'MET' : 'MISSED'}: ours runs at ${ratio.toFixed(2)}× the no-op workflow's rate (goal ≥ 0.6) — ${oursRate.toFixed(1)} vs ${noopRate.toFixed(1)} workflows/s, ${briefs} briefs stored`;
    return {
      key: 'p1',
      title: 'P1 orchestration',
      command: '',
      text: `${text}\n(${o.backend}, embedder ${o.embedder.model}, ${o.concurrency} starts in flight, worker: ${JSON.stringify(tuning)})`,
      verdict,
      figures: {
        meetings: o.meetings,
        backend: o.backend,
        embedder: o.embedder.model,
        concurrency: o.concurrency,
        worker: tuning,
        ours: { wall_s: ours.ms / 1000, workflows_per_s: oursRate },
        noop: { wall_s: noop.ms / 1000, workflows_per_s: noopRate },
        briefs_stored: briefs,
        ratio,
        goal: 0.6,
      },
    };
  } finally {
    await stopWorker(noopWorker, noopRunning).catch(() => undefined);
    await connection.close().catch(() => undefined);
    await stack.close();
  }
}

/** Waits for the notify run of every brief stored so far (however it ended). */
async function settleNotifyRuns(db: BenchStack['db'], client: BenchTemporal['client']): Promise<void> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM briefs');
  await Promise.all(rows.map((r) => workflowResult(client.workflow.getHandle(notifyWorkflowId(`brief:${r.id}`))).catch(() => undefined)));
}

/** Starts every item (at most `concurrency` starts at once) and resolves when every run has finished. */
async function startAndAwait<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      await run(item).catch((error: unknown) => void (failed ??= error));
    }
  });
  await Promise.all(lanes);
  if (failed !== undefined) throw failed;
}

/** People, messages among them and meetings of 3–6 attendees, through the store's own write path. */
async function seed(store: import('../activities/memory/store').MemoryStore, count: number): Promise<Meeting[]> {
  const rand = random(7);
  const team = benchPeople(40);
  const persons: Person[] = team.map((p) => ({ id: p.email, name: p.name, optedIn: true, timezone: 'UTC', workingHours: { start: '00:00', end: '23:59' }, identities: [] }));
  await store.upsertPeople(persons);
  await store.upsertSource({ id: SOURCE, kind: 'bench', config: {} });
  const now = Date.now();
  const items: Item[] = Array.from({ length: MESSAGES }, (_, i) => {
    const author = team[Math.floor(rand() * team.length)]!.email;
    const access = team.filter(() => rand() < 0.5).map((p) => p.email).concat(author);
    const body = sentence(rand);
    return {
      id: `${SOURCE}:msg-${i}`,
      sourceId: SOURCE,
      externalId: `msg-${i}`,
      kind: 'message',
      body,
      authorId: author,
      occurredAt: new Date(now - (i + 1) * 3_600_000),
      threadId: `thread-${i % 200}`,
      locator: `bench://msg/${i}`,
      access: [...new Set(access)],
      recipients: [],
      meta: {},
      segments: [],
      contentHash: contentHash(body),
    };
  });
  const meetings: Meeting[] = Array.from({ length: count }, (_, i) => {
    const size = 3 + Math.floor(rand() * 4);
    const attendees = [...new Set(Array.from({ length: size }, () => team[Math.floor(rand() * team.length)]!.email))];
    const eventId = `m${String(i).padStart(6, '0')}`;
    return {
      id: `${CALENDAR}:${eventId}`,
      calendarId: CALENDAR,
      eventId,
      title: `Sync ${i}: ${sentence(rand).slice(0, 40)}`,
      description: sentence(rand),
      startsAt: new Date(now - 60_000),
      endsAt: new Date(now + 30 * 60_000),
      organizerId: attendees[0]!,
      attendeeIds: attendees,
      outsideOptInCount: 0,
      status: 'confirmed',
      sourceId: SOURCE,
    };
  });
  for (let i = 0; i < items.length; i += 500) {
    const unit: ParsedUnit = { path: `messages-${i}.json`, fileHash: `h${i}`, people: [], items: items.slice(i, i + 500), meetings: [] };
    await store.storeUnit(SOURCE, unit);
  }
  for (let i = 0; i < meetings.length; i += 500) {
    const unit: ParsedUnit = { path: `calendar-${i}.ics`, fileHash: `c${i}`, people: [], items: [], meetings: meetings.slice(i, i + 500) };
    await store.storeUnit(SOURCE, unit);
  }
  return meetings;
}

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
