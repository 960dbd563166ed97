/**
 * The test run's Temporal server (started once by test/global-setup.ts), as a TestWorkflowEnvironment.
 * TestWorkflowEnvironment.createLocal() would start a server per file and gives it only 5 s to come up,
 * which is too tight on small CI machines.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

export function temporalTestAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS || inject('temporalAddress');
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through vitest (test/global-setup.ts starts the server)');
  return address;
}

export function temporalTestNamespace(): string {
  return process.env.TEMPORAL_TEST_NAMESPACE || inject('temporalNamespace') || 'default';
}

/** A TestWorkflowEnvironment on the shared test server; call `teardown()` when done (e.g. in afterAll). */
export async function testWorkflowEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: temporalTestAddress(), namespace: temporalTestNamespace() });
}
