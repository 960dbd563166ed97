/**
 * The `myc` command line over the operation registry, a client of the service.
 * A command goes through the HTTP API of a reachable service (MYCELIUM_URL, or the one this
 * MYCELIUM_HOME's service.json names); with none, it runs in this process under the data
 * directory's lock, as the local owner.
 *
 * Startup loads only commander, the registry (zod) and the HTTP client: the stack (Temporal, PGlite,
 * NLP, pino) is imported only by the commands that run it here.
 * Exit codes: 0 ok; 1 with a one-line reason on stderr otherwise.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { WORKER_ROLES, isWorkerRole, type WorkerRole } from '../../workers/scaling';
import { findOperation, operations } from '../registry';
import { addOperationCommands, type CommandRun } from './commands';
import { printResult } from './format';
import { chooseInvoker, type Progress } from './invoker';

export function buildProgram(argv?: readonly string[]): { program: Command; commands: Map<string, Command> } {
  const program = new Command()
    .name('mycelium')
    .description(
      'Mycelium: remembers what your team decided, prepares every meeting, routes what people need to know.\n' +
        'Commands go through the running service (myc serve) when there is one, else run in this process.',
    )
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(`mycelium: ${message.replace(/^error: /, '').trim()}\n`) });

  const port = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('a port number (0–65535)');
    return n;
  };

  program
    .command('serve')
    .description('run the Mycelium service: the store, the worker, the HTTP API (docs at /docs), MCP at /mcp')
    .option('--port <n>', 'port to listen on (default 8787, or any free one if that is taken)', port)
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .action(async (options: { port?: number; host: string }) => {
      const { runService } = await import('../service/serve');
      await runService({ port: options.port, host: options.host });
    });

  program
    .command('dev')
    .description('the service on the embedded defaults (starts a Temporal dev server unless TEMPORAL_ADDRESS or TEMPORAL_PROFILE names one), with the URLs to open')
    .option('--port <n>', 'port to listen on (default 8787, or any free one if that is taken)', port)
    .action(async (options: { port?: number }) => {
      const { runService } = await import('../service/serve');
      await runService({ port: options.port, dev: true });
    });

  const workerRole = (value: string): WorkerRole => {
    if (!isWorkerRole(value)) throw new InvalidArgumentError(`unknown worker role "${value}": expected one of ${WORKER_ROLES.join(', ')}`);
    return value;
  };

  program
    .command('worker')
    .description(
      'run the worker of one task queue role, and nothing else (deployments past one machine: a process per role, ' +
        'scaled on its own); joins the store at DATABASE_URL and the Temporal server of TEMPORAL_ADDRESS or TEMPORAL_PROFILE',
    )
    .requiredOption('--role <role>', `the role: ${WORKER_ROLES.join(', ')} (settings: workers/scaling.ts)`, workerRole)
    .action(async (options: { role: WorkerRole }) => {
      const { runWorkerProcess } = await import('../service/worker');
      await runWorkerProcess({ role: options.role });
    });

  program
    .command('mcp')
    .description('an MCP server over stdio (tools named as the operations), through the service or in this process')
    .action(async () => {
      const invoker = await chooseInvoker({ command: 'myc mcp', worker: true });
      try {
        const { runMcpStdio } = await import('../mcp/server');
        await runMcpStdio({
          operations,
          invoke: (name, input) => {
            const op = findOperation(name);
            if (!op) throw new Error(`no operation ${name}`);
            return invoker.call(op, (input ?? {}) as Record<string, unknown>);
          },
        });
      } finally {
        await invoker.close();
      }
    });

  program
    .command('demo')
    .description('run the main job on the sample team: ingest examples/acme and brief its next meeting')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { json?: boolean }) => {
      const [{ runDemo }, invoker] = await Promise.all([import('./demo'), chooseInvoker({ command: 'myc demo', worker: true })]);
      try {
        await runDemo({ json: Boolean(options.json) }, invoker);
      } finally {
        await invoker.close();
      }
    });

  const commands = addOperationCommands(program, operations, runOperation, argv);
  return { program, commands };
}

async function runOperation(call: CommandRun): Promise<void> {
  const invoker = await chooseInvoker({ command: call.command, worker: Boolean(call.op.needsWorker) });
  try {
    const onProgress = invoker.via === 'in-process' && !call.json && process.stderr.isTTY ? await progressBar() : undefined;
    const result = await invoker.call(call.op, call.input, { onProgress: onProgress?.update });
    onProgress?.stop();
    printResult(call.op, result, call.json);
  } finally {
    await invoker.close();
  }
}

async function progressBar(): Promise<{ update: (p: Progress) => void; stop: () => void }> {
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({ format: 'ingesting [{bar}] {value}/{total} files' });
  let started = false;
  return {
    update: (p) => {
      if (p.total === 0) return;
      if (!started) bar.start(p.total, p.done);
      started = true;
      bar.update(p.done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const { program } = buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // commander has printed its own message (usage errors) or the help (exit code 0)
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mycelium: ${message.split('\n')[0]}\n`);
    if (process.env.LOG_LEVEL === 'debug') console.error(error);
    return 1;
  }
}

