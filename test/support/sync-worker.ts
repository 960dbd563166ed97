/**
 * The service's workers in a process of their own, for tests that SIGKILL them mid-sync: openStack exactly as the
 * service opens it (main worker + one worker per provider queue, the real connector factories) over the test's
 * Postgres database and the test run's Temporal server. Run with `node --import tsx test/support/sync-worker.ts`
 * and an IPC channel; it reads:
 *
 *   TEMPORAL_TEST_ADDRESS                 the test run's Temporal server
 *   SYNC_WORKER_NAMESPACE, SYNC_WORKER_TASK_QUEUE
 *   SYNC_WORKER_OUTBOX_DIR                its outbox folder
 *   DATABASE_URL                          the Postgres database the test reads
 *   MYCELIUM_SECRET_KEY, MYCELIUM_*_BASE_URL   as for the service
 *
 * It sends { type: 'ready' } to the parent once its workers poll.
 */
import pino from 'pino';
import { openStack } from '../../clients/runtime';

export type SyncWorkerMessage = { type: 'ready' };

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const stack = await openStack({
  worker: true,
  temporalAddress: required('TEMPORAL_TEST_ADDRESS'),
  namespace: required('SYNC_WORKER_NAMESPACE'),
  taskQueue: required('SYNC_WORKER_TASK_QUEUE'),
  databaseUrl: required('DATABASE_URL'),
  pgliteDir: null,
  outboxDir: required('SYNC_WORKER_OUTBOX_DIR'),
  log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2)),
});
process.send?.({ type: 'ready' } satisfies SyncWorkerMessage);
process.on('SIGTERM', () => void stack.close().then(() => process.exit(0)));
