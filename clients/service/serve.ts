/**
 * `myc serve`: the long-running Mycelium process. It owns the store (and the PGlite lock), the
 * worker and the HTTP API (MCP at /mcp); it writes where it listens to MYCELIUM_HOME/service.json
 * and keeps the owner's admin token there for the CLI on this machine.
 *
 * SIGTERM / SIGINT: stop taking requests (listener closed, /readyz 503), let the worker finish its
 * in-flight tasks, close the store, release the lock, remove service.json, exit 0. Workflows that
 * were running go on in Temporal and continue once a worker is back.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { tokenAuthenticator } from '../http/auth';
import { createHttpApp } from '../http/app';
import { operations } from '../registry';
import { UserError } from '../registry/errors';
import { defaultLogger, openStack, type Stack } from '../runtime';
import { applySchedules } from '../schedules';
import { createWebhookRoutes } from '../webhooks/routes';
import { myceliumHome } from '../../infra/paths';
import { removeServiceInfo, writeServiceInfo, type ServiceInfo } from './discovery';
import { ensureOwnerToken } from './owner';
import { untilSignal } from './signals';

export const DEFAULT_PORT = 8787;

export interface ServeOptions {
  /** a port asked for explicitly must be free; the default falls back to any free port */
  port?: number;
  host?: string;
  /** `myc dev`: also print where the Temporal UI, the API docs and MCP are */
  dev?: boolean;
  /** where the service says what it is doing (stdout in the CLI) */
  say?: (line: string) => void;
  /** resolves when the service should stop (default: SIGTERM or SIGINT) */
  stopSignal?: Promise<string>;
}

// createAdaptorServer without http2 options makes a node:http server
type Server = HttpServer;

export async function runService(options: ServeOptions = {}): Promise<void> {
  const say = options.say ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const home = myceliumHome();
  const host = options.host ?? '127.0.0.1';
  let ready = false;
  let stack: Promise<Stack> | undefined;
  const stackNow = (): Promise<Stack> => stack ?? Promise.reject(new UserError('the service is starting'));

  const log = defaultLogger();
  const app = createHttpApp({
    operations,
    authenticate: tokenAuthenticator(async () => (await stackNow()).tokens),
    stack: stackNow,
    ready: () => ready,
    webhooks: createWebhookRoutes({ stack: stackNow, log }),
    log,
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  const port = await listen(server, host, options.port, say);
  const url = `http://${urlHost(host)}:${port}`;

  const stopRequested = options.stopSignal ?? untilSignal();
  let opened: Stack;
  try {
    stack = openStack({ worker: true, owner: { kind: 'service', url }, log });
    opened = await stack;
  } catch (error) {
    await closeServer(server);
    throw error;
  }
  try {
    await ensureOwnerToken(opened.tokens, home);
    const info: ServiceInfo = {
      url,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      ...(opened.uiUrl ? { temporalUiUrl: opened.uiUrl } : {}),
      namespace: opened.namespace,
    };
    // the declared schedules (temporal.config.ts) are made so at every start, and whenever sources change
    const reconcile = async (): Promise<void> => {
      const applied = await applySchedules(opened);
      if (applied.created.length + applied.updated.length + applied.deleted.length > 0) log.info(applied, 'schedules applied');
    };
    await reconcile().catch((error: unknown) => say(`schedules not applied: ${error instanceof Error ? error.message : String(error)}`));
    opened.onSourcesChanged = reconcile;
    await writeServiceInfo(info, home);
    ready = true;
    say(`Mycelium service at ${url} (pid ${process.pid}, namespace ${opened.namespace})`);
    if (options.dev) {
      say(`  Temporal Web UI: ${opened.uiUrl ?? '(an external Temporal server; set TEMPORAL_UI_URL to link it)'}`);
      say(`  API docs:        ${url}/docs`);
      say(`  MCP:             ${url}/mcp`);
      say('Press Ctrl+C to stop.');
    }

    const signal = await stopRequested;
    say(`${signal}: stopping (no new requests; letting the worker finish its tasks)…`);
  } finally {
    ready = false;
    // stop accepting; requests still waiting on a workflow are cut off below, the workflow itself goes on in Temporal
    const closed = closeServer(server);
    server.closeIdleConnections();
    await opened.close();
    server.closeAllConnections();
    await closed;
    await removeServiceInfo(process.pid, home);
  }
  say('stopped.');
}

/** The default port, or any free one (said so) when it is taken; a port asked for must be free. */
async function listen(server: Server, host: string, port: number | undefined, say: (line: string) => void): Promise<number> {
  try {
    return await listenOn(server, host, port ?? DEFAULT_PORT);
  } catch (error) {
    const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!taken) throw error;
    if (port !== undefined) throw new UserError(`serve: port ${port} on ${host} is taken (choose another with --port)`);
    const chosen = await listenOn(server, host, 0);
    say(`port ${DEFAULT_PORT} is taken; listening on ${chosen} instead (choose one with --port)`);
    return chosen;
  }
}

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

function urlHost(host: string): string {
  // a wildcard bind is reached locally through the loopback address
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
