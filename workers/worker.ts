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
import { createActivities, type Activities, type ActivityDeps } from '../activities';
import { projectRoot } from '../infra/paths';
import type { TemporalConnectionSecurity } from '../infra/temporal-connection';
import { temporalConfig } from '../temporal.config';
import { ACTIVITY_ROLES, parseWorkerRole, roleTaskQueue, rolesInProcess, workerOptionsOf, workerTuning, type ActivityRole, type WorkerRole } from './scaling';

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
  /**
   * the role queues polled beside the main one (createWorker); default: MYCELIUM_WORKER_ROLES_IN_PROCESS read from
   * `env` (workers/scaling.ts `rolesInProcess`), which is every role unless the deployment runs them elsewhere
   */
  rolesInProcess?: readonly ActivityRole[];
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
 * role workers poll no workflow tasks on purpose, and a warning about it on every command would be noise.
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
  return ACTIVITY_ROLES.some((role) => queue.endsWith(roleTaskQueue(role, '')));
}

function connect(options: WorkerOptions): Promise<NativeConnection> {
  return NativeConnection.connect({ address: options.address, ...options.security });
}

/** One Temporal worker and the queue it polls: a process runs one per queue (a Worker polls a single queue). */
export interface QueueWorker {
  role: WorkerRole;
  taskQueue: string;
  worker: Worker;
}

/**
 * The main worker — every workflow, and every activity left on the main queue, with the `main` role's settings (or
 * `options.role`'s) — and, over the same connection, a worker for each role queue this process also polls
 * (`rolesInProcess`: by default MYCELIUM_WORKER_ROLES_IN_PROCESS, every role when unset), each with its role's
 * settings. So `myc serve`, `myc dev`, the demo and the tests, which all build their workers here, never schedule an
 * activity on a queue nobody polls; a deployment whose roles run as workers of their own says `none`, and the service
 * then polls the main queue only — never a second set of pollers beside the role workers it was told run elsewhere.
 * `workers[0]` is the main queue's; run them all (and shut them all down) before closing the connection.
 */
export async function createWorker(options: WorkerOptions): Promise<{ workers: QueueWorker[]; connection: NativeConnection }> {
  installRuntime();
  const roles = options.rolesInProcess ?? rolesInProcess(options.env);
  const connection = await connect(options);
  const workers: QueueWorker[] = [];
  try {
    const base = options.taskQueue ?? temporalConfig.taskQueue;
    const activities = createActivities(options.deps);
    workers.push({
      role: options.role ?? 'main',
      taskQueue: base,
      worker: await Worker.create({ ...commonOptions(options, connection, options.role ?? 'main', activities), taskQueue: base, workflowBundle: await workflowBundle() }),
    });
    for (const role of roles) {
      const taskQueue = roleTaskQueue(role, base);
      workers.push({ role, taskQueue, worker: await createActivityWorker(options, connection, role, taskQueue, activities) });
    }
    return { workers, connection };
  } catch (error) {
    // a created worker holds the connection until it has run: let each run and stop before closing it (the error
    // that brought us here is the one to report)
    await Promise.allSettled(workers.map(({ worker }) => worker.runUntil(Promise.resolve())));
    await connection.close();
    throw error;
  }
}

function commonOptions(options: WorkerOptions, connection: NativeConnection, role: WorkerRole, activities: Activities) {
  return {
    // concurrency, sticky cache and rate limits of the role, from workers/scaling.ts (+ MYCELIUM_WORKER_* overrides)
    ...workerOptionsOf(workerTuning(role, options.env)),
    connection,
    namespace: options.namespace ?? temporalConfig.namespace,
    activities,
    // on shutdown (SIGTERM to the service) running activities get this long to finish before they are cancelled
    shutdownGraceTime: '30s',
  } as const;
}

/**
 * A worker of a role other than main: the role's queue, its settings, the activities, no workflows. Every activity
 * is registered, not only the role's: which activities go to which queue is the workflows' decision
 * (workflows/activity-queues.ts), and a worker that lacked one would fail it instead of running it.
 */
function createActivityWorker(options: WorkerOptions, connection: NativeConnection, role: WorkerRole, taskQueue: string, activities: Activities): Promise<Worker> {
  return Worker.create({ ...commonOptions(options, connection, role, activities), taskQueue });
}

/**
 * The worker of one role (`myc worker --role <role>`), on a connection of its own: `main` is the main worker alone
 * (createWorker, polling no role queue: the roles run as their own processes); any other role polls only its own
 * queue (roleTaskQueue) for activities, with its settings from workers/scaling.ts. An unknown role is refused,
 * naming the roles there are.
 */
export async function createRoleWorker(
  options: Omit<WorkerOptions, 'role' | 'rolesInProcess'> & { role: string },
): Promise<{ worker: Worker; connection: NativeConnection; role: WorkerRole; taskQueue: string }> {
  const role = parseWorkerRole(options.role);
  const withRole: WorkerOptions = { ...options, role, rolesInProcess: [] };
  const taskQueue = roleTaskQueue(role, options.taskQueue ?? temporalConfig.taskQueue);
  if (role === 'main') {
    const { workers, connection } = await createWorker(withRole);
    return { worker: workers[0]!.worker, connection, role, taskQueue };
  }
  installRuntime();
  const connection = await connect(withRole);
  try {
    return { worker: await createActivityWorker(withRole, connection, role, taskQueue, createActivities(withRole.deps)), connection, role, taskQueue };
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
