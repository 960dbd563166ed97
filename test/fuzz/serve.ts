/**
 * A real Mycelium HTTP API for the fuzzer: the real stack (Temporal, an in-memory PGlite, a worker),
 * the sample team ingested through the `ingest` operation, an admin token, `createHttpApp` on a port.
 * Prints one JSON line `{"url": …, "token": …}` to stdout once it is serving; logs go to stderr.
 * SIGTERM / SIGINT: stop serving, close the stack, exit 0.
 *
 * Environment: MYCELIUM_HOME (a temp dir), PORT (default: any free one), TEMPORAL_ADDRESS (optional).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createHttpApp } from '../../clients/http/app';
import { tokenAuthenticator } from '../../clients/http/auth';
import { findOperation, operations } from '../../clients/registry';
import { invoke } from '../../clients/registry/invoke';
import { openStack } from '../../clients/runtime';

const sampleTeam = new URL('../../examples/acme', import.meta.url).pathname;

async function main(): Promise<void> {
  const stack = await openStack({ worker: true, pgliteDir: null, taskQueue: `fuzz-${process.pid}` });
  const admin = { personId: 'ines@acme.test', scope: 'admin' as const };
  // a source id of its own, so a dev server shared with other work never attaches us to its sync
  await invoke(findOperation('ingest')!, { folder: sampleTeam, sourceId: 'fuzz-acme' }, { principal: admin, surface: 'in-process', stack: async () => stack });
  const { token } = await stack.tokens.create({ personId: admin.personId, scope: 'admin', name: 'fuzz' });

  const app = createHttpApp({
    operations,
    authenticate: tokenAuthenticator(stack.tokens),
    stack: async () => stack,
    ready: () => true,
    log: stack.log,
  });
  const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info: AddressInfo) => {
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}`, token })}\n`);
  });

  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // idle keep-alive connections from the fuzzer would hold close() open
    (server as Server).closeAllConnections();
    await closed;
    await stack.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`fuzz server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
