/**
 * Real databases for tests, one per describe block: an in-memory PGlite, or a FRESH database
 * created on the PostgreSQL server named by TEST_DATABASE_URL (an admin URL) and dropped after.
 *
 *   describe.each(DB_FLAVORS)('store on %s', (flavor) => {
 *     const database = useTestDatabase(flavor);
 *     it('…', async () => { const db = database.db; … });
 *   });
 *
 * The postgres variant FAILS (never skips) without TEST_DATABASE_URL: a silently skipped half of
 * the suite would read as green.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openPglite, openPostgres } from '../../activities/memory/db';
import { migrate } from '../../activities/memory/migrate';
import type { Db } from '../../activities/memory/ports';

export type DbFlavor = Db['flavor'];
export const DB_FLAVORS: DbFlavor[] = ['pglite', 'postgres'];

export interface TestDatabase {
  db: Db;
  flavor: DbFlavor;
  /** the fresh database's URL (postgres only) */
  url?: string;
  dispose(): Promise<void>;
}

const SETUP_TIMEOUT_MS = 60_000;

export function testDatabaseAdminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'TEST_DATABASE_URL is not set: the postgres variant of these tests needs an admin URL of a PostgreSQL server ' +
        '(e.g. postgres://postgres@127.0.0.1:55432/postgres); vitest globalSetup normally provides one',
    );
  }
  return url;
}

/** A new, empty database of the given flavor; `migrate: true` applies the migrations. */
export async function createTestDatabase(flavor: DbFlavor, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const created = flavor === 'pglite' ? await createPglite() : await createPostgres();
  if (opts.migrate) {
    try {
      await migrate(created.db);
    } catch (error) {
      await created.dispose();
      throw error;
    }
  }
  return created;
}

async function createPglite(): Promise<TestDatabase> {
  const db = await openPglite(undefined);
  return { db, flavor: 'pglite', dispose: () => db.close() };
}

async function createPostgres(): Promise<TestDatabase> {
  const adminUrl = testDatabaseAdminUrl();
  const name = `mycelium_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  return {
    db,
    flavor: 'postgres',
    url: url.toString(),
    dispose: async () => {
      await db.close();
      // FORCE (PG 13+): a connection leaked by a failed test must not keep the database alive.
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(adminUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Registers beforeAll/afterAll in the current describe block; read `.db` inside tests.
 * Migrated by default.
 */
export function useTestDatabase(flavor: DbFlavor, opts: { migrate?: boolean } = {}): { readonly db: Db; readonly flavor: DbFlavor } {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase(flavor, { migrate: opts.migrate ?? true });
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await current?.dispose();
  }, SETUP_TIMEOUT_MS);
  return {
    flavor,
    get db(): Db {
      if (!current) throw new Error(`the ${flavor} test database is not open (did its beforeAll fail?)`);
      return current.db;
    },
  };
}

/** Empties every table except the migration record, so tests in one block start from nothing. */
export async function truncateAll(db: Db): Promise<void> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables
     WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`,
  );
  if (rows.length > 0) await db.exec(`TRUNCATE ${rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
}
