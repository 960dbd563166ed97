/**
 * What a `myc` command costs a person or a script, beside the Temporal CLI on the same server:
 * `myc --help`, a warm read through a running service (`myc meetings --json`), and
 * `temporal workflow list`, each run several times as a fresh process, wall time, median.
 *
 * Uses the Temporal server at TEMPORAL_ADDRESS, else starts a dev server for the run; starts
 * `myc serve` on a throwaway MYCELIUM_HOME (the compiled build: run `npm run build` first, or let
 * `npm install` do it). Targets on 2 cores: warm read ≤ 0.5 s, --help ≤ 0.3 s.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { projectRoot } from '../infra/paths';
import { resolveTemporalCli } from '../infra/temporal-cli';
import { findFreePort, startTemporalDevServer } from '../infra/temporal-server';

export interface StartupFigures {
  helpMs: number;
  readMs: number;
  temporalListMs: number;
}

const bin = join(projectRoot, 'bin', 'mycelium.mjs');

function timeRun(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    execFile(file, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) return reject(new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function medianOf(runs: number, once: () => Promise<number>): Promise<number> {
  await once(); // warm the file cache, as a person's second command would find it
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return median(times);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; !(await probe().catch(() => false)); wait = Math.min(wait * 2, 1000)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export async function runStartupBench(options: { runs?: number; say?: (line: string) => void } = {}): Promise<StartupFigures> {
  const runs = options.runs ?? 7;
  const say = options.say ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const log = pino({ level: 'warn' }, pino.destination(2));
  const home = await mkdtemp(join(tmpdir(), 'mycelium-bench-'));
  const cli = await resolveTemporalCli({ log });
  const namespace = 'mycelium-bench';
  const server = process.env.TEMPORAL_ADDRESS?.trim()
    ? undefined
    : await startTemporalDevServer({ cli, log, namespace, port: 0, uiPort: false, dbFile: null });
  const address = process.env.TEMPORAL_ADDRESS?.trim() || server!.address;
  const ns = server ? namespace : (process.env.TEMPORAL_NAMESPACE?.trim() || 'default');
  const env: NodeJS.ProcessEnv = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_URL: '', MYCELIUM_TOKEN: '', TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: ns, DATABASE_URL: '' };
  const port = await findFreePort();
  const service = spawn(process.execPath, [bin, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await until('the service', async () => {
      const info = JSON.parse(await readFile(join(home, 'service.json'), 'utf8')) as { url: string };
      return (await fetch(`${info.url}/readyz`)).ok;
    });
    const helpMs = await medianOf(runs, () => timeRun(process.execPath, [bin, '--help'], env));
    const readMs = await medianOf(runs, () => timeRun(process.execPath, [bin, 'meetings', '--json'], env));
    const temporalListMs = await medianOf(runs, () => timeRun(cli, ['workflow', 'list', '--address', address, '--namespace', ns, '--limit', '20'], env));
    const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
    const mark = (ms: number, target: number): string => (ms <= target ? `≤ ${target / 1000} s target: met` : `> ${target / 1000} s target: MISSED`);
    say(`startup, median of ${runs} fresh processes (wall), service at 127.0.0.1:${port}:`);
    say(`  myc --help:              ${s(helpMs)}  (${(helpMs / temporalListMs).toFixed(1)}× temporal workflow list; ${mark(helpMs, 300)})`);
    say(`  myc meetings --json:     ${s(readMs)}  (${(readMs / temporalListMs).toFixed(1)}× temporal workflow list; ${mark(readMs, 500)})`);
    say(`  temporal workflow list:  ${s(temporalListMs)}`);
    return { helpMs, readMs, temporalListMs };
  } finally {
    const exited = new Promise((resolve) => service.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
    await server?.stop();
    await rm(home, { recursive: true, force: true });
  }
}
