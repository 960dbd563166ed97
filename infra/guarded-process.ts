/**
 * Long-running helper processes (Temporal dev server, throwaway Postgres) that must never outlive us.
 *
 * Each process is spawned in its own process group, plus a tiny `/bin/sh` watchdog (own session, ignores
 * INT/TERM/HUP) that blocks reading a pipe from this Node process. When this process dies for any reason,
 * including SIGKILL, the pipe reaches EOF and the watchdog sends the stop signal, then SIGKILL to the whole
 * group after a grace period. While we are alive, `stop()` does the same thing directly, and a
 * `process.on('exit')` hook sends the stop signal synchronously on a normal exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

export interface GuardedProcessOptions {
  /** short name for logs and errors, e.g. "temporal" */
  name: string;
  command: string;
  args: readonly string[];
  log: Logger;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** run as this user/group (POSIX; requires root) */
  uid?: number;
  gid?: number;
  /** signal that asks the process to shut down cleanly (default SIGTERM) */
  stopSignal?: NodeJS.Signals;
  /** how long stop() and the watchdog wait before SIGKILL of the whole group (default 10 s) */
  killAfterMs?: number;
  /** lines of stdout+stderr kept for error messages (default 60) */
  tailLines?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** set when the process could not be spawned at all (ENOENT, EACCES, ...) */
  error?: Error;
}

export interface GuardedProcess {
  readonly name: string;
  /** pid of the process (also its process-group id); undefined if spawning failed */
  readonly pid: number | undefined;
  /** resolves (never rejects) when the process has exited or failed to spawn */
  readonly exited: Promise<ExitInfo>;
  /** exit info once exited, else undefined */
  exitInfo(): ExitInfo | undefined;
  /** the last lines the process wrote to stdout/stderr */
  outputTail(): string;
  /** stop signal, then SIGKILL to the group after the grace period; resolves once exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const WATCHDOG_SCRIPT = `
trap '' INT TERM HUP QUIT
while read -r _; do :; done
kill -s "$2" "$1" 2>/dev/null || exit 0
i=0
while [ "$i" -lt "$3" ] && kill -0 "$1" 2>/dev/null; do sleep 1; i=$((i + 1)); done
kill -s KILL -- "-$1" 2>/dev/null
exit 0
`;

const live = new Set<{ pid: number; stopSignal: NodeJS.Signals }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        process.kill(p.pid, p.stopSignal);
      } catch {
        // already gone
      }
    }
  });
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to start: ${info.error.message}`;
  if (info.signal) return `killed by ${info.signal}`;
  return `exited with code ${String(info.code)}`;
}

export function spawnGuarded(opts: GuardedProcessOptions): GuardedProcess {
  const stopSignal = opts.stopSignal ?? 'SIGTERM';
  const killAfterMs = opts.killAfterMs ?? 10_000;
  const maxLines = opts.tailLines ?? 60;
  const log = opts.log.child({ proc: opts.name });

  const tail: string[] = [];
  let exitInfo: ExitInfo | undefined;

  const child: ChildProcess = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    uid: opts.uid,
    gid: opts.gid,
    detached: true, // own process group, so the group can be killed and terminal ^C does not race us
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;

  const onOutput = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > maxLines) tail.shift();
        log.trace({ stream }, line);
      }
      if (partial.length > 8192) {
        tail.push(partial);
        if (tail.length > maxLines) tail.shift();
        partial = '';
      }
    };
  };
  child.stdout?.on('data', onOutput('stdout'));
  child.stderr?.on('data', onOutput('stderr'));

  let watchdog: ChildProcess | undefined;
  const entry = pid !== undefined ? { pid, stopSignal } : undefined;
  if (pid !== undefined && entry) {
    live.add(entry);
    installExitHook();
    watchdog = spawn(
      '/bin/sh',
      ['-c', WATCHDOG_SCRIPT, 'mycelium-watchdog', String(pid), stopSignal.replace(/^SIG/, ''), String(Math.ceil(killAfterMs / 1000))],
      { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    watchdog.on('error', (err) => log.warn({ err }, 'watchdog failed to start; relying on exit hooks only'));
    // neither the watchdog nor its pipe may keep our event loop alive
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (info: ExitInfo) => {
      if (exitInfo) return;
      exitInfo = info;
      if (entry) live.delete(entry);
      if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) {
        try {
          watchdog.kill('SIGKILL');
        } catch {
          // ignore
        }
      }
      resolve(info);
    };
    child.once('error', (error) => finish({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => finish({ code, signal }));
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = killAfterMs): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo || pid === undefined) {
        await exited;
        return;
      }
      const t0 = Date.now();
      try {
        process.kill(pid, stopSignal);
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ graceMs }, `${opts.name} did not stop after ${stopSignal}; sending SIGKILL`);
      }
      // SIGKILL the whole group: after a timeout this kills the process, otherwise it reaps leftover children
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group already empty
      }
      await exited;
      log.debug({ ms: Date.now() - t0 }, `${opts.name} stopped`);
    })();
    return stopping;
  };

  return {
    name: opts.name,
    pid,
    exited,
    exitInfo: () => exitInfo,
    outputTail: () => tail.join('\n'),
    stop,
  };
}
