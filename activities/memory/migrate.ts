/**
 * Versioned SQL migrations: `migrations/NNN_name.sql`, applied in version order, each in its
 * own transaction together with its row in `schema_migrations`. An applied file must never
 * change: its checksum is recorded and compared on every run.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../infra/paths';
import type { Db, Sql } from './ports';

// from the project root, not this module's URL: the compiled build (dist/) moves this module
export const MIGRATIONS_DIR = join(projectRoot, 'activities', 'memory', 'migrations');

const FILE_PATTERN = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
/** Serializes concurrent migrators (two workers starting at once) on a shared server. */
const ADVISORY_LOCK_KEY = 727_001_001;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** file names applied by this run, in order */
  applied: string[];
}

export class MigrationChecksumError extends Error {
  constructor(readonly file: string, readonly recorded: string, readonly actual: string) {
    super(
      `migration ${file} was changed after it was applied (recorded checksum ${recorded.slice(0, 12)}…, ` +
        `file now ${actual.slice(0, 12)}…): add a new migration instead of editing an applied one`,
    );
    this.name = 'MigrationChecksumError';
  }
}

/** sha256 of the file with line endings normalized, so a CRLF checkout is not a "change". */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  const seen = new Map<number, string>();
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`migration file ${file} does not match NNN_name.sql`);
    const version = Number(match[1]);
    const clash = seen.get(version);
    if (clash) throw new Error(`migrations ${clash} and ${file} share version ${version}`);
    seen.set(version, file);
    const sql = await readFile(join(dir, file), 'utf8');
    migrations.push({ version, name: match[2] ?? '', file, sql, checksum: checksumOf(sql) });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  checksum: string;
}

export async function migrate(db: Db, opts: { dir?: string } = {}): Promise<MigrateResult> {
  const migrations = await loadMigrations(opts.dir);

  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.exec(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
  });

  // Refuse to run anything while an applied file differs: the schema would no longer be what the files say.
  const recorded = await appliedChecksums(db);
  for (const m of migrations) verifyUnchanged(m, recorded.get(m.version));

  const applied: string[] = [];
  for (const m of migrations) {
    if (recorded.has(m.version)) continue;
    const ran = await db.transaction(async (tx) => {
      await lock(tx);
      // Another process may have applied it between our read and the lock.
      const now = await appliedChecksums(tx, m.version);
      if (now.has(m.version)) {
        verifyUnchanged(m, now.get(m.version));
        return false;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
      return true;
    });
    if (ran) applied.push(m.file);
  }
  return { applied };
}

async function lock(tx: Sql): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
}

async function appliedChecksums(sql: Sql, onlyVersion?: number): Promise<Map<number, string>> {
  const { rows } =
    onlyVersion === undefined
      ? await sql.query<AppliedRow>('SELECT version, checksum FROM schema_migrations')
      : await sql.query<AppliedRow>('SELECT version, checksum FROM schema_migrations WHERE version = $1', [onlyVersion]);
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

function verifyUnchanged(m: Migration, recordedChecksum: string | undefined): void {
  if (recordedChecksum !== undefined && recordedChecksum !== m.checksum) {
    throw new MigrationChecksumError(m.file, recordedChecksum, m.checksum);
  }
}
