/**
 * Worker scaling settings (workers/scaling.ts): the defaults per task queue role, their MYCELIUM_WORKER_*
 * overrides with clear errors, and that the worker factory (createWorker) hands them to the Temporal worker it
 * builds — read back from the real Worker's compiled options against the test run's Temporal server.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities';
import { FileOutbox } from '../../activities/delivery/outbox';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { createExtractor } from '../../activities/intelligence/extraction';
import { CoordinationGraph, ProjectHistory } from '../../activities/memory/coordination';
import { DecisionStore } from '../../activities/memory/decisions';
import { FollowUpStore } from '../../activities/memory/follow-ups';
import { SourceRegistry } from '../../activities/memory/sources';
import { NotificationStore } from '../../activities/memory/notifications';
import { PersonSettingsStore } from '../../activities/memory/person-settings';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { createWorker } from '../../workers/worker';
import { ROLES_IN_PROCESS_ENV, WORKER_ROLES, rolesInProcess, workerScaling, workerSettingEnvName, workerTuning } from '../../workers/scaling';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ensureTestNamespace } from '../support/stack';
import { temporalTestAddress } from '../support/temporal';
import { Client, Connection } from '@temporalio/client';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decisionJudge } from '../../activities/intelligence/decision-match';

describe('worker scaling settings', () => {
  it('has settings for every role, sticky cache only where workflows run', () => {
    expect(Object.keys(workerScaling).sort()).toEqual([...WORKER_ROLES].sort());
    expect(workerScaling.main.maxCachedWorkflows).toBeGreaterThan(0);
    for (const role of WORKER_ROLES.filter((r) => r !== 'main')) expect(workerScaling[role].maxCachedWorkflows).toBe(0);
    // a provider's quota holds across replicas only as a task-queue (server-side) rate
    for (const role of ['connector-google', 'connector-microsoft', 'connector-slack'] as const) {
      expect(workerScaling[role].maxTaskQueueActivitiesPerSecond).toBeGreaterThan(0);
    }
  });

  it('reads overrides per role from MYCELIUM_WORKER_<ROLE>_<SETTING>', () => {
    expect(workerSettingEnvName('connector-slack', 'maxTaskQueueActivitiesPerSecond')).toBe('MYCELIUM_WORKER_CONNECTOR_SLACK_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND');
    const env = {
      MYCELIUM_WORKER_CONNECTOR_SLACK_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND: '0.25',
      MYCELIUM_WORKER_CONNECTOR_SLACK_MAX_CONCURRENT_ACTIVITIES: '3',
      // another role's variable leaves this one alone
      MYCELIUM_WORKER_DELIVERY_MAX_CONCURRENT_ACTIVITIES: '99',
    };
    expect(workerTuning('connector-slack', env)).toEqual({ ...workerScaling['connector-slack'], maxTaskQueueActivitiesPerSecond: 0.25, maxConcurrentActivityTaskExecutions: 3 });
    expect(workerTuning('main', {})).toEqual(workerScaling.main);
  });

  it('polls every role queue in the main process unless MYCELIUM_WORKER_ROLES_IN_PROCESS says they run elsewhere', () => {
    expect(ROLES_IN_PROCESS_ENV).toBe('MYCELIUM_WORKER_ROLES_IN_PROCESS');
    const others = WORKER_ROLES.filter((r) => r !== 'main');
    expect(rolesInProcess({})).toEqual(others);
    expect(rolesInProcess({ MYCELIUM_WORKER_ROLES_IN_PROCESS: ' ALL ' })).toEqual(others);
    expect(rolesInProcess({ MYCELIUM_WORKER_ROLES_IN_PROCESS: 'none' })).toEqual([]);
    // the roles kept in process, in the roles' order; the others run as `myc worker --role <role>`
    expect(rolesInProcess({ MYCELIUM_WORKER_ROLES_IN_PROCESS: 'delivery, connector-files' })).toEqual(['connector-files', 'delivery']);
    expect(() => rolesInProcess({ MYCELIUM_WORKER_ROLES_IN_PROCESS: 'delivery,main,mail' })).toThrow(
      'MYCELIUM_WORKER_ROLES_IN_PROCESS="delivery,main,mail": "main", "mail" are not a role the main process can poll: expected all, none or some of ' +
        others.join(', '),
    );
  });

  it('refuses a bad value, naming the variable and what it expects', () => {
    expect(() => workerTuning('delivery', { MYCELIUM_WORKER_DELIVERY_MAX_CONCURRENT_ACTIVITIES: 'lots' })).toThrow(
      'MYCELIUM_WORKER_DELIVERY_MAX_CONCURRENT_ACTIVITIES="lots" is not valid: expected a whole number ≥ 1',
    );
    expect(() => workerTuning('connector-google', { MYCELIUM_WORKER_CONNECTOR_GOOGLE_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND: '0' })).toThrow(
      /MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND="0" is not valid: expected a number > 0/,
    );
    expect(() => workerTuning('main', { MYCELIUM_WORKER_MAIN_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrow(
      /MYCELIUM_WORKER_MAIN_MAX_CONCURRENT_WORKFLOW_TASKS must be at least 2 while the sticky cache is on/,
    );
    expect(() => workerTuning('nope' as never, {})).toThrow(/unknown worker role "nope"/);
  });
});

describe('the worker factory applies the settings', () => {
  const namespace = 'test-worker-scaling';
  let database: TestDatabase;
  let deps: ActivityDeps;
  let connection: Connection;

  beforeAll(async () => {
    await ensureTestNamespace(namespace);
    database = await createTestDatabase('pglite', { migrate: true });
    const db = database.db;
    const log = pino({ level: 'warn' });
    const embedder = new LocalHashingEmbedder();
    const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions, { info: () => undefined }), embedder });
    connection = await Connection.connect({ address: temporalTestAddress() });
    deps = {
      store,
      decisions: new DecisionStore({ db, judge: decisionJudge }),
      followUps: new FollowUpStore({ db }),
      sources: new SourceRegistry({ db }),
      extractor: createExtractor({}, { log }),
      outbox: new FileOutbox(await mkdtemp(join(tmpdir(), 'mycelium-scaling-'))),
      notifications: new NotificationStore({ db }),
      personSettings: new PersonSettingsStore({ db }),
      coordination: { graph: new CoordinationGraph(db), history: new ProjectHistory(db) },
      temporal: { client: new Client({ connection, namespace }), taskQueue: 'scaling' },
      log,
      now: () => new Date(),
    };
  }, 120_000);

  afterAll(async () => {
    await connection?.close();
    await database?.dispose();
  });

  async function optionsOf(role: Parameters<typeof workerTuning>[0] | undefined, env: NodeJS.ProcessEnv) {
    // the main queue's worker alone: the role queues beside it have their own settings (worker-role.test.ts)
    const { workers, connection: workerConnection } = await createWorker({ address: temporalTestAddress(), namespace, taskQueue: `scaling-${role}`, deps, role, env, rolesInProcess: [] });
    expect(workers).toHaveLength(1);
    const { worker } = workers[0]!;
    const options = worker.options;
    // a created worker holds its connection until it has run and shut down
    await worker.runUntil(Promise.resolve());
    await workerConnection.close();
    return options;
  }

  it('gives the main worker its concurrency and sticky cache, overridden from the environment', async () => {
    const options = await optionsOf(undefined, {
      MYCELIUM_WORKER_MAIN_MAX_CACHED_WORKFLOWS: '123',
      MYCELIUM_WORKER_MAIN_MAX_CONCURRENT_ACTIVITIES: '5',
      MYCELIUM_WORKER_MAIN_MAX_CONCURRENT_WORKFLOW_TASKS: '7',
      MYCELIUM_WORKER_MAIN_MAX_ACTIVITIES_PER_SECOND: '20',
    });
    expect(options.maxCachedWorkflows).toBe(123);
    expect(options.tuner.activityTaskSlotSupplier).toMatchObject({ type: 'fixed-size', numSlots: 5 });
    expect(options.tuner.workflowTaskSlotSupplier).toMatchObject({ type: 'fixed-size', numSlots: 7 });
    expect(options.maxActivitiesPerSecond).toBe(20);
    expect(options.maxTaskQueueActivitiesPerSecond).toBeUndefined();
  }, 120_000);

  it("gives a provider's worker the provider's task-queue rate limit", async () => {
    const options = await optionsOf('connector-slack', { MYCELIUM_WORKER_CONNECTOR_SLACK_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND: '0.3' });
    expect(options.maxTaskQueueActivitiesPerSecond).toBe(0.3);
    expect(options.tuner.activityTaskSlotSupplier).toMatchObject({ numSlots: workerScaling['connector-slack'].maxConcurrentActivityTaskExecutions });
    expect(options.maxCachedWorkflows).toBe(0);
  }, 120_000);
});
