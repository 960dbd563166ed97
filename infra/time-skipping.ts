/**
 * The Temporal time-skipping test server (the Java one from Temporal's Java SDK) for workflow tests whose
 * timers are days long. No internet is assumed: the jars come from Maven Central through `mvn`, like any
 * other Java dependency, and are cached per user:
 *
 *   <user cache>/mycelium/temporal-test-server/<version>/
 *     lib/*.jar                    the server and its runtime dependencies (mvn dependency:copy-dependencies)
 *     temporal-test-server         executable wrapper: `java <flags> -cp 'lib/*' io.temporal.testserver.TestServer "$@"`
 *     temporal-test-server.jsa     AppCDS archive of the classes the server loads to answer its first calls
 *
 * The version is pinned in infra/temporal-test-server/pom.xml (the file mvn reads).
 *
 * Start time. `TestWorkflowEnvironment.createTimeSkipping` gives the server 5 s to accept connections. A cold
 * JVM on 2 cores needs ~0.5 s when the machine is idle and several seconds when other processes keep both
 * cores busy. Three things keep it inside the window: JIT and GC flags for a short-lived server (C1 only,
 * serial GC), an AppCDS archive built once at install (class loading is most of the start), and — when the
 * SDK's window is missed anyway — starting the JVM ourselves with a generous deadline and connecting to it as
 * an existing server with time skipping on (mode 'self'; 'auto' falls back to it).
 *
 *   npx tsx infra/time-skipping.ts      fetches the jars and builds the archive (CI warm-up); prints the wrapper path
 */
import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import pino, { type Logger } from 'pino';
import { spawnGuarded, type GuardedProcess } from './guarded-process';
import { userCacheDir } from './paths';
import { findFreePort } from './temporal-server';
import { findOnPath } from './temporal-cli';

export const TEST_SERVER_MAIN_CLASS = 'io.temporal.testserver.TestServer';
export const TEST_SERVER_POM = fileURLToPath(new URL('./temporal-test-server/pom.xml', import.meta.url));

/** JVM flags for a short-lived test server: start fast, stay small. The CDS flags are added when an archive exists. */
export const TEST_SERVER_JVM_FLAGS: readonly string[] = [
  '-XX:TieredStopAtLevel=1', // C1 only: no C2 compile threads competing for 2 cores
  '-XX:+UseSerialGC', // no parallel GC threads; the heap is small
  '-Xss512k',
  '-Xms32m',
  '-Xmx512m',
  '-XX:-UsePerfData',
];
const CDS_FLAGS = (archive: string): string[] => [
  `-XX:SharedArchiveFile=${archive}`,
  '-Xshare:auto', // a stale archive (other JDK, changed jars) is ignored, never fatal
  '-Xlog:cds=off',
  '-Xlog:cds+dynamic=off',
];

export class TimeSkippingServerError extends Error {
  override readonly name = 'TimeSkippingServerError';
}

export interface TimeSkippingServerInstall {
  version: string;
  /** the cache dir of this version */
  dir: string;
  libDir: string;
  java: string;
  /** executable wrapper; takes the test server's own arguments: `<port> [--enable-time-skipping]` */
  wrapper: string;
  /** the AppCDS archive, when one could be built */
  cdsArchive: string | undefined;
}

export interface EnsureTimeSkippingServerOptions {
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** default: the version pinned in infra/temporal-test-server/pom.xml */
  version?: string;
  /** build (once) and use an AppCDS archive (default true) */
  cds?: boolean;
}

/** The test server version pinned in the pom. */
export async function pinnedTestServerVersion(): Promise<string> {
  const pom = await fs.readFile(TEST_SERVER_POM, 'utf8');
  const version = /<temporal\.testServer\.version>\s*([^<\s]+)\s*<\/temporal\.testServer\.version>/.exec(pom)?.[1];
  if (!version) throw new TimeSkippingServerError(`no <temporal.testServer.version> in ${TEST_SERVER_POM}`);
  return version;
}

export function testServerCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'temporal-test-server', version);
}

/**
 * Makes sure the jars of the pinned test server are cached, an executable wrapper exists and (unless cds: false)
 * an AppCDS archive has been built. Safe to call concurrently from several processes: everything is written under a
 * temporary name and renamed into place.
 */
export async function ensureTimeSkippingServer(opts: EnsureTimeSkippingServerOptions = {}): Promise<TimeSkippingServerInstall> {
  const env = opts.env ?? process.env;
  const log = (opts.log ?? silentLogger()).child({ component: 'time-skipping-server' });
  const version = opts.version ?? (await pinnedTestServerVersion());
  const dir = testServerCacheDir(version, env);
  const libDir = path.join(dir, 'lib');
  const java = await resolveJava(env);

  if (!(await hasJars(libDir, version))) await fetchJars({ version, libDir, env, log });

  const cdsArchive = opts.cds === false ? undefined : await ensureCdsArchive({ dir, libDir, java, log });
  const wrapper = path.join(dir, cdsArchive ? 'temporal-test-server' : 'temporal-test-server-nocds');
  const script = wrapperScript({ version, java, libDir, cdsArchive });
  if ((await fs.readFile(wrapper, 'utf8').catch(() => undefined)) !== script) {
    await writeAtomically(wrapper, script, 0o755);
  }
  return { version, dir, libDir, java, wrapper, cdsArchive };
}

function wrapperScript(o: { version: string; java: string; libDir: string; cdsArchive: string | undefined }): string {
  const flags = [...TEST_SERVER_JVM_FLAGS, ...(o.cdsArchive ? CDS_FLAGS(o.cdsArchive) : [])];
  return [
    '#!/bin/sh',
    `# Temporal time-skipping test server ${o.version}, written by mycelium infra/time-skipping.ts.`,
    '# Arguments are the server\'s own: <port> [--enable-time-skipping]',
    `exec ${shellQuote(o.java)} ${flags.map(shellQuote).join(' ')} -cp ${shellQuote(`${o.libDir}/*`)} ${TEST_SERVER_MAIN_CLASS} "$@"`,
    '',
  ].join('\n');
}

async function resolveJava(env: NodeJS.ProcessEnv): Promise<string> {
  const home = env.JAVA_HOME?.trim();
  if (home) {
    const candidate = path.join(home, 'bin', 'java');
    if (await isExecutable(candidate)) return candidate;
  }
  const onPath = await findOnPath('java', env);
  if (onPath) return onPath;
  throw new TimeSkippingServerError(
    'no `java` found (JAVA_HOME or PATH): the time-skipping test server runs on a JVM 11+. ' +
      'Install one, e.g. `apt-get install openjdk-17-jre-headless`.',
  );
}

async function hasJars(libDir: string, version: string): Promise<boolean> {
  const files = await fs.readdir(libDir).catch(() => [] as string[]);
  return ['temporal-test-server', 'temporal-sdk', 'slf4j-nop'].every((name) =>
    files.some((f) => f.startsWith(`${name}-`) && f.endsWith('.jar') && (name === 'slf4j-nop' || f === `${name}-${version}.jar`)),
  );
}

async function fetchJars(o: { version: string; libDir: string; env: NodeJS.ProcessEnv; log: Logger }): Promise<void> {
  const mvn = o.env.MVN?.trim() || (await findOnPath('mvn', o.env));
  if (!mvn) {
    throw new TimeSkippingServerError(
      `the Temporal test server ${o.version} is not cached in ${o.libDir} and there is no \`mvn\` to fetch it from Maven Central. ` +
        'Install Maven (`apt-get install maven`) or set MVN to its path.',
    );
  }
  await fs.mkdir(path.dirname(o.libDir), { recursive: true });
  const staging = await fs.mkdtemp(`${o.libDir}.staging-`);
  const t0 = Date.now();
  o.log.info({ version: o.version, into: o.libDir }, 'fetching the Temporal test server from Maven Central');
  try {
    await run(
      mvn,
      [
        '-q',
        '-B',
        '-f',
        TEST_SERVER_POM,
        `-Dtemporal.testServer.version=${o.version}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      { env: o.env, timeoutMs: 10 * 60_000 },
    );
    if (!(await hasJars(staging, o.version))) throw new TimeSkippingServerError(`mvn finished but ${staging} lacks the test server jars`);
    await fs.chmod(staging, 0o755); // mkdtemp makes it private
    try {
      await fs.rename(staging, o.libDir);
    } catch (error) {
      // another process finished first: theirs is as good as ours
      if (!(await hasJars(o.libDir, o.version))) throw error;
    }
    o.log.info({ ms: Date.now() - t0 }, 'Temporal test server fetched');
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * A dynamic AppCDS archive (JDK 13+) of what the server loads while starting and answering its first calls:
 * made by running it once with -XX:ArchiveClassesAtExit. Tied to the JDK that made it; a `.java` stamp beside it
 * records which, and a mismatch rebuilds it. Any failure only costs start time: undefined means "no archive".
 */
async function ensureCdsArchive(o: { dir: string; libDir: string; java: string; log: Logger }): Promise<string | undefined> {
  const archive = path.join(o.dir, 'temporal-test-server.jsa');
  const stampFile = `${archive}.java`;
  const stamp = await javaStamp(o.java);
  if ((await fs.readFile(stampFile, 'utf8').catch(() => undefined)) === stamp && (await exists(archive))) return archive;

  const temp = `${archive}.${process.pid}.${Date.now()}.tmp`;
  const t0 = Date.now();
  try {
    const port = await findFreePort();
    const proc = spawnGuarded({
      name: 'temporal-test-server-cds',
      command: o.java,
      args: [
        `-XX:ArchiveClassesAtExit=${temp}`,
        ...TEST_SERVER_JVM_FLAGS,
        '-cp',
        `${o.libDir}/*`,
        TEST_SERVER_MAIN_CLASS,
        String(port),
        '--enable-time-skipping',
      ],
      log: o.log,
      killAfterMs: 30_000,
    });
    try {
      await waitForTestServer(`127.0.0.1:${port}`, proc, 60_000);
    } finally {
      await proc.stop(); // SIGTERM: the JVM writes the archive while exiting
    }
    if (!(await exists(temp))) throw new Error(`the JVM exited without writing ${temp}: ${proc.outputTail().slice(-500)}`);
    await fs.rename(temp, archive);
    await writeAtomically(stampFile, stamp, 0o644);
    o.log.info({ archive, ms: Date.now() - t0 }, 'AppCDS archive of the test server built');
    return archive;
  } catch (error) {
    o.log.warn({ err: error }, 'could not build an AppCDS archive for the test server; it will start without one (slower)');
    await fs.rm(temp, { force: true });
    return undefined;
  }
}

async function javaStamp(java: string): Promise<string> {
  const real = await fs.realpath(java);
  const st = await fs.stat(real);
  return `${real}\n${st.size}\n${st.mtimeMs}\n`;
}

/** Waits until the server answers a time-skipping call (TCP open is not enough: gRPC services come up after). */
async function waitForTestServer(address: string, proc: GuardedProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [host, portText] = address.split(':') as [string, string];
  let lastError: unknown;
  while (Date.now() < deadline) {
    const info = proc?.exitInfo();
    if (info) {
      throw new TimeSkippingServerError(`the test server exited before it answered on ${address}: ${proc?.outputTail().slice(-1000)}`);
    }
    if (await tcpOpen(host, Number(portText), 500)) {
      try {
        const options: InternalConnectionOptions = {
          address,
          connectTimeout: Math.max(500, deadline - Date.now()),
          [InternalConnectionOptionsSymbol]: { supportsTestService: true },
        };
        const connection = await Connection.connect(options);
        try {
          const testService = connection.testService;
          if (!testService) throw new TimeSkippingServerError('the connection has no test service');
          await connection.withDeadline(deadline, () => testService.getCurrentTime({}));
          return;
        } finally {
          await connection.close();
        }
      } catch (error) {
        lastError = error;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TimeSkippingServerError(
    `the test server did not answer on ${address} within ${Math.round(timeoutMs / 1000)} s` +
      (lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : ''),
  );
}

// ---------------------------------------------------------------------------------------------------------------

export type TimeSkippingStartMode = 'sdk' | 'self' | 'auto';

export interface StartTimeSkippingOptions extends EnsureTimeSkippingServerOptions {
  /**
   * 'sdk': TestWorkflowEnvironment.createTimeSkipping with the wrapper as an existing-path executable (the SDK
   * spawns it and waits at most 5 s). 'self': we spawn the wrapper (guarded: it never outlives this process) and wait
   * up to startTimeoutMs, then connect with time skipping on. 'auto' (default): 'sdk', then 'self' if the SDK's
   * window was missed. Env: MYCELIUM_TIME_SKIPPING_MODE.
   */
  mode?: TimeSkippingStartMode;
  /** deadline of the 'self' start (default 60 s) */
  startTimeoutMs?: number;
  /** an already running server (e.g. the SDK's own binary) instead of ours: env TEMPORAL_TEST_SERVER_EXECUTABLE */
  executable?: string;
}

export interface TimeSkippingEnvironment {
  env: TestWorkflowEnvironment;
  /** how the server was started, and how long until it answered */
  mode: 'sdk' | 'self';
  startMs: number;
  install: Pick<TimeSkippingServerInstall, 'version' | 'wrapper' | 'cdsArchive'>;
  /** tears the environment down and stops the server */
  teardown(): Promise<void>;
}

export async function startTimeSkippingEnvironment(opts: StartTimeSkippingOptions = {}): Promise<TimeSkippingEnvironment> {
  const env = opts.env ?? process.env;
  const log = (opts.log ?? silentLogger()).child({ component: 'time-skipping-server' });
  const mode = opts.mode ?? parseMode(env.MYCELIUM_TIME_SKIPPING_MODE);
  const executable = opts.executable ?? env.TEMPORAL_TEST_SERVER_EXECUTABLE?.trim();
  const install = executable
    ? { version: 'external', wrapper: executable, cdsArchive: undefined }
    : await ensureTimeSkippingServer({ ...opts, log });

  if (mode !== 'self') {
    const t0 = Date.now();
    try {
      const testEnv = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: install.wrapper } },
      });
      const startMs = Date.now() - t0;
      log.info({ ms: startMs, address: testEnv.address }, 'time-skipping test server started by the SDK');
      return { env: testEnv, mode: 'sdk', startMs, install, teardown: () => testEnv.teardown() };
    } catch (error) {
      if (mode === 'sdk') throw error;
      log.warn({ err: error, ms: Date.now() - t0 }, 'the SDK could not start the test server in its window; starting it ourselves');
    }
  }
  return startSelf({ wrapper: install.wrapper, log, timeoutMs: opts.startTimeoutMs ?? 60_000, install });
}

async function startSelf(o: {
  wrapper: string;
  log: Logger;
  timeoutMs: number;
  install: TimeSkippingEnvironment['install'];
}): Promise<TimeSkippingEnvironment> {
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const address = `127.0.0.1:${port}`;
    const proc = spawnGuarded({
      name: 'temporal-test-server',
      command: o.wrapper,
      args: [String(port), '--enable-time-skipping'],
      log: o.log,
      killAfterMs: 5_000,
    });
    try {
      await waitForTestServer(address, proc, o.timeoutMs);
    } catch (error) {
      await proc.stop();
      // the port we picked was taken before the JVM bound it
      if (attempt < 3 && /address already in use|BindException/i.test(proc.outputTail())) continue;
      throw error;
    }
    const startMs = Date.now() - t0;
    let testEnv: TestWorkflowEnvironment;
    try {
      testEnv = await connectTimeSkipping(address);
    } catch (error) {
      await proc.stop();
      throw error;
    }
    o.log.info({ ms: startMs, address }, 'time-skipping test server started');
    return {
      env: testEnv,
      mode: 'self',
      startMs,
      install: o.install,
      teardown: async () => {
        await testEnv.teardown();
        await proc.stop();
      },
    };
  }
}

/**
 * A time-skipping TestWorkflowEnvironment on a test server that is already running. The SDK's public
 * createFromExistingServer always turns time skipping off, so this goes through the same internal factory
 * createTimeSkipping uses (TestWorkflowEnvironment.create, @temporalio/testing 1.24.0) with the server marked
 * 'existing': teardown() then closes the connections and leaves stopping the server to us.
 */
export async function connectTimeSkipping(address: string, namespace = 'default'): Promise<TestWorkflowEnvironment> {
  const factory = TestWorkflowEnvironment as unknown as {
    create(opts: {
      server: { type: 'existing' };
      supportsTimeSkipping: true;
      address: string;
      namespace: string;
      connectionOptions?: Record<string, never>;
    }): Promise<TestWorkflowEnvironment>;
  };
  if (typeof factory.create !== 'function') {
    throw new TimeSkippingServerError('@temporalio/testing has no internal TestWorkflowEnvironment.create any more: use mode "sdk"');
  }
  const env = await factory.create({ server: { type: 'existing' }, supportsTimeSkipping: true, address, namespace });
  if (!env.supportsTimeSkipping) throw new TimeSkippingServerError('the test environment did not enable time skipping');
  return env;
}

function parseMode(value: string | undefined): TimeSkippingStartMode {
  const v = value?.trim();
  if (!v) return 'auto';
  if (v === 'sdk' || v === 'self' || v === 'auto') return v;
  throw new TimeSkippingServerError(`MYCELIUM_TIME_SKIPPING_MODE must be sdk, self or auto (got "${v}")`);
}

// ---------------------------------------------------------------------------------------------------------------

function run(command: string, args: string[], o: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: o.env, timeout: o.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
      reject(new TimeSkippingServerError(`\`${command} ${args.join(' ')}\` failed: ${error.message.split('\n')[0]}\n${output}`));
    });
  });
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temp, content, { mode });
  await fs.rename(temp, file);
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsc.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

// `npx tsx infra/time-skipping.ts`: warm the cache (CI), print the wrapper's path.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const log = pino({ name: 'time-skipping', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  try {
    const install = await ensureTimeSkippingServer({ log });
    log.info(install, 'time-skipping test server ready');
    process.stdout.write(`${install.wrapper}\n`);
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
