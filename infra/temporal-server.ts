/**
 * The Temporal server Mycelium talks to: an existing one (TEMPORAL_ADDRESS, or the address of the Temporal profile
 * the environment selects: infra/temporal-connection.ts) or a local dev server (`temporal server start-dev`,
 * SQLite-backed, Web UI included) started and supervised from here.
 */
import net from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import type { Logger } from 'pino';
import { temporalConfig } from '../temporal.config';
import { describeExit, spawnGuarded, type ExitInfo, type GuardedProcess } from './guarded-process';
import {
  describeTemporalTarget,
  temporalConnectionOptions,
  temporalTargetFromEnv,
  type TemporalConnectionOptions,
  type TemporalConnectionSecurity,
  type TemporalTarget,
} from './temporal-connection';
import { temporalDbFile } from './paths';
import { resolveTemporalCli } from './temporal-cli';

/** Search attribute types as spelled by the CLI (`--search-attribute Name=Type`) and temporal.config.ts. */
export type SearchAttributeTypeName = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface SearchAttributeSpec {
  readonly name: string;
  readonly type: SearchAttributeTypeName;
}

/** The custom search attributes declared in temporal.config.ts. */
export const configuredSearchAttributes: readonly SearchAttributeSpec[] = Object.values(temporalConfig.searchAttributes);

/** temporal.api.enums.v1.IndexedValueType (wire values are part of the stable Temporal API). */
const INDEXED_VALUE_TYPE: Record<SearchAttributeTypeName, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};
const GRPC_ALREADY_EXISTS = 6;
const GRPC_NOT_FOUND = 5;

export class TemporalServerError extends Error {
  override readonly name = 'TemporalServerError';
}

/** A port we wanted is taken. `temporal` tells whether a Temporal frontend answers there. */
export class PortInUseError extends TemporalServerError {
  constructor(
    message: string,
    readonly port: number,
    readonly temporal: boolean,
  ) {
    super(message);
  }
}

export interface StartTemporalDevServerOptions {
  /** path of the `temporal` CLI (see resolveTemporalCli) */
  cli: string;
  log: Logger;
  /** SQLite file (directory is created); null = in-memory. Default: `.mycelium/temporal.sqlite` */
  dbFile?: string | null;
  /** interface to bind (default 127.0.0.1) */
  ip?: string;
  /** frontend gRPC port; 0 = a free port. Default temporalConfig.devServer.port */
  port?: number;
  /** Web UI port; 0 = a free port, false = no UI. Default: 0 when port is 0, else port + 1000 */
  uiPort?: number | false;
  /** namespace created at startup (default temporalConfig.namespace) */
  namespace?: string;
  /** registered at startup (default: those in temporal.config.ts) */
  searchAttributes?: readonly SearchAttributeSpec[];
  /** how long to wait for the server to answer (default 60 s) */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period for stop() (default 10 s) */
  stopGraceMs?: number;
  /** extra `temporal server start-dev` flags */
  extraArgs?: readonly string[];
}

export interface TemporalDevServer {
  /** host:port of the frontend, for Connection/NativeConnection */
  address: string;
  namespace: string;
  /** Web UI URL, undefined when started headless */
  uiUrl: string | undefined;
  pid: number | undefined;
  /** resolves when the server process exits */
  exited: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL after the grace period; idempotent */
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: StartTemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = opts.log.child({ component: 'temporal-server' });
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? temporalConfig.namespace;
  const searchAttributes = opts.searchAttributes ?? configuredSearchAttributes;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const requestedPort = opts.port ?? temporalConfig.devServer.port;
  const dbFile = opts.dbFile === undefined ? temporalDbFile() : opts.dbFile;

  if (dbFile) await fs.mkdir(path.dirname(path.resolve(dbFile)), { recursive: true });
  for (const sa of searchAttributes) {
    if (!(sa.type in INDEXED_VALUE_TYPE)) throw new TemporalServerError(`unknown search attribute type ${sa.type} for ${sa.name}`);
  }
  const autoPorts = requestedPort === 0 || opts.uiPort === 0 || (opts.uiPort === undefined && requestedPort === 0);

  const t0 = Date.now();
  const deadline = t0 + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const port = requestedPort === 0 ? await findFreePort(ip) : requestedPort;
    if (requestedPort !== 0) await assertPortFree(ip, port, 'Temporal frontend');
    let uiPort: number | false = false;
    let uiPortFixed = false;
    if (opts.uiPort === 0 || (opts.uiPort === undefined && requestedPort === 0)) {
      do {
        uiPort = await findFreePort(ip);
      } while (uiPort === port);
    } else if (opts.uiPort === undefined) {
      uiPort = port + 1000;
      uiPortFixed = true;
    } else if (opts.uiPort !== false) {
      uiPort = opts.uiPort;
      uiPortFixed = true;
    }
    if (uiPort !== false && uiPortFixed) await assertPortFree(ip, uiPort, 'Temporal Web UI');

    const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
    if (uiPort === false) args.push('--headless');
    else args.push('--ui-port', String(uiPort));
    if (dbFile) args.push('--db-filename', path.resolve(dbFile));
    for (const sa of searchAttributes) args.push('--search-attribute', `${sa.name}=${sa.type}`);
    args.push(...(opts.extraArgs ?? []));

    const address = `${ip}:${port}`;
    const uiUrl = uiPort === false ? undefined : `http://${ip}:${uiPort}`;
    log.info({ cli: opts.cli, address, uiUrl, dbFile: dbFile ?? '(in-memory)', namespace }, 'starting Temporal dev server');
    const proc = spawnGuarded({
      name: 'temporal',
      command: opts.cli,
      args,
      log,
      stopSignal: 'SIGTERM',
      killAfterMs: opts.stopGraceMs ?? 10_000,
    });

    let lastError: unknown;
    let retry = false;
    for (;;) {
      const info = proc.exitInfo();
      if (info) {
        const tail = proc.outputTail();
        // a port we picked as free was taken before the server bound it
        if (autoPorts && attempt < 3 && /address already in use/i.test(tail)) {
          log.warn({ address, uiUrl }, 'a chosen port was taken before the server bound it; retrying with other ports');
          retry = true;
          break;
        }
        throw new TemporalServerError(
          `Temporal dev server (${opts.cli}) ${describeExit(info)} before it became ready on ${address}.` + tailSection(tail),
        );
      }
      if (Date.now() > deadline) {
        await proc.stop(2000);
        throw new TemporalServerError(
          `Temporal dev server did not answer on ${address} within ${Math.round(timeoutMs / 1000)} s` +
            (lastError ? ` (last error: ${errMessage(lastError)})` : '') +
            '.' +
            tailSection(proc.outputTail()),
        );
      }
      if (await tcpOpen(ip, port, 500)) {
        try {
          await checkTemporal(address, namespace, Math.min(5000, Math.max(500, deadline - Date.now())));
          if (!proc.exitInfo()) break; // (still ours answering)
        } catch (err) {
          lastError = err;
        }
      }
      await Promise.race([sleep(200), proc.exited]);
    }
    if (retry) continue;
    return finishStart({ proc, address, uiUrl, namespace, searchAttributes, log, readyMs: Date.now() - t0 });
  }
}

async function finishStart(o: {
  proc: GuardedProcess;
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  searchAttributes: readonly SearchAttributeSpec[];
  log: Logger;
  readyMs: number;
}): Promise<TemporalDevServer> {
  const { proc, address, uiUrl, namespace, searchAttributes, log, readyMs } = o;

  let stopping = false;
  void proc.exited.then((info) => {
    if (!stopping) log.error({ tail: proc.outputTail() }, `Temporal dev server ${describeExit(info)} unexpectedly`);
  });
  const server: TemporalDevServer = {
    address,
    namespace,
    uiUrl,
    pid: proc.pid,
    exited: proc.exited,
    stop: async () => {
      stopping = true;
      await proc.stop();
    },
  };

  try {
    // registered by the CLI flags already; this verifies it (and is a no-op then)
    await withConnection(address, 10_000, (c) => ensureSearchAttributes(c, namespace, searchAttributes, log));
  } catch (err) {
    await server.stop();
    throw err;
  }
  log.info({ address, uiUrl, pid: proc.pid, ms: readyMs }, 'Temporal dev server ready');
  return server;
}

// ---------------------------------------------------------------------------------------------------------------

export interface EnsureTemporalOptions {
  log: Logger;
  /**
   * read TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
   * TEMPORAL_UI_URL, TEMPORAL_CLI, PATH... from here (default process.env)
   */
  env?: NodeJS.ProcessEnv;
  /** default: TEMPORAL_NAMESPACE, else the profile's, else temporal.config.ts's */
  namespace?: string;
  /**
   * With no server named (no TEMPORAL_ADDRESS, no profile address) and none on the dev-server port: start a dev
   * server (default true), or fail saying how to name one (a worker process that should join a running system).
   */
  startDevServer?: boolean;
  searchAttributes?: readonly SearchAttributeSpec[];
  /** dev-server settings, used only when TEMPORAL_ADDRESS is unset; defaults from temporal.config.ts / paths.ts */
  dbFile?: string | null;
  port?: number;
  uiPort?: number | false;
  startTimeoutMs?: number;
  /** how long to wait for an existing server (TEMPORAL_ADDRESS, or one found on the dev-server port) to answer (default 10 s) */
  connectTimeoutMs?: number;
  /**
   * When the dev-server port already has a Temporal server (e.g. a `myc dev` in another terminal), use it
   * instead of failing (default true). Its stop() is then a no-op.
   */
  reuseRunning?: boolean;
}

export interface TemporalHandle {
  address: string;
  /**
   * TLS, API key and gRPC headers of the connection (from the Temporal profile and TEMPORAL_* variables; empty for
   * a local dev server). Secret: pass it to Connection / NativeConnection.connect, never to a log or a workflow.
   */
  security: TemporalConnectionSecurity;
  namespace: string;
  uiUrl: string | undefined;
  /** whether this call started the server (stop() only stops what we started) */
  started: boolean;
  stop(): Promise<void>;
}

/**
 * A server named by the environment (TEMPORAL_ADDRESS, or the selected Temporal profile's address) → check that it
 * answers and has our namespace and search attributes (adding missing ones), connecting with the profile's TLS /
 * API key. Otherwise reuse a server on the dev-server port, or resolve the CLI and start a local dev server.
 */
export async function ensureTemporal(opts: EnsureTemporalOptions): Promise<TemporalHandle> {
  const env = opts.env ?? process.env;
  const log = opts.log.child({ component: 'temporal' });
  const target: TemporalTarget = temporalTargetFromEnv(env);
  const namespace = opts.namespace ?? target.namespace ?? temporalConfig.namespace;
  const searchAttributes = opts.searchAttributes ?? configuredSearchAttributes;
  const external = target.address;
  const uiUrlFromEnv = env.TEMPORAL_UI_URL?.trim() || undefined;
  const fromWhere = env.TEMPORAL_ADDRESS?.trim() ? 'TEMPORAL_ADDRESS' : `the Temporal profile ${target.profile ?? ''}`.trim();

  const useExisting = async (address: string, security: TemporalConnectionSecurity, why: string): Promise<TemporalHandle> => {
    // logs and messages describe the connection (address, profile, "API key"); the key and certificates stay in `security`
    const shown = external ? { ...target, address, security } : { address, security };
    log.info({ temporal: describeTemporalTarget({ ...shown, namespace }) }, why);
    const options = temporalConnectionOptions(address, security);
    try {
      await checkTemporal(options, namespace, opts.connectTimeoutMs ?? 10_000);
    } catch (err) {
      throw new TemporalServerError(
        `Temporal server at ${describeTemporalTarget({ ...shown, namespace: undefined })} is not usable: ${errMessage(err)}` +
          (external ? ` (from ${fromWhere}; unset it to have Mycelium start a local dev server)` : ''),
      );
    }
    await withConnection(options, 15_000, (c) => ensureSearchAttributes(c, namespace, searchAttributes, log));
    return { address, security, namespace, uiUrl: uiUrlFromEnv, started: false, stop: async () => {} };
  };

  if (external) return useExisting(external, target.security, `using the Temporal server from ${fromWhere}`);

  const reuse = async (port: number): Promise<TemporalHandle> => {
    const handle = await useExisting(`127.0.0.1:${port}`, {}, 'a Temporal server is already running on the dev-server port; reusing it');
    const uiPort = opts.uiPort ?? port + 1000;
    return { ...handle, uiUrl: uiUrlFromEnv ?? (uiPort === false || uiPort === 0 ? undefined : `http://127.0.0.1:${uiPort}`) };
  };
  // a server already on the port needs no CLI (which might otherwise have to be built first)
  const port = opts.port ?? temporalConfig.devServer.port;
  if (port !== 0 && (opts.reuseRunning ?? true) && !(await isPortFree('127.0.0.1', port)) && (await isTemporalServer(`127.0.0.1:${port}`))) {
    return reuse(port);
  }

  if (opts.startDevServer === false) {
    throw new TemporalServerError(
      `no Temporal server to join: set TEMPORAL_ADDRESS (host:port), or TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE (a Temporal profile), ` +
        `or start the service on this machine first (myc serve / myc dev: a dev server on port ${port})`,
    );
  }
  const cli = await resolveTemporalCli({ log, env });
  try {
    const server = await startTemporalDevServer({
      cli,
      log,
      namespace,
      searchAttributes,
      dbFile: opts.dbFile === undefined ? temporalDbFile(env) : opts.dbFile,
      port: opts.port,
      uiPort: opts.uiPort,
      startTimeoutMs: opts.startTimeoutMs,
    });
    return { address: server.address, security: {}, namespace, uiUrl: server.uiUrl, started: true, stop: server.stop };
  } catch (err) {
    // (started in the meantime)
    if (err instanceof PortInUseError && err.temporal && err.port === port && (opts.reuseRunning ?? true)) return reuse(port);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Makes sure the namespace has the given custom search attributes: adds the missing ones, fails on a type
 * conflict. Tolerates a concurrent add (ALREADY_EXISTS).
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: readonly SearchAttributeSpec[],
  log: Logger,
): Promise<void> {
  if (wanted.length === 0) return;
  const existing = await listCustomSearchAttributes(connection, namespace);
  const missing: Record<string, number> = {};
  for (const sa of wanted) {
    const want = INDEXED_VALUE_TYPE[sa.type];
    const have = existing[sa.name];
    if (have === undefined) missing[sa.name] = want;
    else if (have !== want) {
      throw new TemporalServerError(
        `search attribute ${sa.name} exists in namespace ${namespace} with type ${typeName(have)}, but ${sa.type} is configured`,
      );
    }
  }
  const names = Object.keys(missing);
  if (names.length === 0) {
    log.debug({ namespace }, 'search attributes present');
    return;
  }
  log.info({ namespace, add: names }, 'registering search attributes');
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS) {
      log.debug({ namespace }, 'search attributes were added concurrently');
      return;
    }
    throw new TemporalServerError(`could not register search attributes ${names.join(', ')} in namespace ${namespace}: ${errMessage(err)}`);
  }
}

/** Custom search attributes of a namespace: name → IndexedValueType wire value. */
export async function listCustomSearchAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(res.customAttributes ?? {})) out[k] = Number(v);
  return out;
}

/** Human name of an IndexedValueType wire value. */
export function typeName(indexedValueType: number): string {
  return (Object.entries(INDEXED_VALUE_TYPE).find(([, v]) => v === indexedValueType)?.[0] ?? `#${indexedValueType}`) as string;
}

/** Throws unless a Temporal frontend at `address` answers and knows `namespace`, within `timeoutMs`. */
export async function checkTemporal(server: string | TemporalConnectionOptions, namespace: string, timeoutMs: number): Promise<void> {
  const address = typeof server === 'string' ? server : server.address;
  await withConnection(server, timeoutMs, async (c) => {
    try {
      await c.withDeadline(Date.now() + timeoutMs, () => c.workflowService.describeNamespace({ namespace }));
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) {
        throw new TemporalServerError(`namespace ${namespace} does not exist on ${address} (create it: temporal operator namespace create ${namespace})`);
      }
      throw err;
    }
  });
}

/** Whether a Temporal frontend answers at `address` (getSystemInfo) within `timeoutMs`. */
export async function isTemporalServer(address: string, timeoutMs = 3000): Promise<boolean> {
  try {
    await withConnection(address, timeoutMs, (c) => c.withDeadline(Date.now() + timeoutMs, () => c.workflowService.getSystemInfo({})));
    return true;
  } catch {
    return false;
  }
}

async function withConnection<T>(server: string | TemporalConnectionOptions, timeoutMs: number, fn: (c: Connection) => Promise<T>): Promise<T> {
  const options = typeof server === 'string' ? { address: server } : server;
  const connection = await Connection.connect({ ...options, connectTimeout: timeoutMs });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** A TCP port that was free on `host` a moment ago. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Whether we could bind `host:port` right now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err)));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (await isPortFree(host, port)) return;
  if (what !== 'Temporal frontend') {
    throw new PortInUseError(`port ${port} (${what}) on ${host} is already in use. Free it or pick another port.`, port, false);
  }
  const temporal = await isTemporalServer(`${host}:${port}`, 2000);
  throw new PortInUseError(
    temporal
      ? `port ${port} (${what}) is already used by another Temporal server. Stop it, use it via TEMPORAL_ADDRESS=${host}:${port}, or pick another port.`
      : `port ${port} (${what}) on ${host} is in use by something that is not a Temporal server. Free it or pick another port` +
        ` (e.g. set TEMPORAL_ADDRESS to use a server elsewhere).`,
    port,
    temporal,
  );
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function tailSection(tail: string): string {
  return tail ? `\nLast server output:\n${tail}` : ' (no output)';
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
