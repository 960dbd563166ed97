/**
 * The Db port and the migrations, on PGlite and on a real PostgreSQL server.
 */
import { cp, mkdtemp, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../activities/memory/db';
import { loadMigrations, migrate, MIGRATIONS_DIR, MigrationChecksumError } from '../../activities/memory/migrate';
import type { Db } from '../../activities/memory/ports';
import { createTestDatabase, DB_FLAVORS, type DbFlavor, useTestDatabase } from '../support/db';

async function withFreshDb<T>(flavor: DbFlavor, fn: (db: Db) => Promise<T>): Promise<T> {
  const database = await createTestDatabase(flavor);
  try {
    return await fn(database.db);
  } finally {
    await database.dispose();
  }
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mycelium-migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

const tableExists = async (db: Db, name: string) =>
  (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]?.t !== null;

describe.each(DB_FLAVORS)('Db on %s', (flavor) => {
  const database = useTestDatabase(flavor, { migrate: false });

  it('reports its flavor', () => {
    expect(database.db.flavor).toBe(flavor);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const { db } = database;
    await db.exec('CREATE TABLE tx_probe (n integer PRIMARY KEY)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES (1)');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (2)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (3)');
        await tx.query('INSERT INTO tx_probe VALUES (1)'); // duplicate key
      }),
    ).rejects.toThrow();
    const { rows } = await db.query<{ n: number }>('SELECT n FROM tx_probe ORDER BY n');
    expect(rows.map((r) => r.n)).toEqual([1]);
  });

  it('never shows a query from outside a transaction the uncommitted writes of it', async () => {
    const { db } = database;
    await db.exec('CREATE TABLE isolation_probe (n integer)');
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query('INSERT INTO isolation_probe VALUES (1)');
      inserted();
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error('rolled back on purpose');
    });
    const outside = insertedSignal.then(() => db.query<{ c: number }>('SELECT count(*)::int AS c FROM isolation_probe'));
    await expect(transaction).rejects.toThrow('rolled back on purpose');
    // On PGlite the query waits for the transaction; on a server it runs beside it. Neither sees the row.
    expect((await outside).rows[0]?.c).toBe(0);
  });

  it('refuses to be used from inside its own transaction instead of deadlocking', async () => {
    const { db } = database;
    await expect(db.transaction(() => db.query('SELECT 1'))).rejects.toThrow(/use the tx handle/);
    await expect(db.transaction(() => db.transaction(async () => 1))).rejects.toThrow(/use the tx handle/);
    // and the Db still works afterwards
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('refuses a transaction handle used after its transaction ended', async () => {
    const { db } = database;
    const leaked = await db.transaction(async (tx) => tx);
    await expect(leaked.query('SELECT 1')).rejects.toThrow(/after its transaction ended/);
  });

  it('runs multi-statement scripts, inside and outside transactions', async () => {
    const { db } = database;
    await db.exec('CREATE TABLE script_a (n int); CREATE TABLE script_b (n int);');
    await db.transaction((tx) => tx.exec('INSERT INTO script_a VALUES (1); INSERT INTO script_b VALUES (2);'));
    const { rows } = await db.query<{ a: number; b: number }>('SELECT (SELECT n FROM script_a) AS a, (SELECT n FROM script_b) AS b');
    expect(rows).toEqual([{ a: 1, b: 2 }]);
  });

  it('round-trips the types the store relies on', async () => {
    const { db } = database;
    const when = new Date('2026-03-02T10:00:00.123Z');
    const { rows } = await db.query<{ arr: string[]; doc: unknown; at: Date; n: number }>(
      'SELECT $1::text[] AS arr, $2::jsonb AS doc, $3::timestamptz AS at, $4::int AS n',
      [['a', 'b'], JSON.stringify({ x: [1, 'two'] }), when, 7],
    );
    expect(rows[0]).toEqual({ arr: ['a', 'b'], doc: { x: [1, 'two'] }, at: when, n: 7 });
  });
});

describe.each(DB_FLAVORS)('migrations on %s', (flavor) => {
  it('apply once, are recorded with their checksums, and are idempotent', async () => {
    await withFreshDb(flavor, async (db) => {
      const files = await loadMigrations();
      expect(files.length).toBeGreaterThan(0);

      const first = await migrate(db);
      expect(first.applied).toEqual(files.map((m) => m.file));
      const second = await migrate(db);
      expect(second.applied).toEqual([]);

      const { rows } = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
        'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => [r.version, r.name, r.checksum])).toEqual(files.map((m) => [m.version, m.name, m.checksum]));
      expect(rows.every((r) => r.applied_at instanceof Date)).toBe(true);
      for (const table of ['people', 'identities', 'sources', 'source_files', 'items', 'chunks', 'meetings', 'briefs', 'lineage', 'quarantine']) {
        expect(await tableExists(db, table), table).toBe(true);
      }
    });
  });

  it('refuse to run when an applied migration file changed, naming the file', async () => {
    const dir = await copyOfMigrations();
    try {
      await withFreshDb(flavor, async (db) => {
        await migrate(db, { dir });
        const [first] = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
        await appendFile(join(dir, first!), '\n-- edited after the fact\n');
        await writeFile(join(dir, '999_never_runs.sql'), 'CREATE TABLE never_runs (n int);');

        const error = await migrate(db, { dir }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationChecksumError);
        expect((error as Error).message).toContain(first);
        // nothing after the check ran
        expect(await tableExists(db, 'never_runs')).toBe(false);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('roll back a failing migration entirely and do not record it', async () => {
    const dir = await copyOfMigrations();
    try {
      await writeFile(join(dir, '900_half_broken.sql'), 'CREATE TABLE half_done (n int);\nSELECT * FROM no_such_table;\n');
      await withFreshDb(flavor, async (db) => {
        await expect(migrate(db, { dir })).rejects.toThrow(/no_such_table/);
        expect(await tableExists(db, 'half_done')).toBe(false);
        const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
        expect(rows.map((r) => r.version)).not.toContain(900);
        // the good ones before it stay applied
        expect(await tableExists(db, 'items')).toBe(true);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reject migration files that do not follow NNN_name.sql', async () => {
    const dir = await copyOfMigrations();
    try {
      await writeFile(join(dir, '7-oops.sql'), 'SELECT 1;');
      await expect(loadMigrations(dir)).rejects.toThrow(/7-oops\.sql/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('openDb', () => {
  it('keeps a PGlite database in its data folder across reopening, pgvector included', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mycelium-pglite-'));
    try {
      const first = await openDb({ dataDir });
      expect(first.flavor).toBe('pglite');
      await migrate(first);
      await first.exec(`CREATE EXTENSION IF NOT EXISTS vector; INSERT INTO sources (id, kind) VALUES ('kept', 'files');`);
      await first.close();

      const second = await openDb({ dataDir });
      try {
        expect((await migrate(second)).applied).toEqual([]);
        expect((await second.query<{ id: string }>('SELECT id FROM sources')).rows).toEqual([{ id: 'kept' }]);
        expect((await second.query<{ d: number }>(`SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d`)).rows[0]?.d).toBeCloseTo(1, 6);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('connects to a server when given a URL, even with a data folder', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const db = await openDb({ databaseUrl: database.url, dataDir: '/nonexistent/never-used' });
      try {
        expect(db.flavor).toBe('postgres');
        expect((await db.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db).toBe(new URL(database.url!).pathname.slice(1));
      } finally {
        await db.close();
      }
    } finally {
      await database.dispose();
    }
  });
});

describe('test databases', () => {
  it('fail the postgres variant with a clear message when TEST_DATABASE_URL is unset', async () => {
    const saved = process.env.TEST_DATABASE_URL;
    delete process.env.TEST_DATABASE_URL;
    try {
      await expect(createTestDatabase('postgres')).rejects.toThrow(/TEST_DATABASE_URL is not set/);
    } finally {
      if (saved !== undefined) process.env.TEST_DATABASE_URL = saved;
    }
  });
});
