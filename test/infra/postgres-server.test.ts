import fs from 'node:fs/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresServerError, startThrowawayPostgres } from '../../infra/postgres-server';
import { findFreePort } from '../../infra/temporal-server';
import { cleanEnv, log, tcpOpen, waitFor } from './helpers';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startThrowawayPostgres', () => {
  it('starts a trust-auth server on 127.0.0.1, usable, and removes everything on stop', async () => {
    const t0 = Date.now();
    const db = await startThrowawayPostgres({ log, env: cleanEnv() });
    const startMs = Date.now() - t0;
    let port = 0;
    try {
      expect(db.started).toBe(true);
      expect(db.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      port = Number(new URL(db.url).port);

      await query(db.url, 'create table t (id int primary key, name text)');
      await query(db.url, "insert into t values (1, 'mycelium')");
      expect(await query(db.url, 'select name from t')).toEqual([{ name: 'mycelium' }]);
      const [settings] = await query<{ fsync: string; listen: string; user: string }>(
        db.url,
        "select current_setting('fsync') as fsync, current_setting('listen_addresses') as listen, current_user as user",
      );
      expect(settings).toEqual({ fsync: 'off', listen: '127.0.0.1', user: 'postgres' });
      await expect(fs.stat(db.dir!)).resolves.toBeTruthy();
      log.info({ startMs }, 'postgres start time');
    } finally {
      await db.stop();
    }
    expect(await tcpOpen('127.0.0.1', port)).toBe(false);
    await expect(fs.stat(db.dir!)).rejects.toThrow(/ENOENT/);
    await db.stop(); // idempotent
  });

  it('runs two instances side by side', async () => {
    const [a, b] = await Promise.all([startThrowawayPostgres({ log, env: cleanEnv() }), startThrowawayPostgres({ log, env: cleanEnv() })]);
    try {
      expect(a.url).not.toBe(b.url);
      await query(a.url, 'create table only_in_a (x int)');
      expect(await query(b.url, "select to_regclass('only_in_a') as t")).toEqual([{ t: null }]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('uses TEST_DATABASE_URL when set and starts nothing', async () => {
    const real = await startThrowawayPostgres({ log, env: cleanEnv() });
    try {
      const db = await startThrowawayPostgres({ log, env: cleanEnv({ TEST_DATABASE_URL: real.url, PG_BIN: '/nonexistent' }) });
      expect(db).toMatchObject({ url: real.url, started: false, dir: undefined });
      await db.stop(); // must not stop the server it did not start
      expect(await query(real.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await real.stop();
    }
  });

  it('fails clearly on an unreachable TEST_DATABASE_URL and a bad PG_BIN', async () => {
    const port = await findFreePort();
    await expect(
      startThrowawayPostgres({ log, env: cleanEnv({ TEST_DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/x` }) }),
    ).rejects.toThrow(new RegExp(`TEST_DATABASE_URL \\(postgres://u:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x\\) is not reachable`));

    const err = await startThrowawayPostgres({ log, env: cleanEnv({ PG_BIN: '/nonexistent/bin' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresServerError);
    expect((err as Error).message).toMatch(/PG_BIN=\/nonexistent\/bin does not contain the PostgreSQL server binaries/);
  });

  it('the test run has its database: TEST_DATABASE_URL from globalSetup is inherited', async () => {
    const url = process.env.TEST_DATABASE_URL;
    expect(url).toMatch(/^postgres:\/\//);
    await waitFor(async () => (await query<{ ok: number }>(url!, 'select 1 as ok'))[0]?.ok === 1, 5000, 'test database');
  });
});
