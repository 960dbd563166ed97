/**
 * `myc worker --role <role>`: a process that runs the worker of one task queue role and nothing else — no HTTP API,
 * no schedules — for deployments past one machine (deploy/: one Kubernetes Deployment or compose service per role,
 * each scaled on its own). The role's queue and settings (concurrency, sticky cache, rate limits) come from
 * workers/scaling.ts, with their MYCELIUM_WORKER_<ROLE>_* overrides; the worker itself is built by the one worker
 * factory (workers/worker.ts) inside the one stack (clients/runtime.ts), like the service's.
 *
 * It joins a running system: the store at DATABASE_URL (or the embedded PGlite, whose lock it then holds), and
 * the Temporal server the environment names (TEMPORAL_ADDRESS, or a Temporal profile: TEMPORAL_PROFILE,
 * TEMPORAL_CONFIG_FILE), else one already on the dev-server port. It never starts a Temporal server of its own.
 *
 * SIGTERM / SIGINT: stop polling, let running activities finish (up to the worker's shutdownGraceTime, 30 s), close
 * the store, exit 0. A worker that fails ends the process with exit code 1.
 */
import { parseWorkerRole } from '../../workers/scaling';
import { defaultLogger, openStack } from '../runtime';
import { untilSignal } from './signals';

export interface WorkerProcessOptions {
  /** one of WORKER_ROLES (workers/scaling.ts); anything else is refused before anything is opened */
  role: string;
  /** where the process says what it is doing (stdout in the CLI) */
  say?: (line: string) => void;
  /** resolves when the worker should stop (default: SIGTERM or SIGINT) */
  stopSignal?: Promise<string>;
}

export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  const role = parseWorkerRole(options.role);
  const say = options.say ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const stopRequested = options.stopSignal ?? untilSignal();
  const stack = await openStack({
    worker: true,
    workerRole: role,
    startDevServer: false,
    owner: { kind: 'command', command: `myc worker --role ${role}` },
    log: defaultLogger(),
  });
  try {
    const running = stack.workers.find((w) => w.role === role);
    if (!running || stack.workers.length !== 1) throw new Error(`expected one ${role} worker, the stack runs ${stack.workers.map((w) => w.role).join(', ') || 'none'}`);
    say(`Mycelium worker, role ${role}: polling task queue ${running.taskQueue} in namespace ${stack.namespace} (pid ${process.pid})`);
    const signal = await Promise.race([stopRequested, running.done.then(() => undefined)]);
    if (signal === undefined) throw new Error(`the ${role} worker stopped on its own`);
    say(`${signal}: stopping (no new tasks; running activities get up to 30 s to finish)…`);
  } finally {
    await stack.close();
  }
  say('stopped.');
}
