/**
 * The time-skipping Temporal test server for workflow tests with day-long timers (infra/time-skipping.ts): the Java
 * test server from Maven Central, started per test file. Time stands still unless a test skips it
 * (`env.sleep(ms)`) or waits for a result through `env.client` (which skips to the next timer).
 *
 *   let ts: TimeSkippingEnvironment;
 *   beforeAll(async () => { ts = await timeSkippingEnv(); });
 *   afterAll(async () => { await ts?.teardown(); });
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino from 'pino';
import { startTimeSkippingEnvironment, type TimeSkippingEnvironment } from '../../infra/time-skipping';

export type { TimeSkippingEnvironment } from '../../infra/time-skipping';

export async function timeSkippingEnv(): Promise<TimeSkippingEnvironment> {
  quietSdkLogs();
  const log = pino({ name: 'time-skipping', level: process.env.MYCELIUM_TEST_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  return startTimeSkippingEnvironment({ log });
}

/** The SDK logs every worker state change at INFO; keep it to LOG_LEVEL (default warnings), as workers/worker.ts does. */
function quietSdkLogs(): void {
  const wanted = (process.env.LOG_LEVEL ?? 'warn').toUpperCase();
  const level: LogLevel = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const).find((l) => l === wanted) ?? 'WARN';
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // installed already (another helper, or a worker made first): keep it
  }
}
