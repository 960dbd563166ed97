/**
 * Assembles a running Mycelium: Temporal (a server given by TEMPORAL_ADDRESS or the selected Temporal profile,
 * or the embedded dev server), the store (DATABASE_URL, or PGlite under .mycelium/), and optionally in-process
 * workers: the main one and every role queue the deployment does not run elsewhere (the service, demo, dev:
 * MYCELIUM_WORKER_ROLES_IN_PROCESS), or one role's (`myc worker --role <role>`).
 * Every client surface (CLI, demo, tests) opens the stack here, so there is one way to wire it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { REEMBED_WORKFLOW_TYPE, reembedWorkflowId } from '../workflows/reembed-defs';
import type { Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import type { ActivityDeps } from '../activities';
import { deliveryChannelsFromEnv } from '../activities/delivery/channels';
import { FileOutbox } from '../activities/delivery/outbox';
import { createEmbedder, embedderConfigFromEnv, embedderForModel } from '../activities/intelligence/embeddings/select';
import { createExtractor, extractorConfigFromEnv } from '../activities/intelligence/extraction';
import { DecisionStore } from '../activities/memory/decisions';
import { FollowUpStore } from '../activities/memory/follow-ups';
import { openDb } from '../activities/memory/db';
import { migrate } from '../activities/memory/migrate';
import type { Db } from '../activities/memory/ports';
import { MemoryStore } from '../activities/memory/store';
import { CoordinationGraph, ProjectHistory } from '../activities/memory/coordination';
import { NotificationStore } from '../activities/memory/notifications';
import { PersonSettingsStore } from '../activities/memory/person-settings';
import { TokenStore } from '../activities/memory/tokens';
import { chooseVectorIndex } from '../activities/memory/vector-index';
import { acquireHomeLock, type AcquireOptions, type HomeLock } from '../infra/home-lock';
import { myceliumHome } from '../infra/paths';
import { temporalConnectionOptions } from '../infra/temporal-connection';
import { ensureTemporal } from '../infra/temporal-server';
import { temporalConfig } from '../temporal.config';
import { roleTaskQueue, type WorkerRole } from '../workers/scaling';
import { createRoleWorker, createWorker } from '../workers/worker';
import { connectorFactories } from '../activities/connectors/factories';
import type { ConnectorFactories } from '../activities/connectors/registry';
import { SourceRegistry } from '../activities/memory/sources';
import { WebhookStore } from '../activities/memory/webhooks';
import { decisionJudge } from '../activities/intelligence/decision-match';

export interface StackOptions {
  /** run a worker in this process (demo, dev); clients that only talk to a running worker say false */
  worker: boolean;
  /**
   * with `worker`, run only this role's worker (its task queue, its settings: workers/scaling.ts) instead of the
   * main worker and the role queues polled beside it; an unknown role is refused, naming the roles there are
   */
  workerRole?: string;
  /** with no Temporal server named by the environment and none on the dev-server port: start one (default true) */
  startDevServer?: boolean;
  log?: Logger;
  /** where delivered briefs are echoed (the console in the CLI) */
  echo?: (text: string) => void;
  /** overrides for tests */
  databaseUrl?: string;
  /** null: an in-memory PGlite (tests) */
  pgliteDir?: string | null;
  /** where the outbox writes (default .mycelium/outbox) */
  outboxDir?: string;
  temporalAddress?: string;
  namespace?: string;
  taskQueue?: string;
  now?: () => Date;
  /** who holds the PGlite data directory's lock while this stack is open (default: a one-shot command) */
  owner?: AcquireOptions;
  /** the API connectors the workers run (default: activities/connectors/factories.ts); tests inject their own */
  connectors?: ConnectorFactories;
}

/** A worker this stack runs in its process. */
export interface RunningWorker {
  role: WorkerRole;
  taskQueue: string;
  /** settles when the worker stops: resolves after a shutdown, rejects when it failed */
  done: Promise<void>;
}

export interface Stack {
  client: Client;
  store: MemoryStore;
  /** API sources: status, owner, stream cursors, encrypted credentials */
  sources: SourceRegistry;
  decisions: DecisionStore;
  tokens: TokenStore;
  notifications: NotificationStore;
  personSettings: PersonSettingsStore;
  coordination: { graph: CoordinationGraph; history: ProjectHistory };
  db: Db;
  namespace: string;
  taskQueue: string;
  /** the Web UI link of a workflow run */
  uiLink(workflowId: string, runId: string): string | undefined;
  log: Logger;
  /** the Temporal Web UI, when known */
  uiUrl?: string;
  /** the lock on the PGlite data directory, when this stack opened one */
  lock?: HomeLock;
  /** set by the service: keeps what follows from the set of sources (their Temporal Schedules) in step */
  onSourcesChanged?: () => Promise<void>;
  /** the workers running in this process (none when the stack was opened without `worker`) */
  workers: RunningWorker[];
  close(): Promise<void>;
}

export function defaultLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
}

export async function openStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? defaultLogger();
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) {
      await closer().catch((error: unknown) => log.warn({ err: error }, 'error while shutting down'));
    }
  };
  try {
    const home = myceliumHome();
    await mkdir(home, { recursive: true });
    const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
    const dataDir = options.pgliteDir === null ? undefined : (options.pgliteDir ?? join(home, 'pgdata'));
    // one process per PGlite data directory: a Postgres server (DATABASE_URL) or an in-memory PGlite needs no lock
    let lock: HomeLock | undefined;
    if (!databaseUrl && dataDir) {
      lock = await acquireHomeLock(dataDir, options.owner ?? { kind: 'command', command: 'myc' });
      closers.push(() => lock!.release());
    }
    const db = await openDb({ databaseUrl, dataDir });
    closers.push(() => db.close());
    await migrate(db);
    // MYCELIUM_EMBEDDER (default: the local sentence encoder, hashing when it cannot be fetched)
    const embedderConfig = embedderConfigFromEnv(process.env);
    const { embedder } = await createEmbedder(embedderConfig, { log });
    const vectors = await chooseVectorIndex(db, embedder.dimensions, log, { model: embedder.model });
    const store = new MemoryStore({
      db,
      vectors,
      embedder,
      // while a new model is re-embedded, searches stay on the active one, with its own embedder
      activeSpace: async (model) => {
        const other = await embedderForModel(model, embedderConfig, { log });
        if (!other) {
          log.warn({ active: model, configured: embedder.model }, 'the active vector model cannot run here: search by meaning waits for the re-embed');
          return undefined;
        }
        return { embedder: other, vectors: await chooseVectorIndex(db, other.dimensions, log, { model }) };
      },
    });
    const space = await store.ready();
    const sources = new SourceRegistry({ db });
    const decisions = new DecisionStore({ db, judge: decisionJudge });
    const notifications = new NotificationStore({ db });
    const personSettings = new PersonSettingsStore({ db });
    const coordination = { graph: new CoordinationGraph(db), history: new ProjectHistory(db) };

    // the server, namespace and credentials: TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_API_KEY / TEMPORAL_TLS_*
    // over the Temporal profile that TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE select (infra/temporal-connection.ts)
    const temporal = await ensureTemporal({
      log,
      env: options.temporalAddress ? { ...process.env, TEMPORAL_ADDRESS: options.temporalAddress } : process.env,
      namespace: options.namespace,
      startDevServer: options.startDevServer,
    });
    closers.push(() => temporal.stop());
    const connection = await Connection.connect(temporalConnectionOptions(temporal.address, temporal.security));
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace });
    const taskQueue = options.taskQueue ?? temporalConfig.taskQueue;
    const workers: RunningWorker[] = [];
    const runWorker = (worker: Worker, role: WorkerRole): void => {
      // (a worker that fails rejects `done`: unobserved, as in the service, that ends the process)
      const done = worker.run();
      workers.push({ role, taskQueue: roleTaskQueue(role, taskQueue), done });
      closers.push(() => stopWorker(worker, done));
    };

    if (options.worker) {
      const outboxDir = options.outboxDir ?? join(home, 'outbox');
      // a stack given an outbox of its own (tests) keeps its decision records beside it, out of the shared home
      const docsDir = options.outboxDir ? join(options.outboxDir, 'decisions') : join(home, 'decisions');
      const deps: ActivityDeps = {
        store,
        decisions,
        followUps: new FollowUpStore({ db }),
        extractor: createExtractor(extractorConfigFromEnv(process.env), { log }),
        outbox: new FileOutbox(outboxDir, options.echo),
        // person ids are e-mail addresses by default, which is what free/busy looks up without an emailOf
        delivery: deliveryChannelsFromEnv(process.env, { outboxDir, docsDir, log, echo: options.echo }),
        notifications,
        personSettings,
        coordination,
        temporal: { client, taskQueue },
        sources,
        connectors: options.connectors ?? connectorFactories,
        webhooks: new WebhookStore({ db }),
        log,
        now: options.now ?? (() => new Date()),
      };
      const at = { address: temporal.address, security: temporal.security, namespace: temporal.namespace, taskQueue, deps };
      if (options.workerRole !== undefined) {
        // one role's worker only (`myc worker --role <role>`): its queue, its settings
        const { worker, connection: workerConnection, role } = await createRoleWorker({ ...at, role: options.workerRole });
        closers.push(() => workerConnection.close());
        runWorker(worker, role);
      } else {
        // the main worker and, beside it, every role queue the deployment does not run elsewhere
        // (MYCELIUM_WORKER_ROLES_IN_PROCESS): each its own slots, so one provider's outage never stalls another's
        const { workers: built, connection: workerConnection } = await createWorker(at);
        closers.push(() => workerConnection.close());
        for (const { worker, role } of built) runWorker(worker, role);
      }
    }
    if (space.state === 'building') {
      // the embedder changed: re-embed in the background (idempotent by id; a worker with this model runs it)
      await startReembed(client, taskQueue, embedder.model, log);
    }

    return {
      client,
      store,
      sources,
      decisions,
      tokens: new TokenStore({ db }),
      notifications,
      personSettings,
      coordination,
      db,
      namespace: temporal.namespace,
      taskQueue,
      uiLink: (workflowId, runId) =>
        temporal.uiUrl
          ? `${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(
              workflowId,
            )}/${encodeURIComponent(runId)}`
          : undefined,
      log,
      uiUrl: temporal.uiUrl,
      lock,
      workers,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startReembed(client: Client, taskQueue: string, model: string, log: Logger): Promise<void> {
  try {
    await client.workflow.start(REEMBED_WORKFLOW_TYPE, { workflowId: reembedWorkflowId(model), taskQueue, args: [{ model }] });
    log.info({ model, workflowId: reembedWorkflowId(model) }, 'the embedding model changed: re-embedding every chunk in the background');
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

async function stopWorker(worker: Worker, running: Promise<void>): Promise<void> {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
}
