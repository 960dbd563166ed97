/**
 * A test stack: the real wiring (openStack) against the test run's Temporal dev server and a fresh
 * store, with its own task queue and outbox so test files never see each other's work.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openStack, type Stack } from '../../clients/runtime';

export interface TestStack extends Stack {
  outboxDir: string;
}

export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through vitest (its globalSetup starts the Temporal dev server)');
  return address;
}

export async function openTestStack(options: { name: string; databaseUrl?: string; now?: () => Date }): Promise<TestStack> {
  const outboxDir = await mkdtemp(join(tmpdir(), `mycelium-outbox-${options.name}-`));
  const stack = await openStack({
    worker: true,
    temporalAddress: testTemporalAddress(),
    databaseUrl: options.databaseUrl,
    pgliteDir: null,
    outboxDir,
    taskQueue: `test-${options.name}-${process.pid}`,
    log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
    now: options.now,
  });
  return { ...stack, outboxDir };
}
