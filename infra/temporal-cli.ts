/**
 * Find (or obtain) a `temporal` CLI binary, which embeds the Temporal dev server and Web UI.
 *
 * Order: TEMPORAL_CLI → `temporal` on PATH → our cache (<cache>/mycelium/temporal-cli/<version>/temporal,
 * then a previous SDK download) → the SDK's own download (needs internet; bounded) → `go install` from the
 * Go module proxy into the cache (needs Go). Anything else is one error saying what to install.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { temporalConfig } from '../temporal.config';
import { projectRoot, temporalCliCacheDir, userCacheDir } from './paths';

/** Go package built as the CLI; v1.5.1 is the newest release without `replace` directives (go install-able). */
export const TEMPORAL_CLI_GO_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';
const VERSION_VAR = 'github.com/temporalio/cli/temporalcli.Version';

export type TemporalCliSource = 'env' | 'path' | 'cache' | 'sdk-download' | 'go-build';

export interface ResolveTemporalCliOptions {
  log: Logger;
  /** CLI release to use from cache / build with Go (default temporalConfig.devServer.cliVersion) */
  version?: string;
  /** environment to read TEMPORAL_CLI, PATH, XDG_CACHE_HOME, HOME from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** bound on the SDK download attempt (default 60 s, env MYCELIUM_SDK_DOWNLOAD_TIMEOUT_MS); 0 skips it */
  sdkDownloadTimeoutMs?: number;
  /** bound on `go install` (default 30 min, env MYCELIUM_GO_BUILD_TIMEOUT_MS); 0 skips it */
  goBuildTimeoutMs?: number;
}

export interface ResolvedTemporalCli {
  path: string;
  source: TemporalCliSource;
  /** first line of `temporal --version` */
  version: string;
}

/** Thrown when TEMPORAL_CLI is set but unusable, or when no step produced a CLI. */
export class TemporalCliError extends Error {
  override readonly name = 'TemporalCliError';
}

/** Path of a usable `temporal` binary; see module doc for the order tried. */
export async function resolveTemporalCli(opts: ResolveTemporalCliOptions): Promise<string> {
  return (await resolveTemporalCliDetailed(opts)).path;
}

export async function resolveTemporalCliDetailed(opts: ResolveTemporalCliOptions): Promise<ResolvedTemporalCli> {
  const env = opts.env ?? process.env;
  const version = opts.version ?? temporalConfig.devServer.cliVersion;
  const log = opts.log.child({ component: 'temporal-cli' });
  const tried: string[] = [];

  // 1. explicit TEMPORAL_CLI: a broken explicit setting is an error, never silently skipped
  const explicit = env.TEMPORAL_CLI?.trim();
  if (explicit) {
    const p = path.resolve(explicit);
    const probe = await probeTemporalCli(p);
    if (!probe.ok) {
      throw new TemporalCliError(
        `TEMPORAL_CLI is set to ${explicit}, but that is not a usable Temporal CLI (${probe.reason}). ` +
          'Point TEMPORAL_CLI at a `temporal` binary, or unset it to let Mycelium find or build one.',
      );
    }
    log.info({ path: p, version: probe.version }, 'using Temporal CLI from TEMPORAL_CLI');
    return { path: p, source: 'env', version: probe.version };
  }
  tried.push('TEMPORAL_CLI: not set');

  // 2. `temporal` on PATH
  const onPath = await findOnPath('temporal', env);
  if (onPath) {
    const probe = await probeTemporalCli(onPath);
    if (probe.ok) {
      log.info({ path: onPath, version: probe.version }, 'using Temporal CLI from PATH');
      return { path: onPath, source: 'path', version: probe.version };
    }
    log.warn({ path: onPath, reason: probe.reason }, '`temporal` on PATH is not a usable Temporal CLI; ignoring it');
    tried.push(`\`temporal\` on PATH (${onPath}): not usable (${probe.reason})`);
  } else {
    log.debug('no `temporal` on PATH');
    tried.push('`temporal` on PATH: not found');
  }

  // 3. cache: our Go build first, then an earlier SDK download
  const cacheDir = temporalCliCacheDir(version, env);
  const cached = path.join(cacheDir, 'temporal');
  const sdkDir = path.join(userCacheDir(env), 'temporal-cli', 'sdk-download');
  for (const candidate of [cached, await findSdkDownload(sdkDir)]) {
    if (!candidate) continue;
    const probe = await probeTemporalCli(candidate);
    if (probe.ok) {
      log.info({ path: candidate, version: probe.version }, 'using cached Temporal CLI');
      return { path: candidate, source: 'cache', version: probe.version };
    }
    if (probe.reason !== 'not found') {
      log.warn({ path: candidate, reason: probe.reason }, 'cached Temporal CLI is unusable; removing it');
      await fs.rm(candidate, { force: true });
    }
  }
  tried.push(`cache (${cached}): not found`);

  // 4. the SDK's own download (temporal.download; needs internet)
  const sdkTimeout = opts.sdkDownloadTimeoutMs ?? envInt(env, 'MYCELIUM_SDK_DOWNLOAD_TIMEOUT_MS', 60_000);
  if (sdkTimeout > 0) {
    log.info({ dir: sdkDir, timeoutMs: sdkTimeout }, 'trying the Temporal SDK download of the CLI');
    const t0 = Date.now();
    const result = await sdkDownload(sdkDir, sdkTimeout, env, log);
    if (result.ok) {
      const probe = await probeTemporalCli(result.path);
      if (probe.ok) {
        log.info({ path: result.path, version: probe.version, ms: Date.now() - t0 }, 'downloaded Temporal CLI via the SDK');
        return { path: result.path, source: 'sdk-download', version: probe.version };
      }
      tried.push(`SDK download: produced an unusable binary (${probe.reason})`);
    } else {
      log.info({ reason: result.reason, ms: Date.now() - t0 }, 'SDK download of the Temporal CLI failed; trying next');
      tried.push(`SDK download: ${result.reason}`);
    }
  } else {
    tried.push('SDK download: skipped');
  }

  // 5. build from the Go module proxy
  const goTimeout = opts.goBuildTimeoutMs ?? envInt(env, 'MYCELIUM_GO_BUILD_TIMEOUT_MS', 30 * 60_000);
  const go = await findOnPath('go', env);
  if (!go) {
    tried.push('Go build: `go` not on PATH');
  } else if (goTimeout <= 0) {
    tried.push('Go build: skipped');
  } else {
    const built = await goBuild({ go, version, cacheDir, timeoutMs: goTimeout, env, log });
    if (built.ok) {
      const probe = await probeTemporalCli(built.path);
      if (probe.ok) return { path: built.path, source: 'go-build', version: probe.version };
      tried.push(`Go build: produced an unusable binary (${probe.reason})`);
    } else {
      tried.push(`Go build: ${built.reason}`);
    }
  }

  throw new TemporalCliError(
    [
      'No Temporal CLI available, and none could be downloaded or built. It is needed to run a local Temporal dev server.',
      'Tried:',
      ...tried.map((t) => `  - ${t}`),
      'Fix it with one of:',
      `  - install Go >= 1.25 (https://go.dev/dl/) and re-run: the CLI (${version}) is then built once into ${cacheDir}, which takes a few minutes`,
      '  - install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH, or set TEMPORAL_CLI=/path/to/temporal',
      '  - or use an already running Temporal server: set TEMPORAL_ADDRESS=host:port',
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------------------------

type Probe = { ok: true; version: string } | { ok: false; reason: string };

/** Runs `<file> --version` and checks it is the Temporal CLI. */
export async function probeTemporalCli(file: string, timeoutMs = 15_000): Promise<Probe> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return { ok: false, reason: 'not a file' };
    await fs.access(file, fsc.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : String(err) };
  }
  return new Promise<Probe>((resolve) => {
    execFile(file, ['--version'], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => {
      const first = stdout.split('\n')[0]?.trim() ?? '';
      if (/^temporal version /.test(first)) resolve({ ok: true, version: first });
      else if (err) resolve({ ok: false, reason: `\`${file} --version\` failed: ${err.message.split('\n')[0]}` });
      else resolve({ ok: false, reason: `unexpected \`--version\` output: ${JSON.stringify(first.slice(0, 80))}` });
    });
  });
}

/** First executable `name` on the env's PATH. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      const st = await fs.stat(candidate);
      if (!st.isFile()) continue;
      await fs.access(candidate, fsc.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

async function findSdkDownload(dir: string): Promise<string | undefined> {
  // the SDK names its download temporal-<sdk-name>-<sdk-version> (or temporal-<version>)
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const hit = names.filter((n) => /^temporal-/.test(n) && !n.endsWith('.downloading')).sort().pop();
  return hit ? path.join(dir, hit) : undefined;
}

type StepResult = { ok: true; path: string } | { ok: false; reason: string };

/**
 * `@temporalio/testing` downloads the CLI as a side effect of starting a local dev server. That happens in a
 * child process so the attempt can be bounded and killed; afterwards we only look for the downloaded file.
 */
async function sdkDownload(dir: string, timeoutMs: number, env: NodeJS.ProcessEnv, log: Logger): Promise<StepResult> {
  await fs.mkdir(dir, { recursive: true });
  const script = `
    import { TestWorkflowEnvironment } from '@temporalio/testing';
    try {
      const env = await TestWorkflowEnvironment.createLocal({
        server: { executable: { type: 'cached-download', downloadDir: process.env.MYCELIUM_SDK_DOWNLOAD_DIR, ttl: '3650d' } },
      });
      await env.teardown();
    } catch (err) {
      console.error(err && err.message ? err.message : String(err));
      process.exitCode = 1;
    }
    process.exit();
  `;
  const output: string[] = [];
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectRoot,
    env: { ...env, MYCELIUM_SDK_DOWNLOAD_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (b: Buffer) => {
    output.push(b.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await new Promise<'exit' | 'timeout' | 'error'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    child.once('exit', () => resolve('exit'));
    child.once('error', () => resolve('error'));
  });
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    // do not leave a half-written download for the next attempt to wait on
    for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
      if (n.endsWith('.downloading')) await fs.rm(path.join(dir, n), { force: true });
    }
  }
  const found = await findSdkDownload(dir);
  if (found) return { ok: true, path: found };
  const text = output.join('').trim();
  log.debug({ output: text.slice(-2000) }, 'SDK download output');
  if (outcome === 'timeout') return { ok: false, reason: `timed out after ${Math.round(timeoutMs / 1000)} s` };
  const line = text.split('\n').find((l) => /download|resolve|connect|error/i.test(l)) ?? text.split('\n').pop() ?? '';
  // the root cause is at the end of the SDK's error chain
  const short = line.trim().length > 220 ? `…${line.trim().slice(-220)}` : line.trim();
  return { ok: false, reason: `failed (${short || 'no output'})` };
}

interface GoBuildOptions {
  go: string;
  version: string;
  cacheDir: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/**
 * `go install <pkg>@<version>` into a staging GOBIN, then an atomic rename into the cache. A lock file keeps
 * concurrent callers (two test runs, .ci/run) from building twice: later callers wait for the first.
 */
async function goBuild(o: GoBuildOptions): Promise<StepResult> {
  const target = path.join(o.cacheDir, 'temporal');
  const parent = path.dirname(o.cacheDir);
  await fs.mkdir(parent, { recursive: true });
  const lockFile = `${o.cacheDir}.build.lock`;
  const deadline = Date.now() + o.timeoutMs;

  for (;;) {
    try {
      const fh = await fs.open(lockFile, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(lockFile);
    const unreadableAndOld = !holder && (await fileAgeMs(lockFile)) > 10_000;
    if (unreadableAndOld || (holder && holder.host === os.hostname() && !pidAlive(holder.pid))) {
      o.log.warn({ lockFile, pid: holder?.pid }, 'removing stale Temporal CLI build lock');
      await fs.rm(lockFile, { force: true });
      continue;
    }
    o.log.info({ lockFile, pid: holder?.pid }, 'another process is building the Temporal CLI; waiting for it');
    let lastLog = Date.now();
    while (await exists(lockFile)) {
      if (Date.now() > deadline) return { ok: false, reason: `timed out waiting for the build in progress (lock ${lockFile})` };
      await sleep(2000);
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        o.log.info('still waiting for the other Temporal CLI build');
      }
    }
    if ((await probeTemporalCli(target)).ok) return { ok: true, path: target };
    // the other build failed: try ourselves
  }

  const staging = await fs.mkdtemp(path.join(parent, `.build-${o.version}-`));
  try {
    const semver = o.version.replace(/^v/, '');
    const args = ['install', '-ldflags', `-s -w -X ${VERSION_VAR}=${semver}`, `${TEMPORAL_CLI_GO_PACKAGE}@${o.version}`];
    const env: NodeJS.ProcessEnv = {
      ...o.env,
      GOBIN: staging,
      // no C toolchain needed (the CLI's SQLite is pure Go); a static binary
      CGO_ENABLED: o.env.CGO_ENABLED ?? '0',
      // allow the go command to fetch a newer toolchain from the module proxy if the local Go is too old
      GOTOOLCHAIN: o.env.GOTOOLCHAIN ?? 'auto',
    };
    o.log.info(
      { cmd: `GOBIN=${staging} ${o.go} ${args.join(' ')}`, target },
      'building the Temporal CLI with Go (one time; takes a few minutes)',
    );
    const t0 = Date.now();
    const tail: string[] = [];
    const child = spawn(o.go, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: staging });
    const collect = (b: Buffer) => {
      for (const line of b.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        o.log.debug({ proc: 'go' }, line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const progress = setInterval(() => o.log.info({ s: Math.round((Date.now() - t0) / 1000) }, 'still building the Temporal CLI'), 30_000);
    let timer: NodeJS.Timeout | undefined;
    const result = await new Promise<{ code: number | null; timedOut: boolean; error?: Error }>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, timedOut: true });
      }, Math.max(1000, deadline - Date.now()));
      child.once('exit', (code) => resolve({ code, timedOut: false }));
      child.once('error', (error) => resolve({ code: null, timedOut: false, error }));
    });
    clearTimeout(timer);
    clearInterval(progress);
    const ms = Date.now() - t0;
    if (result.error) return { ok: false, reason: `could not run go: ${result.error.message}` };
    if (result.timedOut) return { ok: false, reason: `\`go install\` timed out after ${Math.round(ms / 1000)} s` };
    if (result.code !== 0) {
      o.log.error({ code: result.code, output: tail.join('\n') }, 'go install of the Temporal CLI failed');
      return { ok: false, reason: `\`go install\` exited with code ${String(result.code)}:\n${indent(tail.slice(-15).join('\n'))}` };
    }
    await fs.mkdir(o.cacheDir, { recursive: true });
    await fs.rename(path.join(staging, 'temporal'), target);
    o.log.info({ path: target, ms }, 'built the Temporal CLI');
    return { ok: true, path: target };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(lockFile, { force: true });
  }
}

async function readLock(file: string): Promise<{ pid: number; host?: string } | undefined> {
  try {
    const data = JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof data.pid === 'number' ? { pid: data.pid, host: typeof data.host === 'string' ? data.host : undefined } : undefined;
  } catch {
    return undefined; // being written, or garbage
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fileAgeMs(p: string): Promise<number> {
  const st = await fs.stat(p).catch(() => undefined);
  return st ? Date.now() - st.mtimeMs : 0;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
