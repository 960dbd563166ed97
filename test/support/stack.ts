/**
 * A test stack: the real wiring (openStack) against the test run's Temporal dev server and a fresh
 * store, with its own task queue and outbox so test files never see each other's work.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pino from 'pino';
import { openStack, type Stack } from '../../clients/runtime';
import type { ConnectorFactories } from '../../activities/connectors/registry';

export interface TestStack extends Stack {
  outboxDir: string;
}

export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through vitest (its globalSetup starts the Temporal dev server)');
  return address;
}

/** gRPC status ALREADY_EXISTS: the namespace was registered by an earlier file or run */
const ALREADY_EXISTS = 6;

/**
 * Each test file works in a namespace of its own, so workflow ids (business keys like `meeting:acme:…`)
 * never meet a run started by another file's worker.
 */
export async function ensureTestNamespace(namespace: string): Promise<void> {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  } catch (error) {
    if (!(isGrpcServiceError(error) && error.code === ALREADY_EXISTS)) throw error;
  } finally {
    await connection.close();
  }
}

export async function openTestStack(options: { name: string; databaseUrl?: string; now?: () => Date; connectors?: ConnectorFactories }): Promise<TestStack> {
  const namespace = `test-${options.name}`;
  await ensureTestNamespace(namespace);
  const outboxDir = await mkdtemp(join(tmpdir(), `mycelium-outbox-${options.name}-`));
  const stack = await openStack({
    worker: true,
    temporalAddress: testTemporalAddress(),
    namespace,
    databaseUrl: options.databaseUrl,
    pgliteDir: null,
    outboxDir,
    taskQueue: `test-${options.name}-${process.pid}`,
    log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
    now: options.now,
    connectors: options.connectors,
  });
  return { ...stack, outboxDir };
}
