/**
 * The benchmarks' world: one Temporal server for the whole run (TEMPORAL_ADDRESS, or a dev server started
 * here as test/global-setup.ts does), and stores on the chosen backend with the app's own wiring
 * (clients/runtime.ts), except that the embedder is passed in — so P2 can run the same sync with and without
 * an encoder. Workers are made by the app's factory (workers/worker.ts) with the app's settings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import type { ActivityDeps } from '../../activities';
import { deliveryChannelsFromEnv } from '../../activities/delivery/channels';
import { FileOutbox } from '../../activities/delivery/outbox';
import { createExtractor, extractorConfigFromEnv } from '../../activities/intelligence/extraction';
import { CoordinationGraph, ProjectHistory } from '../../activities/memory/coordination';
import { DecisionStore } from '../../activities/memory/decisions';
import { FollowUpStore } from '../../activities/memory/follow-ups';
import { SourceRegistry } from '../../activities/memory/sources';
import { migrate } from '../../activities/memory/migrate';
import { NotificationStore } from '../../activities/memory/notifications';
import { PersonSettingsStore } from '../../activities/memory/person-settings';
import type { Db, Embedder, VectorIndex } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { resolveTemporalCli } from '../../infra/temporal-cli';
import { ensureTemporal, startTemporalDevServer } from '../../infra/temporal-server';
import { createWorker } from '../../workers/worker';
import { openBenchDb, type DbBackend } from './backends';
import { selectVectorIndex } from './backends';
import { decisionJudge } from '../../activities/intelligence/decision-match';

export interface BenchTemporal {
  address: string;
  namespace: string;
  client: Client;
  stop(): Promise<void>;
}

export function benchLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
}

/** TEMPORAL_ADDRESS when set, else a dev server of our own (in-memory history, no UI) for the whole run. */
export async function openBenchTemporal(log: Logger): Promise<BenchTemporal> {
  const namespace = 'mycelium-bench';
  let address: string;
  let stopServer: () => Promise<void> = async () => {};
  let ns = namespace;
  if (process.env.TEMPORAL_ADDRESS?.trim()) {
    const handle = await ensureTemporal({ log, namespace: process.env.TEMPORAL_NAMESPACE?.trim() || 'default' });
    address = handle.address;
    ns = handle.namespace;
    stopServer = handle.stop;
  } else {
    const cli = await resolveTemporalCli({ log });
    const server = await startTemporalDevServer({ cli, log, namespace, port: 0, uiPort: false, dbFile: null, startTimeoutMs: 90_000 });
    address = server.address;
    stopServer = server.stop;
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: ns });
  return {
    address,
    namespace: ns,
    client,
    stop: async () => {
      await connection.close();
      await stopServer();
    },
  };
}

export interface BenchStack {
  db: Db;
  vectors: VectorIndex;
  embedder: Embedder;
  store: MemoryStore;
  deps: ActivityDeps;
  taskQueue: string;
  close(): Promise<void>;
}

/**
 * A store on `backend` (fresh: in-memory PGlite, or a new database on the Postgres server), the app's vector
 * index choice for it, and ActivityDeps wired as clients/runtime.ts wires them. With `worker`, a worker from
 * the app's factory runs on `taskQueue` until close().
 */
export async function openBenchStack(options: {
  temporal: BenchTemporal;
  backend: DbBackend;
  embedder: Embedder;
  taskQueue: string;
  worker: boolean;
  log: Logger;
  /** where the workers' settings are read (workers/scaling.ts; default process.env) */
  workerEnv?: NodeJS.ProcessEnv;
}): Promise<BenchStack> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const db = await openBenchDb(options.backend);
    closers.push(() => db.dispose());
    await migrate(db.db);
    const vectors = await selectVectorIndex(db.db, options.embedder.dimensions, options.log, { model: options.embedder.model });
    const store = new MemoryStore({ db: db.db, vectors, embedder: options.embedder });
    const outboxDir = await mkdtemp(join(tmpdir(), 'mycelium-bench-outbox-'));
    closers.push(() => rm(outboxDir, { recursive: true, force: true }));
    const deps: ActivityDeps = {
      store,
      decisions: new DecisionStore({ db: db.db, judge: decisionJudge }),
      followUps: new FollowUpStore({ db: db.db }),
      sources: new SourceRegistry({ db: db.db }),
      extractor: createExtractor(extractorConfigFromEnv(process.env), { log: options.log }),
      outbox: new FileOutbox(outboxDir),
      delivery: deliveryChannelsFromEnv({}, { outboxDir, docsDir: join(outboxDir, 'decisions'), log: options.log }),
      notifications: new NotificationStore({ db: db.db }),
      personSettings: new PersonSettingsStore({ db: db.db }),
      coordination: { graph: new CoordinationGraph(db.db), history: new ProjectHistory(db.db) },
      temporal: { client: options.temporal.client, taskQueue: options.taskQueue },
      log: options.log,
      now: () => new Date(),
    };
    if (options.worker) {
      // the main worker and the role queues beside it (the sends, extraction, the files connector), as the service runs them
      const { workers, connection } = await createWorker({
        address: options.temporal.address,
        namespace: options.temporal.namespace,
        taskQueue: options.taskQueue,
        deps,
        ...(options.workerEnv ? { env: options.workerEnv } : {}),
      });
      closers.push(() => connection.close());
      for (const { worker } of workers) {
        const running = worker.run();
        closers.push(() => stopWorker(worker, running));
      }
    }
    return { db: db.db, vectors, embedder: options.embedder, store, deps, taskQueue: options.taskQueue, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function stopWorker(worker: Worker, running: Promise<void>): Promise<void> {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
}

export type { NativeConnection };
