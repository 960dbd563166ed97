/**
 * The one place a worker is put together: task queue, workflows bundle, activities from injected deps.
 * The CLI (demo, dev), the service, the role worker (`myc worker --role <role>`) and the tests all call this,
 * never a copy of it.
 */
import path from 'node:path';
import { inspect } from 'node:util';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type LogEntry,
  type LogLevel,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { projectRoot } from '../infra/paths';
import type { TemporalConnectionSecurity } from '../infra/temporal-connection';
import { providerTaskQueue, temporalConfig, type ConnectorQueueProvider } from '../temporal.config';
import { parseWorkerRole, roleTaskQueue, WORKER_ROLES, workerOptionsOf, workerTuning, type WorkerRole } from './scaling';

// from the project root, not this module's URL: the compiled build (dist/) moves this module
export const workflowsPath = path.join(projectRoot, 'workflows', 'index.ts');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling takes seconds on 2 cores: do it once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  return bundle;
}

export interface WorkerOptions {
  address: string;
  /** TLS, API key, gRPC headers (the Temporal profile's: infra/temporal-connection.ts); none by default */
  security?: TemporalConnectionSecurity;
  namespace?: string;
  /** the main task queue (default temporal.config.ts's); a role's queue is named from it (roleTaskQueue) */
  taskQueue?: string;
  deps: ActivityDeps;
  /** whose settings (workers/scaling.ts) this worker runs with; default `main` */
  role?: WorkerRole;
  /** where the settings' overrides are read (default process.env) */
  env?: NodeJS.ProcessEnv;
}

let runtimeInstalled = false;

/** The SDK logs worker state changes at INFO to the console; keep it to warnings unless asked (LOG_LEVEL). */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const wanted = (process.env.LOG_LEVEL ?? 'warn').toUpperCase();
  const level: LogLevel = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const).find((l) => l === wanted) ?? 'WARN';
  // Native (core) logs would otherwise go straight to stdout, interleaved with `--json` output and, under
  // `myc mcp`, with the MCP protocol itself: forward them to the TS logger, which writes to stderr.
  Runtime.install({
    logger: new DefaultLogger(level, writeSdkLog),
    telemetryOptions: { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } },
  });
}

/**
 * The SDK's own log lines, to stderr — except the one it writes, by design, for every activity-only worker: the
 * provider workers poll no workflow tasks on purpose, and a warning about it on every command would be noise.
 */
function writeSdkLog(entry: LogEntry): void {
  if (entry.message === ACTIVITY_ONLY_NOTICE && isActivityOnlyQueue(entry.meta?.taskQueue)) return;
  const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  process.stderr.write(`${at} [${entry.level}] ${entry.message}${entry.meta === undefined ? '' : ` ${inspect(entry.meta, { breakLength: Infinity })}`}\n`);
}

const ACTIVITY_ONLY_NOTICE = 'No workflows registered, not polling for workflow tasks';

/** the queues of the roles other than main (`…-google`, `…-delivery`): activity-only by design */
function isActivityOnlyQueue(queue: unknown): boolean {
  if (typeof queue !== 'string') return false;
  return WORKER_ROLES.filter((role) => role !== 'main').some((role) => queue.endsWith(roleTaskQueue(role, '')));
}

function connect(options: WorkerOptions): Promise<NativeConnection> {
  return NativeConnection.connect({ address: options.address, ...options.security });
}

/** The main worker: every workflow and every activity, on the main task queue, with the `main` role's settings. */
export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntime();
  const connection = await connect(options);
  try {
    const worker = await Worker.create({
      ...commonOptions(options, connection, options.role ?? 'main'),
      taskQueue: options.taskQueue ?? temporalConfig.taskQueue,
      workflowBundle: await workflowBundle(),
    });
    return { worker, connection };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

function commonOptions(options: WorkerOptions, connection: NativeConnection, role: WorkerRole) {
  return {
    // concurrency, sticky cache and rate limits of the role, from workers/scaling.ts (+ MYCELIUM_WORKER_* overrides)
    ...workerOptionsOf(workerTuning(role, options.env)),
    connection,
    namespace: options.namespace ?? temporalConfig.namespace,
    activities: createActivities(options.deps),
    // on shutdown (SIGTERM to the service) running activities get this long to finish before they are cancelled
    shutdownGraceTime: '30s',
  } as const;
}

/**
 * The connector workers: one per provider, polling `<taskQueue>-<provider>` for page activities only (no
 * workflows), each with its own slots — so a provider that is down or rate limiting fills its own slots, never
 * another's; each runs with its role's settings (workers/scaling.ts:
 * `connector-<provider>`). Same deps and activities as the main worker, over the main worker's connection.
 */
export async function createProviderWorkers(options: WorkerOptions & { connection: NativeConnection }): Promise<{ role: WorkerRole; worker: Worker }[]> {
  const base = options.taskQueue ?? temporalConfig.taskQueue;
  const providers = Object.keys(temporalConfig.connectors.queues) as ConnectorQueueProvider[];
  return Promise.all(
    providers.map(async (provider) => {
      const role: WorkerRole = `connector-${provider}`;
      return { role, worker: await createActivityWorker(options, options.connection, role, providerTaskQueue(base, provider)) };
    }),
  );
}

/** A worker of a role other than main: the role's queue, its settings, the activities, no workflows. */
function createActivityWorker(options: WorkerOptions, connection: NativeConnection, role: WorkerRole, taskQueue: string): Promise<Worker> {
  return Worker.create({ ...commonOptions(options, connection, role), taskQueue });
}

/**
 * The worker of one role (`myc worker --role <role>`), on a connection of its own: `main` is the main worker
 * (createWorker); any other role polls only its own queue (roleTaskQueue) for activities, with its settings from
 * workers/scaling.ts. An unknown role is refused, naming the roles there are.
 */
export async function createRoleWorker(
  options: Omit<WorkerOptions, 'role'> & { role: string },
): Promise<{ worker: Worker; connection: NativeConnection; role: WorkerRole; taskQueue: string }> {
  const role = parseWorkerRole(options.role);
  const withRole: WorkerOptions = { ...options, role };
  const taskQueue = roleTaskQueue(role, options.taskQueue ?? temporalConfig.taskQueue);
  if (role === 'main') return { ...(await createWorker(withRole)), role, taskQueue };
  installRuntime();
  const connection = await connect(withRole);
  try {
    return { worker: await createActivityWorker(withRole, connection, role, taskQueue), connection, role, taskQueue };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
