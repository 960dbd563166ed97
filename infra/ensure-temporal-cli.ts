/**
 * Makes sure a Temporal CLI is available (cached, downloaded or built) and prints its path on stdout.
 * Logs go to stderr. Used by .ci/run:  TEMPORAL_CLI="$(npx tsx infra/ensure-temporal-cli.ts)"
 * Prints nothing (exit 0) when TEMPORAL_ADDRESS is set: no local server is needed then.
 */
import pino from 'pino';
import { resolveTemporalCliDetailed, TemporalCliError } from './temporal-cli';

const log = pino({ name: 'ensure-temporal-cli', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));

if (process.env.TEMPORAL_ADDRESS?.trim()) {
  log.info({ address: process.env.TEMPORAL_ADDRESS }, 'TEMPORAL_ADDRESS is set; no local Temporal CLI needed');
} else {
  try {
    const cli = await resolveTemporalCliDetailed({ log });
    log.info(cli, 'Temporal CLI ready');
    process.stdout.write(`${cli.path}\n`);
  } catch (err) {
    if (err instanceof TemporalCliError) {
      process.stderr.write(`\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
