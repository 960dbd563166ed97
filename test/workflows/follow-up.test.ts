/**
 * followUpUnresolvedDecision on the time-skipping test server (days pass in seconds), with the real activities, a
 * real store (PGlite) and the real file outbox. The outbox is observed (and, for one test, made to fail once after
 * writing) by a thin wrapper; nothing of ours or of Temporal is mocked.
 *
 * People: Ana owns the decisions (Asia/Kolkata, UTC+5:30, 09:30–18:00); Dev decides them (Asia/Tokyo, UTC+9,
 * 10:00–18:00); Carol (America/Sao_Paulo, UTC-3, 08:00–17:00) takes one over; Oscar is outside the opt-in. None of
 * these zones has DST, so every expected instant below is plain arithmetic from the Monday the test starts on.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFollowUpActivities, ensureFollowUp } from '../../activities/follow-up';
import { FileOutbox, type Outbox, type OutboxMessage } from '../../activities/delivery/outbox';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { DecisionStore } from '../../activities/memory/decisions';
import { DecisionSubjects, FollowUpStore } from '../../activities/memory/follow-ups';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import type { Person } from '../../schemas/entities';
import type { ActionItem, Decision } from '../../schemas/memory';
import { workflowBundle } from '../../workers/worker';
import { QueueWorkers } from '../support/queue-workers';
import {
  addEvidenceSignal,
  followUpArtifactId,
  followUpUnresolvedDecision,
  reassignSignal,
  resolveUpdate,
  snoozeSignal,
  statusQuery,
  type FollowUpState,
} from '../../workflows/follow-up';
import { followUpWorkflowId } from '../../workflows/ids';
import { useTestDatabase } from '../support/db';
import { testWorkflowEnv } from '../support/temporal';
import { timeSkippingEnv, type TimeSkippingEnvironment } from '../support/time-skipping';
import { decisionJudge } from '../../activities/intelligence/decision-match';

/** the time-skipping test server cannot register search attributes (it has no operator service) */
const UNTAGGED = { searchAttributes: false } as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ANA = 'ana@fu.test';
const DEV = 'dev@fu.test';
const CAROL = 'carol@fu.test';
const OSCAR = 'oscar@fu.test';
const people: Person[] = [
  { id: ANA, name: 'Ana Rao', timezone: 'Asia/Kolkata', workingHours: { start: '09:30', end: '18:00' }, optedIn: true, identities: [] },
  { id: DEV, name: 'Dev Sato', timezone: 'Asia/Tokyo', workingHours: { start: '10:00', end: '18:00' }, optedIn: true, identities: [] },
  { id: CAROL, name: 'Carol Lima', timezone: 'America/Sao_Paulo', workingHours: { start: '08:00', end: '17:00' }, optedIn: true, identities: [] },
  { id: OSCAR, name: 'Oscar Outside', timezone: 'Europe/Berlin', workingHours: { start: '09:00', end: '17:00' }, optedIn: false, identities: [] },
];

/** The real file outbox, watched: deliver() calls and files created per artifact; can fail once after writing. */
class WatchedOutbox implements Outbox {
  readonly calls = new Map<string, number>();
  readonly created = new Map<string, number>();
  readonly failOnceAfterWriting = new Set<string>();
  readonly #inner: FileOutbox;

  constructor(readonly dir: string) {
    this.#inner = new FileOutbox(dir);
  }

  async deliver(message: OutboxMessage): Promise<string[]> {
    const { artifactId } = message;
    this.calls.set(artifactId, (this.calls.get(artifactId) ?? 0) + 1);
    const existed = existsSync(join(this.dir, `${artifactId}.md`));
    const result = await this.#inner.deliver(message);
    if (!existed) this.created.set(artifactId, (this.created.get(artifactId) ?? 0) + 1);
    if (this.failOnceAfterWriting.delete(artifactId)) throw new Error(`the outbox lost the acknowledgement of ${artifactId}`);
    return result;
  }
}

const database = useTestDatabase('pglite');
let ts: TimeSkippingEnvironment;
let worker: QueueWorkers;
let running: Promise<void>;
let outbox: WatchedOutbox;
let records: DecisionStore;
let followUps: FollowUpStore;
const taskQueue = 'follow-up-test';
const handles: WorkflowHandle[] = [];

beforeAll(async () => {
  ts = await timeSkippingEnv();
  const db = database.db;
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  const embedder = new LocalHashingEmbedder();
  const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions), embedder });
  await store.upsertPeople(people);
  records = new DecisionStore({ db, judge: decisionJudge });
  followUps = new FollowUpStore({ db });
  outbox = new WatchedOutbox(await mkdtemp(join(tmpdir(), 'mycelium-follow-up-')));
  // the nudges run on the delivery queue beside the test's (workflows/activity-queues.ts)
  worker = await QueueWorkers.create({
    connection: ts.env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createFollowUpActivities({ subjects: new DecisionSubjects(records), followUps, people: store, outbox, log }),
  });
  running = worker.run();
}, 120_000);

afterEach(async () => {
  // A failed test must not leave a run firing timers into the next one. Runs are closed through their own evidence
  // path, not terminated: the Java test server can lose a time-skipping lock when a run is terminated with a task in
  // flight, and then stops skipping time for every later test.
  for (const handle of handles.splice(0)) {
    const closed = await handle
      .signal(addEvidenceSignal, { itemId: 'test-cleanup', position: 0 })
      .then(() => Promise.race([handle.result(), new Promise((r) => setTimeout(r, 15_000))]))
      .then(
        () => true,
        () => false,
      );
    if (!closed) await handle.terminate('test over').catch(() => undefined);
  }
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await ts?.teardown();
  if (outbox) await rm(outbox.dir, { recursive: true, force: true });
});

// ---- helpers

/** Skips server time to the next Monday 06:00 UTC (Ana: Monday 11:30, Dev: Monday 15:00); returns that Monday 00:00 UTC. */
async function startOfAWeek(): Promise<number> {
  const now = await ts.env.currentTimeMs();
  const d = new Date(now + DAY);
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + ((1 - d.getUTCDay() + 7) % 7 || 7));
  await ts.env.sleep(monday + 6 * HOUR - now);
  return monday;
}

/** Skips server time to `at` (epoch ms). */
async function skipTo(at: number): Promise<void> {
  const now = await ts.env.currentTimeMs();
  if (at > now) await ts.env.sleep(at - now);
}

let seq = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++seq}`;
// one topic per decision, no word shared, so the decision store never merges two tests' decisions
const TOPICS = ['billing export', 'audit checklist', 'vendor contract', 'hiring plan', 'pricing page', 'office lease', 'security review',
  'data retention', 'launch memo', 'oncall rotation', 'design tokens', 'budget freeze', 'travel policy', 'backup drills', 'release train',
  'partner portal', 'mobile beta', 'support macros', 'brand refresh', 'payroll vendor', 'sales deck', 'press kit', 'intern program'];

/** Stores a decision the way ingestion does: one extraction of one (made-up) item. */
async function newDecision(monday: number, over: Partial<Decision> = {}): Promise<Decision> {
  const id = uniqueId('dec');
  const topic = TOPICS[seq % TOPICS.length] as string;
  const d: Decision = {
    id,
    statement: `We ship the ${topic} before the quarter closes`,
    deciderId: DEV,
    ownerId: ANA,
    status: 'agreed',
    topic,
    confidence: 0.9,
    decidedAt: new Date(monday + 6 * HOUR),
    sources: [{ itemId: `item-${id}`, position: 4, quote: `Ana ships the ${topic}` }],
    access: [ANA, DEV, CAROL, OSCAR],
    ...over,
  };
  const saved = await records.saveExtraction({ itemId: `item-${id}`, extractor: 'test', decisions: [d], actions: [], questions: [] });
  expect(saved.decisionIds).toEqual([id]);
  return d;
}

async function newAction(a: ActionItem): Promise<ActionItem> {
  const saved = await records.saveExtraction({ itemId: a.sources[0]?.itemId as string, extractor: 'test', decisions: [], actions: [a], questions: [] });
  expect(saved.actionIds).toEqual([a.id]);
  return a;
}

async function track<T extends WorkflowHandle>(handle: Promise<T>): Promise<T> {
  const h = await handle;
  handles.push(h);
  return h;
}

function startFollowUp(kind: 'decision' | 'action', id: string, maxHistoryEvents?: number) {
  return track(
    ts.env.client.workflow.start(followUpUnresolvedDecision, {
      workflowId: followUpWorkflowId(kind, id),
      taskQueue,
      args: [{ kind, id, ...UNTAGGED, ...(maxHistoryEvents ? { maxHistoryEvents } : {}) }],
    }),
  );
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

const status = (h: WorkflowHandle) => h.query(statusQuery);
const untilStatus = (h: WorkflowHandle, ok: (s: FollowUpState) => boolean, what: string) => eventually(() => status(h), ok, what);

async function artifactsOf(id: string): Promise<string[]> {
  return (await readdir(outbox.dir)).filter((f) => f.includes(`_${id}_`) && f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
}

async function readArtifact(artifactId: string): Promise<{ to: string[]; markdown: string }> {
  const text = await readFile(join(outbox.dir, `${artifactId}.md`), 'utf8');
  const to = JSON.parse(/^to: (.*)$/m.exec(text)?.[1] ?? '[]') as string[];
  return { to, markdown: text };
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
const updateEvents = (events: HistoryEvent[]) =>
  events.filter(
    (e) =>
      e.workflowExecutionUpdateAdmittedEventAttributes ||
      e.workflowExecutionUpdateAcceptedEventAttributes ||
      e.workflowExecutionUpdateCompletedEventAttributes,
  );
const isWorkflowTaskEvent = (e: HistoryEvent) =>
  !!(e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes);

/** The message a refused `resolve` comes back with. */
async function refusal(h: WorkflowHandle, request: { id: string; status: string }): Promise<string | undefined> {
  const error = await h.executeUpdate(resolveUpdate, { args: [request] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause?.message;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** "Wed 2024-06-05" of a UTC instant (the local date is the same in every zone used for these checks) */
const dayOf = (ms: number) => `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(ms).getUTCDay()]} ${iso(ms).slice(0, 10)}`;

// ---- tests

describe('followUpUnresolvedDecision', () => {
  it('reports its state through the status query from the start', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    expect(h.workflowId).toBe(`decision:${d.id}`);
    const s = await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    expect(s).toMatchObject({
      kind: 'decision',
      id: d.id,
      phase: 'waiting',
      ownerId: ANA,
      deciderId: DEV,
      ownerReachable: true,
      deciderReachable: true,
      timezone: 'Asia/Kolkata',
      cycle: 1,
      done: [],
      runs: 1,
      totals: { nudges: 0, escalations: 0, summaries: 0 },
      // Monday 11:30 IST + 2 working days → Wednesday 09:30 IST = 04:00 UTC
      next: { step: 'nudge', dueAt: iso(monday + 2 * DAY + 4 * HOUR) },
    });
    const row = await followUps.get('decision', d.id);
    expect(row).toMatchObject({ status: 'open', nextStep: 'nudge', cycle: 1, workflowId: h.workflowId });
    expect(row?.nextDueAt?.toISOString()).toBe(iso(monday + 2 * DAY + 4 * HOUR));
  });

  it('counts an action item from its due date, under decision:action:<id>', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const action: ActionItem = {
      id: uniqueId('act'),
      what: 'Send the audit checklist to finance',
      ownerId: ANA,
      // due Thursday 18:00 IST (12:30 UTC): + 2 working days → Monday 09:30 IST (04:00 UTC)
      dueAt: new Date(monday + 3 * DAY + 12 * HOUR + 30 * 60_000),
      status: 'open',
      decisionId: d.id,
      createdAt: new Date(monday + 6 * HOUR),
      sources: [{ itemId: `item-${uniqueId('act')}`, position: 5, quote: 'Ana sends the checklist' }],
      access: [ANA, DEV],
    };
    await newAction(action);
    const h = await startFollowUp('action', action.id);
    expect(h.workflowId).toBe(`decision:action:${action.id}`);
    const s = await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    // the decider of an action item is its decision's
    expect(s).toMatchObject({ kind: 'action', ownerId: ANA, deciderId: DEV, next: { step: 'nudge', dueAt: iso(monday + 7 * DAY + 4 * HOUR) } });
  });

  it('sends nothing and ends when the decision was closed elsewhere before the nudge', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    await records.updateDecision(d.id, { status: 'done' });
    const result = await h.result();
    expect(result).toMatchObject({ outcome: 'already-closed', totals: { nudges: 0, escalations: 0, summaries: 0 } });
    expect(await artifactsOf(d.id)).toEqual([]);
    expect(await followUps.get('decision', d.id)).toMatchObject({ status: 'already-closed', reason: expect.stringContaining('closed meanwhile (done)') });
  });

  it('nudges the owner after 2 working days, at the start of her working day in her timezone', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    const nudgeAt = monday + 2 * DAY + 4 * HOUR; // Wednesday 09:30 Asia/Kolkata

    await skipTo(nudgeAt - 60_000);
    expect((await status(h)).done).toEqual([]);
    expect(await artifactsOf(d.id)).toEqual([]);

    await skipTo(nudgeAt + 60_000);
    const s = await untilStatus(h, (x) => x.totals.nudges === 1, 'the nudge');
    const artifact = followUpArtifactId('decision', d.id, 'nudge', 1);
    expect(artifact).toBe(`followup_dec_${d.id}_nudge_1`);
    expect(s.done).toEqual([expect.objectContaining({ step: 'nudge', artifactId: artifact, recipients: [ANA], dueAt: iso(nudgeAt) })]);
    expect(await artifactsOf(d.id)).toEqual([artifact]);
    const message = await readArtifact(artifact);
    expect(message.to).toEqual([ANA]);
    expect(message.markdown).toContain(`# Follow-up: We ship the ${d.topic} before the quarter closes`);
    expect(message.markdown).toContain('Hi Ana,');
    expect(message.markdown).toContain(`- Follow-up step due: ${dayOf(nudgeAt)} 09:30 (Asia/Kolkata)`);
    expect(message.markdown).toContain(`since ${dayOf(monday)} 11:30 (Asia/Kolkata)`);
    expect(message.markdown).toContain(`\`item-${d.id}\` #4: "Ana ships the ${d.topic}"`);
    const steps = await followUps.steps('decision', d.id);
    expect(steps).toEqual([expect.objectContaining({ artifactId: artifact, step: 'nudge', cycle: 1, recipients: [ANA] })]);
    expect(steps[0]?.dueAt.toISOString()).toBe(iso(nudgeAt));
    // and nothing else is due before the escalation (Monday 09:30 IST of the next week)
    expect(s.next).toEqual({ step: 'escalate', dueAt: iso(monday + 7 * DAY + 4 * HOUR) });
  });

  it('escalates to the decider after 5 working days', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    const escalateAt = monday + 7 * DAY + 4 * HOUR; // next Monday 09:30 Asia/Kolkata

    await skipTo(escalateAt - 60_000);
    const before = await untilStatus(h, (x) => x.totals.nudges === 1, 'the nudge');
    expect(before.totals.escalations).toBe(0);

    await skipTo(escalateAt + 60_000);
    const s = await untilStatus(h, (x) => x.totals.escalations === 1, 'the escalation');
    const artifact = followUpArtifactId('decision', d.id, 'escalate', 1);
    expect(s.done.map((x) => [x.step, x.artifactId, x.recipients, x.dueAt])).toEqual([
      ['nudge', followUpArtifactId('decision', d.id, 'nudge', 1), [ANA], iso(monday + 2 * DAY + 4 * HOUR)],
      ['escalate', artifact, [DEV], iso(escalateAt)],
    ]);
    const message = await readArtifact(artifact);
    expect(message.to).toEqual([DEV]);
    expect(message.markdown).toContain('# Follow-up needed:');
    expect(message.markdown).toContain('Hi Dev,');
    expect(message.markdown).toContain('Ana Rao was reminded');
    // the step's time, in the decider's zone: Monday 09:30 IST = 13:00 JST
    expect(message.markdown).toContain(`- Follow-up step due: ${dayOf(escalateAt)} 13:00 (Asia/Tokyo)`);
    expect(s.next).toEqual({ step: 'stale', dueAt: iso(monday + 18 * DAY + 4 * HOUR) });
  });

  it('closes as stale after 14 working days, with a summary to owner and decider', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    const result = await h.result(); // the time-skipping client skips to each timer
    expect(result.outcome).toBe('stale');
    expect(result.totals).toEqual({ nudges: 1, escalations: 1, summaries: 1 });
    const staleAt = monday + 18 * DAY + 4 * HOUR; // Friday of the third week, 09:30 IST
    const artifact = followUpArtifactId('decision', d.id, 'stale', 1);
    expect(result.done.map((x) => [x.step, x.dueAt])).toEqual([
      ['nudge', iso(monday + 2 * DAY + 4 * HOUR)],
      ['escalate', iso(monday + 7 * DAY + 4 * HOUR)],
      ['stale', iso(staleAt)],
    ]);
    expect(await artifactsOf(d.id)).toEqual(
      [followUpArtifactId('decision', d.id, 'escalate', 1), followUpArtifactId('decision', d.id, 'nudge', 1), artifact].sort(),
    );
    const summary = await readArtifact(artifact);
    expect(summary.to).toEqual([ANA, DEV]);
    expect(summary.markdown).toContain(`# Closed as stale: We ship the ${d.topic}`);
    expect(summary.markdown).toContain('no follow-up for 14 working days');
    expect(summary.markdown).toContain('## What happened');
    expect(summary.markdown).toContain(`- ${dayOf(monday + 2 * DAY)} 09:30 (Asia/Kolkata): reminded Ana Rao`);
    expect(summary.markdown).toContain(`- ${dayOf(monday + 7 * DAY)} 09:30 (Asia/Kolkata): escalated to Dev Sato`);
    const row = await followUps.get('decision', d.id);
    expect(row).toMatchObject({ status: 'stale', nextStep: null });
    // closed right after the summary went out
    expect(row?.closedAt?.getTime()).toBeGreaterThanOrEqual(staleAt);
    expect(row?.closedAt?.getTime()).toBeLessThan(staleAt + 60_000);
    // stale is about the follow-up, not a verdict on the decision
    expect((await records.getDecision(d.id))?.status).toBe('agreed');
    // ensuring it again without news does not restart the cadence
    const again = await ensureFollowUp(ts.env.client, { kind: 'decision', id: d.id, taskQueue, ...UNTAGGED });
    expect(again.outcome).toBe('exists');
  });

  it('snooze postpones the pending step to the end of the snooze; later steps keep their spacing', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    // until Thursday 00:00 UTC = Thursday 05:30 IST → the nudge moves to Thursday 09:30 IST (04:00 UTC)
    await h.signal(snoozeSignal, iso(monday + 3 * DAY));
    const snoozed = await untilStatus(h, (x) => x.snoozedUntil !== undefined, 'the snooze');
    expect(snoozed.next).toEqual({ step: 'nudge', dueAt: iso(monday + 3 * DAY + 4 * HOUR) });
    const row = await eventually(() => followUps.get('decision', d.id), (r) => r?.snoozedUntil != null, 'the snooze in follow_ups');
    expect(row?.snoozedUntil?.toISOString()).toBe(iso(monday + 3 * DAY));
    expect(row?.nextDueAt?.toISOString()).toBe(iso(monday + 3 * DAY + 4 * HOUR));

    await skipTo(monday + 2 * DAY + 4 * HOUR + 60_000); // when the nudge would have gone
    await new Promise((r) => setTimeout(r, 500));
    expect((await status(h)).totals.nudges).toBe(0);
    expect(await artifactsOf(d.id)).toEqual([]);

    await skipTo(monday + 3 * DAY + 4 * HOUR + 60_000);
    const s = await untilStatus(h, (x) => x.totals.nudges === 1, 'the postponed nudge');
    expect(s.done[0]?.dueAt).toBe(iso(monday + 3 * DAY + 4 * HOUR));
    // escalation 3 working days after the nudge (5 - 2): Tuesday of the next week
    expect(s.next).toEqual({ step: 'escalate', dueAt: iso(monday + 8 * DAY + 4 * HOUR) });
  });

  it('reassign: the new owner is nudged, in her timezone, counted from the reassignment; the old owner is not', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    // Monday 06:00 UTC is Monday 03:00 in São Paulo: + 2 working days → Wednesday 08:00 BRT = 11:00 UTC
    await h.signal(reassignSignal, '  Carol@FU.test ');
    const s = await untilStatus(h, (x) => x.ownerId === CAROL, 'the reassignment');
    expect(s).toMatchObject({ cycle: 2, timezone: 'America/Sao_Paulo', next: { step: 'nudge', dueAt: iso(monday + 2 * DAY + 11 * HOUR) } });
    expect((await records.getDecision(d.id))?.ownerId).toBe(CAROL);

    await skipTo(monday + 2 * DAY + 11 * HOUR + 60_000);
    const after = await untilStatus(h, (x) => x.totals.nudges === 1, 'the nudge to Carol');
    const artifact = followUpArtifactId('decision', d.id, 'nudge', 2);
    expect(after.done).toEqual([expect.objectContaining({ step: 'nudge', artifactId: artifact, recipients: [CAROL] })]);
    expect(await artifactsOf(d.id)).toEqual([artifact]);
    const message = await readArtifact(artifact);
    expect(message.to).toEqual([CAROL]);
    expect(message.markdown).toContain(`- Follow-up step due: ${dayOf(monday + 2 * DAY)} 08:00 (America/Sao_Paulo)`);
  });

  it('resolve: an Update that returns the new state; the validator refuses a wrong id or status before it reaches history', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const h = await startFollowUp('decision', d.id);
    await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');

    const before = (await h.fetchHistory()).events ?? [];
    expect(await refusal(h, { id: 'dec-nobody-knows', status: 'done' })).toMatch(/unknown decision "dec-nobody-knows"/);
    expect(await refusal(h, { id: d.id, status: 'finished' })).toMatch(/resolved as done, rejected, superseded/);
    const after = (await h.fetchHistory()).events ?? [];
    // Nothing of the refused updates is recorded. (The time-skipping server, unlike a real one — see the dev-server
    // test below — writes the workflow tasks that ran the validator; those are all it may add.)
    expect(updateEvents(after)).toEqual([]);
    expect(after.slice(before.length).filter((e) => !isWorkflowTaskEvent(e))).toEqual([]);
    expect((await status(h)).phase).toBe('waiting');

    const state = await h.executeUpdate(resolveUpdate, { args: [{ id: d.id, status: 'superseded', reason: 'replaced by the March plan' }] });
    expect(state).toMatchObject({ phase: 'closed', outcome: 'resolved', resolution: { status: 'superseded', reason: 'replaced by the March plan' } });
    expect((await h.result()).outcome).toBe('resolved');
    expect((await records.getDecision(d.id))?.status).toBe('superseded');
    expect(await followUps.get('decision', d.id)).toMatchObject({ status: 'resolved', reason: 'replaced by the March plan' });
    expect(updateEvents((await h.fetchHistory()).events ?? []).length).toBeGreaterThan(0);
    expect(await artifactsOf(d.id)).toEqual([]);
  });

  it('closes as done on evidence through signal-with-start, running or not yet running', async () => {
    const monday = await startOfAWeek();
    // running: started by an earlier ensure, then evidence arrives after the nudge
    const d = await newDecision(monday);
    expect((await ensureFollowUp(ts.env.client, { kind: 'decision', id: d.id, taskQueue, ...UNTAGGED })).outcome).toBe('started');
    expect((await ensureFollowUp(ts.env.client, { kind: 'decision', id: d.id, taskQueue, ...UNTAGGED })).outcome).toBe('exists');
    const h = await track(Promise.resolve(ts.env.client.workflow.getHandle(followUpWorkflowId('decision', d.id))));
    await skipTo(monday + 2 * DAY + 4 * HOUR + 60_000);
    await untilStatus(h, (x) => x.totals.nudges === 1, 'the nudge');
    const ensured = await ensureFollowUp(ts.env.client, { kind: 'decision', id: d.id, taskQueue, evidence: { itemId: 'item-pr-812', position: 0 }, ...UNTAGGED });
    expect(ensured.outcome).toBe('signalled');
    const result = await h.result();
    expect(result.outcome).toBe('done');
    expect((await records.getDecision(d.id))?.status).toBe('done');
    expect(await followUps.get('decision', d.id)).toMatchObject({ status: 'done', reason: 'evidence of completion: item item-pr-812 #0' });

    // not running: an action item whose evidence is the first thing anyone hears of it
    const action: ActionItem = {
      id: uniqueId('act'),
      what: 'Send the audit checklist to finance',
      ownerId: ANA,
      status: 'open',
      decisionId: d.id,
      createdAt: new Date(monday),
      sources: [{ itemId: `item-${uniqueId('act')}`, position: 5, quote: 'Ana sends the checklist' }],
      access: [ANA, DEV],
    };
    await newAction(action);
    const started = await ensureFollowUp(ts.env.client, { kind: 'action', id: action.id, taskQueue, evidence: { itemId: 'item-mail-77', position: 2 }, ...UNTAGGED });
    expect(started.workflowId).toBe(`decision:action:${action.id}`);
    const actionResult = await ts.env.client.workflow.getHandle(started.workflowId).result();
    expect(actionResult).toMatchObject({ kind: 'action', outcome: 'done', totals: { nudges: 0, escalations: 0, summaries: 0 } });
    expect((await records.getAction(action.id))?.status).toBe('done');
    expect(await artifactsOf(action.id)).toEqual([]);
  });

  it('closes as done at once when the store already holds evidence of completion', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    // what DecisionStore.findCompletionEvidence records when ingestion sees "shipped" from the owner
    await database.db.query(
      `INSERT INTO completion_evidence (subject_kind, subject_id, item_id, position, quote, author_id, occurred_at, reason)
       VALUES ('decision', $1, 'item-chat-991', 2, 'shipped it', $2, $3, 'owner says it is done')`,
      [d.id, ANA, new Date(monday + 8 * HOUR)],
    );
    const result = await (await startFollowUp('decision', d.id)).result();
    expect(result).toMatchObject({ outcome: 'done', totals: { nudges: 0, escalations: 0, summaries: 0 } });
    expect((await records.getDecision(d.id))?.status).toBe('done');
    expect(await followUps.get('decision', d.id)).toMatchObject({ status: 'done', reason: 'evidence of completion: item item-chat-991 #2' });
    expect(await artifactsOf(d.id)).toEqual([]);
  });

  it('never messages an owner outside the opt-in: the decider is told instead', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday, { ownerId: OSCAR });
    const h = await startFollowUp('decision', d.id);
    const s0 = await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    // counted in the decider's working time: Monday 15:00 JST + 2 → Wednesday 10:00 JST = 01:00 UTC
    expect(s0).toMatchObject({ ownerReachable: false, timezone: 'Asia/Tokyo', next: { step: 'nudge', dueAt: iso(monday + 2 * DAY + HOUR) } });

    const result = await h.result();
    expect(result.outcome).toBe('stale');
    expect(result.totals).toEqual({ nudges: 0, escalations: 1, summaries: 1 });
    const escalation = followUpArtifactId('decision', d.id, 'escalate', 1);
    const summary = followUpArtifactId('decision', d.id, 'stale', 1);
    expect(await artifactsOf(d.id)).toEqual([escalation, summary]);
    const e = await readArtifact(escalation);
    expect(e.to).toEqual([DEV]);
    expect(e.markdown).toContain('its owner (someone outside the opt-in) cannot be reminded');
    expect((await readArtifact(summary)).to).toEqual([DEV]);
    for (const a of [escalation, summary]) expect((await readArtifact(a)).markdown).not.toMatch(/Oscar|oscar@/);
    expect((await followUps.steps('decision', d.id)).flatMap((x) => x.recipients)).toEqual([DEV, DEV]);
  });

  it('sends a nudge exactly once when the delivery fails after writing and the activity is retried', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const artifact = followUpArtifactId('decision', d.id, 'nudge', 1);
    outbox.failOnceAfterWriting.add(artifact);
    const h = await startFollowUp('decision', d.id);
    await untilStatus(h, (x) => x.phase === 'waiting', 'the follow-up to wait');
    await skipTo(monday + 2 * DAY + 4 * HOUR + 60_000);
    const s = await untilStatus(h, (x) => x.totals.nudges === 1, 'the retried nudge');
    expect(outbox.calls.get(artifact)).toBe(2); // the first attempt wrote, then "failed"
    expect(outbox.created.get(artifact)).toBe(1);
    expect(outbox.failOnceAfterWriting.has(artifact)).toBe(false);
    expect(s.done.filter((x) => x.step === 'nudge')).toHaveLength(1);
    expect(await followUps.steps('decision', d.id)).toHaveLength(1);
    expect(await artifactsOf(d.id)).toEqual([artifact]);
  });

  it('a follow-up terminated after its nudge is ensured again and carries on from the follow_ups tables', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    const first = await ensureFollowUp(ts.env.client, { kind: 'decision', id: d.id, taskQueue, ...UNTAGGED });
    const h = await track(Promise.resolve(ts.env.client.workflow.getHandle(first.workflowId)));
    await skipTo(monday + 2 * DAY + 4 * HOUR + 60_000);
    await untilStatus(h, (x) => x.totals.nudges === 1, 'the nudge');
    // terminated while idle on its timer (see afterEach for why not with a task in flight)
    await eventually(() => followUps.get('decision', d.id), (r) => r?.nextStep === 'escalate', 'the saved state after the nudge');
    await h.terminate('operator mistake');

    const again = await ensureFollowUp(ts.env.client, { kind: 'decision', id: d.id, taskQueue, ...UNTAGGED });
    expect(again.outcome).toBe('started');
    expect(again.runId).not.toBe(first.runId);
    const h2 = await track(Promise.resolve(ts.env.client.workflow.getHandle(again.workflowId)));
    const s = await untilStatus(h2, (x) => x.phase === 'waiting', 'the new run to wait');
    const nudge = followUpArtifactId('decision', d.id, 'nudge', 1);
    expect(s.done.map((x) => x.artifactId)).toEqual([nudge]);
    expect(s.next).toEqual({ step: 'escalate', dueAt: iso(monday + 7 * DAY + 4 * HOUR) });
    expect(outbox.calls.get(nudge)).toBe(1);
  });

  it('sends each step exactly once across continue-as-new, carrying only small state', async () => {
    const monday = await startOfAWeek();
    const d = await newDecision(monday);
    // a bound of 1 event: the run continues as new after every step it takes
    const h = await startFollowUp('decision', d.id, 1);
    const result = await h.result();
    expect(result.outcome).toBe('stale');
    expect(result.totals).toEqual({ nudges: 1, escalations: 1, summaries: 1 });
    const steps = await followUps.steps('decision', d.id);
    expect(steps.map((x) => x.step)).toEqual(['nudge', 'escalate', 'stale']);
    // each step was sent by a different run
    expect(new Set(steps.map((x) => x.runId)).size).toBe(3);
    expect(steps[0]?.runId).toBe(h.firstExecutionRunId);
    for (const x of steps) {
      expect(outbox.calls.get(x.artifactId)).toBe(1);
      expect(outbox.created.get(x.artifactId)).toBe(1);
    }
    const last = await ts.env.client.workflow.getHandle(h.workflowId).describe();
    expect(last.runId).not.toBe(h.firstExecutionRunId);
    // what a continued run started from: no statement, no sources — ids, times, counters, steps
    const history = await ts.env.client.workflow.getHandle(h.workflowId, last.runId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = (started?.input?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(payload).toContain('"carried"');
    expect(payload).not.toContain(d.topic);
    expect(payload.length).toBeLessThan(2_000);
  });
});

// A real server runs an update's validator in a speculative workflow task and drops it when the update is refused.
describe('followUpUnresolvedDecision on the dev server', () => {
  let env: TestWorkflowEnvironment;
  let devWorker: QueueWorkers;
  let devRunning: Promise<void>;
  const devQueue = `follow-up-dev-${process.pid}`;

  beforeAll(async () => {
    env = await testWorkflowEnv();
    const db = database.db;
    const embedder = new LocalHashingEmbedder();
    const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions), embedder });
    devWorker = await QueueWorkers.create({
      connection: await NativeConnection.connect({ address: env.address }),
      namespace: env.namespace ?? 'default',
      taskQueue: devQueue,
      workflowBundle: await workflowBundle(),
      activities: createFollowUpActivities({ subjects: new DecisionSubjects(records), followUps, people: store, outbox, log: pino({ level: 'warn' }) }),
    });
    devRunning = devWorker.run();
  }, 120_000);

  afterAll(async () => {
    if (devWorker?.getState() === 'RUNNING') devWorker.shutdown();
    await devRunning;
    await env?.teardown();
  });

  it('refuses an unknown id without adding a single history event', async () => {
    const d = await newDecision(Date.now() - 6 * HOUR);
    const h = await track(
      env.client.workflow.start(followUpUnresolvedDecision, {
        workflowId: `${followUpWorkflowId('decision', d.id)}`,
        taskQueue: devQueue,
        args: [{ kind: 'decision', id: d.id, ...UNTAGGED }],
      }),
    );
    // idle on its durable timer: nothing else happens until it fires or someone asks
    const before = await eventually(
      async () => (await h.fetchHistory()).events ?? [],
      (events) => events.some((e) => e.timerStartedEventAttributes),
      'the follow-up to wait on its timer',
    );
    expect(await refusal(h, { id: 'dec-nobody-knows', status: 'done' })).toMatch(/unknown decision/);
    expect(await refusal(h, { id: d.id, status: 'finished' })).toMatch(/resolved as done/);
    const after = (await h.fetchHistory()).events ?? [];
    expect(after.length).toBe(before.length);
    expect((await h.query(statusQuery)).phase).toBe('waiting');
  });
});
