/**
 * `myc worker --role <role>` (clients/service/worker.ts): a real process, started the way deploy/ starts it, against
 * the test run's Temporal server — reached through a Temporal profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE, as
 * deploy/k8s does) — and a fresh Postgres database (DATABASE_URL). It polls its role's queue and only that one:
 * an activity a workflow schedules there completes, reading the store at DATABASE_URL; no other role's queue has a
 * poller. SIGTERM stops it cleanly. An unknown role is refused, naming the roles there are; the role worker the
 * factory builds for every role has that role's queue and settings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities';
import { FileOutbox } from '../../activities/delivery/outbox';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { createExtractor } from '../../activities/intelligence/extraction';
import { CoordinationGraph, ProjectHistory } from '../../activities/memory/coordination';
import { DecisionStore } from '../../activities/memory/decisions';
import { FollowUpStore } from '../../activities/memory/follow-ups';
import { NotificationStore } from '../../activities/memory/notifications';
import { PersonSettingsStore } from '../../activities/memory/person-settings';
import { SourceRegistry } from '../../activities/memory/sources';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { activityTaskQueue, temporalConfig } from '../../temporal.config';
import { parseWorkerRole, roleTaskQueue, WORKER_ROLES, workerScaling, type WorkerRole } from '../../workers/scaling';
import { createRoleWorker } from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';
import { decisionJudge } from '../../activities/intelligence/decision-match';

const bin = fileURLToPath(new URL('../../bin/mycelium.mjs', import.meta.url));
const NAMESPACE = 'test-worker-role';
/** temporal.api.enums.v1.TaskQueueType wire values (part of the stable Temporal API) */
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Proc {
  child: ChildProcess;
  done: Promise<Run>;
  output(): { stdout: string; stderr: string };
}

function myc(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, output: () => ({ stdout, stderr }) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

describe('worker roles', () => {
  it('name a task queue each, from the main one; the connector roles poll the queues the sync workflows use', () => {
    const base = 'mycelium';
    const queues = WORKER_ROLES.map((role) => roleTaskQueue(role, base));
    expect(queues).toEqual(['mycelium', 'mycelium-google', 'mycelium-microsoft', 'mycelium-slack', 'mycelium-files', 'mycelium-intelligence', 'mycelium-delivery']);
    for (const provider of Object.keys(temporalConfig.connectors.queues) as (keyof typeof temporalConfig.connectors.queues)[]) {
      expect(roleTaskQueue(`connector-${provider}`, base)).toBe(activityTaskQueue(base, provider));
    }
    expect(roleTaskQueue('main')).toBe(temporalConfig.taskQueue);
  });

  it('refuse an unknown role, naming the roles there are', () => {
    expect(parseWorkerRole('connector-slack')).toBe('connector-slack');
    expect(() => parseWorkerRole('conector-slack')).toThrow(`unknown worker role "conector-slack": expected one of ${WORKER_ROLES.join(', ')}`);
    expect(() => parseWorkerRole('toString')).toThrow(/unknown worker role "toString"/);
  });
});

describe('the role worker the factory builds', () => {
  let database: TestDatabase;
  let connection: Connection;
  let deps: ActivityDeps;

  beforeAll(async () => {
    await ensureTestNamespace(NAMESPACE);
    database = await createTestDatabase('pglite', { migrate: true });
    const db = database.db;
    const log = pino({ level: 'warn' });
    const embedder = new LocalHashingEmbedder();
    connection = await Connection.connect({ address: testTemporalAddress() });
    deps = {
      store: new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions, { info: () => undefined }), embedder }),
      decisions: new DecisionStore({ db, judge: decisionJudge }),
      followUps: new FollowUpStore({ db }),
      sources: new SourceRegistry({ db }),
      extractor: createExtractor({}, { log }),
      outbox: new FileOutbox(await mkdtemp(join(tmpdir(), 'mycelium-role-factory-'))),
      notifications: new NotificationStore({ db }),
      personSettings: new PersonSettingsStore({ db }),
      coordination: { graph: new CoordinationGraph(db), history: new ProjectHistory(db) },
      temporal: { client: new Client({ connection, namespace: NAMESPACE }), taskQueue: 'role-factory' },
      log,
      now: () => new Date(),
    };
  }, 120_000);

  afterAll(async () => {
    await connection?.close();
    await database?.dispose();
  });

  it("has, for each role but main, only that role's queue, its settings, and no workflows", async () => {
    for (const role of WORKER_ROLES.filter((r): r is Exclude<WorkerRole, 'main'> => r !== 'main')) {
      const built = await createRoleWorker({ address: testTemporalAddress(), namespace: NAMESPACE, taskQueue: 'role-factory', deps, role, env: {} });
      try {
        expect(built.role).toBe(role);
        expect(built.taskQueue).toBe(roleTaskQueue(role, 'role-factory'));
        expect(built.worker.options.taskQueue).toBe(built.taskQueue);
        expect(built.worker.options.workflowBundle, role).toBeUndefined();
        expect(built.worker.options.tuner.activityTaskSlotSupplier).toMatchObject({ numSlots: workerScaling[role].maxConcurrentActivityTaskExecutions });
        expect(built.worker.options.maxTaskQueueActivitiesPerSecond).toBe(workerScaling[role].maxTaskQueueActivitiesPerSecond);
        expect(built.worker.options.maxCachedWorkflows).toBe(0);
      } finally {
        // a created worker holds its connection until it has run and shut down
        await built.worker.runUntil(Promise.resolve());
        await built.connection.close();
      }
    }
    await expect(createRoleWorker({ address: testTemporalAddress(), namespace: NAMESPACE, deps, role: 'nope' })).rejects.toThrow(
      /unknown worker role "nope": expected one of main, connector-google/,
    );
  }, 120_000);
});

describe('myc worker --role', () => {
  let home: string;
  let database: TestDatabase;
  let connection: Connection;
  let client: Client;
  const person = 'ada@acme.test';

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'mycelium-worker-role-'));
    await ensureTestNamespace(NAMESPACE);
    // the store the worker joins: a fresh Postgres database, migrated, with one person's settings in it
    database = await createTestDatabase('postgres', { migrate: true });
    await new PersonSettingsStore({ db: database.db }).set(person, { attentionBudget: 7 });
    connection = await Connection.connect({ address: testTemporalAddress() });
    client = new Client({ connection, namespace: NAMESPACE });
  }, 120_000);

  afterAll(async () => {
    await connection?.close();
    await database?.dispose();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** the environment of a deployed worker: a Temporal profile, DATABASE_URL, nothing that would pick another server */
  async function workerEnv(): Promise<NodeJS.ProcessEnv> {
    const profiles = join(home, 'temporal.toml');
    await writeFile(
      profiles,
      [
        '[profile.elsewhere]',
        'address = "127.0.0.1:1"',
        '',
        '[profile.workers]',
        `address = "${testTemporalAddress()}"`,
        `namespace = "${NAMESPACE}"`,
        '',
      ].join('\n'),
    );
    return {
      ...process.env,
      MYCELIUM_HOME: home,
      MYCELIUM_URL: '',
      MYCELIUM_TOKEN: '',
      DATABASE_URL: database.url!,
      QDRANT_URL: '',
      TEMPORAL_CONFIG_FILE: profiles,
      TEMPORAL_PROFILE: 'workers',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      LOG_LEVEL: 'warn',
    };
  }

  async function pollers(taskQueue: string, type: 'workflow' | 'activity'): Promise<string[]> {
    const res = await connection.workflowService.describeTaskQueue({
      namespace: NAMESPACE,
      taskQueue: { name: taskQueue },
      taskQueueType: TASK_QUEUE_TYPE[type],
    });
    return (res.pollers ?? []).map((p) => p.identity ?? '');
  }

  it('refuses an unknown role with the valid ones (exit 1), opening nothing', async () => {
    const run = await myc(['worker', '--role', 'intelligance'], await workerEnv()).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown worker role "intelligance": expected one of');
    for (const role of WORKER_ROLES) expect(run.stderr).toContain(role);
    await expect(stat(join(home, 'pgdata'))).rejects.toThrow();
  });

  it("polls only its role's queue: an activity scheduled there completes against DATABASE_URL's store; SIGTERM stops it", async () => {
    const role: WorkerRole = 'connector-slack';
    const queue = roleTaskQueue(role);
    const proc = myc(['worker', '--role', role], await workerEnv());
    const exited = proc.done.then((r) => {
      throw new Error(`myc worker exited (${r.code ?? r.signal}) early: ${r.stderr}`);
    });
    exited.catch(() => undefined);
    let testWorker: Worker | undefined;
    let testWorkerRun: Promise<void> | undefined;
    let workerConnection: NativeConnection | undefined;
    try {
      const identity = `${proc.child.pid}@`;
      await Promise.race([until(`a poller of ${queue}`, async () => (await pollers(queue, 'activity')).some((id) => id.startsWith(identity))), exited]);
      expect(proc.output().stdout).toContain(`polling task queue ${queue} in namespace ${NAMESPACE}`);

      // a workflow on a queue of the test's own schedules the activity on the role's queue
      workerConnection = await NativeConnection.connect({ address: testTemporalAddress() });
      testWorker = await Worker.create({
        connection: workerConnection,
        namespace: NAMESPACE,
        taskQueue: 'worker-role-test',
        workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../support/role-workflows.ts', import.meta.url)), logger: quiet }),
      });
      testWorkerRun = testWorker.run();
      const result = await Promise.race([
        client.workflow.execute('attentionOnQueue', { taskQueue: 'worker-role-test', workflowId: `worker-role-${Date.now()}`, args: [queue, person] }),
        exited,
      ]);
      // read from the store at DATABASE_URL by the worker process
      expect(result).toMatchObject({ budgetPerDay: 7 });

      // no other role's queue, and no workflow task queue, has a poller: the process registered its role's only
      expect(await pollers(queue, 'workflow')).toEqual([]);
      for (const other of WORKER_ROLES.filter((r) => r !== role)) {
        expect(await pollers(roleTaskQueue(other), 'activity'), other).toEqual([]);
        expect(await pollers(roleTaskQueue(other), 'workflow'), other).toEqual([]);
      }

      proc.child.kill('SIGTERM');
      const run = await proc.done;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('SIGTERM: stopping');
      expect(run.stdout.trim().endsWith('stopped.')).toBe(true);
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
        await proc.done;
      }
      if (testWorker?.getState() === 'RUNNING') testWorker.shutdown();
      await testWorkerRun;
      await workerConnection?.close();
    }
  }, 240_000);
});

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
