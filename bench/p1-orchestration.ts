/**
 * P1 orchestration: N meetings through ensureMeetingHasContext, against no-op workflows of the same shape with the
 * same number of activity calls, on the same Temporal server, with the same worker settings (workers/scaling.ts:
 * the main role, and the delivery role's queue where the sends go), in the same run. Both are started the way
 * Mycelium starts meetings (signal-with-start by business id); each meeting's lead time has passed, so its run
 * prepares and delivers the brief at once and ends.
 *
 * What one meeting sets going is measured whole, on both sides: the meeting run (prepare, deliver), the telling it
 * starts (plan, dispatch), and each attendee's agent placing their notice (a send while the day's budget lasts).
 * A side is done when every meeting run has ended, every telling has ended and every agent has placed every notice.
 *
 * Ours is the app's real worker (createWorker) on a store holding the meetings, their attendees and the messages a
 * brief draws on. The baseline's activities return at once, except that the two which hand work on start and
 * signal the next workflows, as ours do (bench/noop).
 */
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Embedder } from '../activities/memory/ports';
import type { Item, Meeting, ParsedUnit, Person } from '../schemas/entities';
import { ensureMeetingHasContext, workflowResult } from '../clients/client/temporal';
import { meetingWorkflowId, notifyWorkflowId, personWorkflowId } from '../workflows/ids';
import { stateQuery } from '../workflows/person-defs';
import { projectRoot } from '../infra/paths';
import { activityTaskQueue } from '../temporal.config';
import { workerOptionsOf, workerSettingEnvName, workerTuning } from '../workers/scaling';
import { createNoopActivities } from './noop/activities';
import { noopNotifyWorkflowId, noopPersonWorkflowId, noopPlacedQuery, noopSignal } from './noop/defs';
import type { DbBackend } from './support/backends';
import { table, timed, say, type BenchOutcome } from './support/report';
import { contentHash, people as benchPeople, random, sentence } from './support/team';
import { openBenchStack, stopWorker, type BenchStack, type BenchTemporal } from './support/world';
import path from 'node:path';

export interface P1Options {
  meetings: number;
  /** starts in flight at once (a calendar reconcile starts many meetings together) */
  concurrency: number;
  /** the measured meetings are run in this many rounds, the sides taking turns */
  rounds: number;
  backend: DbBackend;
  temporal: BenchTemporal;
  embedder: Embedder;
  log: Logger;
}

const SOURCE = 'bench-p1';
const CALENDAR = 'bench';
const MESSAGES = 2_000;
/** the bench's people allow the most interruptions a day a person may set, so most briefs are sent, not digested */
const BUDGET_PER_DAY = 100;
/** how often a side's fan-out is looked at while it settles */
const SETTLE_POLL_MS = 100;

export async function runP1(o: P1Options): Promise<BenchOutcome> {
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const workerEnv = unthrottledDelivery(process.env);
  const stack = await openBenchStack({ temporal: o.temporal, backend: o.backend, embedder: o.embedder, taskQueue: `bench-p1-ours-${suffix}`, worker: true, log: o.log, workerEnv });
  const noopQueue = `bench-p1-noop-${suffix}`;
  const connection = await NativeConnection.connect({ address: o.temporal.address });
  const noopSent = { count: 0 };
  const noopActivities = createNoopActivities({ client: o.temporal.client, taskQueue: noopQueue, budgetPerDay: BUDGET_PER_DAY, runTag: suffix, sent: noopSent });
  const noopWorkers = [
    await Worker.create({
      connection,
      namespace: o.temporal.namespace,
      taskQueue: noopQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: path.join(projectRoot, 'bench', 'noop', 'workflows.ts'), logger: quiet }),
      activities: noopActivities,
      ...workerOptionsOf(workerTuning('main', workerEnv)),
    }),
    await Worker.create({
      connection,
      namespace: o.temporal.namespace,
      taskQueue: activityTaskQueue(noopQueue, 'delivery'),
      activities: noopActivities,
      ...workerOptionsOf(workerTuning('delivery', workerEnv)),
    }),
  ];
  const noopRunning = noopWorkers.map((w) => w.run());
  const tuning = { main: workerTuning('main', workerEnv), delivery: workerTuning('delivery', workerEnv) };
  try {
    say(`P1: seeding ${o.meetings} meetings and ${MESSAGES} messages into ${o.backend}`);
    const warmup = Math.min(50, Math.max(5, Math.round(o.meetings / 20)));
    const meetings = await seed(stack, o.meetings + warmup, suffix);
    const startsAt = new Date(Date.now() - 60_000).toISOString();

    const runOurs = async (batch: Meeting[], tag: string) => {
      await startAndAwait(batch, o.concurrency, async (m) => {
        const handle = await ensureMeetingHasContext(o.temporal.client, { meetingId: m.id, startsAt, attendeeIds: m.attendeeIds }, { taskQueue: stack.taskQueue });
        const result = (await workflowResult(o.temporal.client.workflow.getHandle(meetingWorkflowId(m.id), handle.signaledRunId))) as { outcome: string };
        if (result.outcome !== 'delivered') throw new Error(`${tag}: meeting ${m.id} ended ${result.outcome}`);
      });
      await settleOurs(stack.db, o.temporal.client, batch);
    };
    let noopPlaced = 0;
    const runNoop = async (batch: Meeting[], tag: string) => {
      await startAndAwait(batch, o.concurrency, async (m) => {
        const handle = await o.temporal.client.workflow.signalWithStart('noopMeeting', {
          workflowId: `noop:${suffix}:${tag}:${m.id}`,
          taskQueue: noopQueue,
          args: [{ meetingId: m.id, attendeeIds: m.attendeeIds }],
          signal: noopSignal,
          signalArgs: [{ startsAt }],
        });
        const { briefId } = (await workflowResult(o.temporal.client.workflow.getHandle(handle.workflowId, handle.signaledRunId))) as { briefId: string };
        await workflowResult(o.temporal.client.workflow.getHandle(noopNotifyWorkflowId(suffix, briefId)));
      });
      noopPlaced += batch.reduce((n, m) => n + m.attendeeIds.length, 0);
      await settleNoop(o.temporal.client, suffix, meetings, noopPlaced);
    };

    // warm both sides (bundles loaded, caches and connections up, every person's agent started) on meetings not
    // measured; each side has settled before the next begins, so neither is measured beside the other's work
    say(`P1: warm-up (${warmup} each)`);
    await runNoop(meetings.slice(o.meetings), 'warm');
    await runOurs(meetings.slice(o.meetings), 'warm');

    const measured = meetings.slice(0, o.meetings);
    const notices = measured.reduce((n, m) => n + m.attendeeIds.length, 0);
    // the sides take turns, a round at a time (and which goes first alternates), so a machine that gets busier or
    // quieter during the run weighs on both alike
    const rounds = Math.max(1, Math.min(o.rounds, o.meetings));
    const noop = { ms: 0 };
    const ours = { ms: 0 };
    const noopSentBefore = noopSent.count;
    const oursSentBefore = await sentCount(stack.db);
    for (let r = 0; r < rounds; r++) {
      const batch = measured.slice(Math.floor((r * measured.length) / rounds), Math.floor(((r + 1) * measured.length) / rounds));
      const sides = [
        async () => void (noop.ms += (await timed(() => runNoop(batch, `run${r}`))).ms),
        async () => void (ours.ms += (await timed(() => runOurs(batch, `run${r}`))).ms),
      ];
      say(`P1: round ${r + 1} of ${rounds}: ${batch.length} meetings each, ${r % 2 === 0 ? 'no-op first' : 'ours first'} (${notices} notices in all)`);
      for (const side of r % 2 === 0 ? sides : sides.reverse()) await side();
    }
    const noopSends = noopSent.count - noopSentBefore;
    const oursSends = (await sentCount(stack.db)) - oursSentBefore;
    const { rows } = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM briefs');
    const briefs = Number(rows[0]?.n ?? 0);

    const noopRate = o.meetings / (noop.ms / 1000);
    const oursRate = o.meetings / (ours.ms / 1000);
    const ratio = oursRate / noopRate;
    // per meeting: prepare and deliver, plan and dispatch; then one send per notice its agent sent at once
    const oursCalls = o.meetings * 4 + oursSends;
    const noopCalls = o.meetings * 4 + noopSends;
    const text = table(
      ['side', 'meetings', 'workflow runs', 'notices', 'activity calls', 'wall s', 'meetings/s'],
      [
        ['ensureMeetingHasContext (ours)', o.meetings, o.meetings * 2, notices, oursCalls, ours.ms / 1000, oursRate],
        ['no-op, same shape (baseline)', o.meetings, o.meetings * 2, notices, noopCalls, noop.ms / 1000, noopRate],
      ],
    );
    const verdict = `P1 ${ratio >= 0.6 ? 'MET' : 'MISSED'}: ours runs at ${ratio.toFixed(2)}× the no-op workflows' rate (goal ≥ 0.6) — ${oursRate.toFixed(1)} vs ${noopRate.toFixed(1)} meetings/s, each with its telling and its attendees' notices; ${briefs} briefs stored`;
    if (oursCalls !== noopCalls) say(`P1: the sides made ${oursCalls} and ${noopCalls} activity calls: the agents placed notices differently`);
    return {
      key: 'p1',
      title: 'P1 orchestration',
      command: '',
      text: `${text}\n(${o.backend}, embedder ${o.embedder.model}, ${o.concurrency} starts in flight, ${rounds} rounds taking turns, worker: ${JSON.stringify(tuning)})`,
      verdict,
      figures: {
        meetings: o.meetings,
        backend: o.backend,
        embedder: o.embedder.model,
        concurrency: o.concurrency,
        rounds,
        worker: tuning,
        notices,
        ours: { wall_s: ours.ms / 1000, meetings_per_s: oursRate, activity_calls: oursCalls },
        noop: { wall_s: noop.ms / 1000, meetings_per_s: noopRate, activity_calls: noopCalls },
        briefs_stored: briefs,
        ratio,
        goal: 0.6,
      },
    };
  } finally {
    await Promise.all(noopWorkers.map((w, i) => stopWorker(w, noopRunning[i]!).catch(() => undefined)));
    await connection.close().catch(() => undefined);
    await stack.close();
  }
}

/**
 * Ours' fan-out of these meetings has settled: every brief's telling has ended, and every notice it handed an agent
 * was either sent or is queued in the agent (for the digest) — none is still arriving or being sent.
 */
async function settleOurs(db: BenchStack['db'], client: BenchTemporal['client'], batch: Meeting[]): Promise<void> {
  const { rows: briefs } = await db.query<{ id: string }>('SELECT id FROM briefs WHERE meeting_id = ANY($1::text[])', [batch.map((m) => m.id)]);
  await Promise.all(briefs.map((b) => workflowResult(client.workflow.getHandle(notifyWorkflowId(`brief:${b.id}`)))));
  const topics = briefs.map((b) => `brief:${b.id}`);
  for (;;) {
    const { rows: unsent } = await db.query<{ id: string; recipient_id: string }>(
      `SELECT id, recipient_id FROM notifications WHERE topic_key = ANY($1::text[]) AND status <> 'sent'`,
      [topics],
    );
    const byPerson = new Map<string, string[]>();
    for (const n of unsent) byPerson.set(n.recipient_id, [...(byPerson.get(n.recipient_id) ?? []), n.id]);
    const queued = await Promise.all(
      [...byPerson.keys()].map(async (personId) => new Set((await client.workflow.getHandle(personWorkflowId(personId)).query(stateQuery)).queue.map((q) => q.notificationId))),
    );
    if ([...byPerson.values()].every((ids, i) => ids.every((id) => queued[i]!.has(id)))) return;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

/** The baseline's agents have placed `expected` notices in all (every notice dispatched so far). */
async function settleNoop(client: BenchTemporal['client'], runTag: string, meetings: Meeting[], expected: number): Promise<void> {
  const persons = [...new Set(meetings.flatMap((m) => m.attendeeIds))];
  for (;;) {
    const placed = await Promise.all(
      persons.map((p) =>
        client.workflow
          .getHandle(noopPersonWorkflowId(runTag, p))
          .query(noopPlacedQuery)
          .catch(() => 0), // an agent no meeting so far has reached is not running yet
      ),
    );
    if (placed.reduce((a, b) => a + b, 0) >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

async function sentCount(db: BenchStack['db']): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE status = 'sent'`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The workers' settings for both sides, with the delivery queue's provider rate lifted unless the caller set one:
 * that limit (50 sends a second) guards the providers' quotas, and no provider is called here (the sends are files),
 * so with it both sides would measure the limit, not the orchestration.
 */
function unthrottledDelivery(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const name = workerSettingEnvName('delivery', 'maxTaskQueueActivitiesPerSecond');
  return env[name]?.trim() ? env : { ...env, [name]: '1000000' };
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
async function seed(stack: BenchStack, count: number, runTag: string): Promise<Meeting[]> {
  const { store } = stack;
  const rand = random(7);
  // this run's people: a person agent outlives its run (on a TEMPORAL_ADDRESS server), and an earlier run's agent
  // polls a queue nobody serves any more
  const team = benchPeople(40).map((p) => ({ ...p, email: p.email.replace('@', `+${runTag}@`) }));
  const persons: Person[] = team.map((p) => ({ id: p.email, name: p.name, optedIn: true, timezone: 'UTC', workingHours: { start: '00:00', end: '23:59' }, identities: [] }));
  await store.upsertPeople(persons);
  for (const p of persons) await stack.deps.personSettings.set(p.id, { attentionBudget: BUDGET_PER_DAY });
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
