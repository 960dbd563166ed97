/**
 * A throwaway PostgreSQL server for tests and CI: initdb into a temp dir, trust auth, 127.0.0.1 on a free port,
 * durability off. Or, when TEST_DATABASE_URL is set, just that database (nothing is started).
 */
import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { describeExit, spawnGuarded } from './guarded-process';
import { findOnPath } from './temporal-cli';
import { findFreePort } from './temporal-server';

export interface StartThrowawayPostgresOptions {
  log: Logger;
  /** reads TEST_DATABASE_URL, PG_BIN, PG_USER, PATH (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** port to listen on; default a free one */
  port?: number;
  /** how long to wait for initdb + startup (default 60 s) */
  startTimeoutMs?: number;
  /** server binaries to use (e.g. the pgvector-capable ones of infra/pgvector-server.ts); default findPostgresBinDir */
  binDir?: string;
}

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (or TEST_DATABASE_URL) */
  url: string;
  /** false when TEST_DATABASE_URL was used */
  started: boolean;
  /** temp dir holding data dir and unix socket; undefined when not started */
  dir: string | undefined;
  /** fast shutdown, then removes the temp dir; no-op when not started */
  stop(): Promise<void>;
}

export class PostgresServerError extends Error {
  override readonly name = 'PostgresServerError';
}

export async function startThrowawayPostgres(opts: StartThrowawayPostgresOptions): Promise<ThrowawayPostgres> {
  const env = opts.env ?? process.env;
  const log = opts.log.child({ component: 'postgres' });
  const timeoutMs = opts.startTimeoutMs ?? 60_000;

  const given = env.TEST_DATABASE_URL?.trim();
  if (given) {
    log.info({ url: redact(given) }, 'using TEST_DATABASE_URL; not starting a Postgres server');
    try {
      await queryOnce(given, 10_000);
    } catch (err) {
      throw new PostgresServerError(`TEST_DATABASE_URL (${redact(given)}) is not reachable: ${errMessage(err)}`);
    }
    return { url: given, started: false, dir: undefined, stop: async () => {} };
  }

  const t0 = Date.now();
  const binDir = opts.binDir ?? (await findPostgresBinDir(env));
  const runAs = await chooseUser(env);
  const baseTmp = await pickTempBase(runAs !== undefined);
  const dir = await fs.mkdtemp(path.join(baseTmp, 'mycelium-pg-'));
  const dataDir = path.join(dir, 'data');
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  try {
    if (runAs) await fs.chown(dir, runAs.uid, runAs.gid);
    await fs.chmod(dir, 0o700);
    const childEnv: NodeJS.ProcessEnv = { ...env, HOME: dir, LC_ALL: 'C', LANG: 'C' };
    delete childEnv.PGDATA;

    log.debug({ binDir, dir, user: runAs?.name }, 'initdb');
    await run(
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { env: childEnv, cwd: dir, uid: runAs?.uid, gid: runAs?.gid, timeoutMs },
    );
    const initdbMs = Date.now() - t0;

    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await findFreePort('127.0.0.1'));
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const proc = spawnGuarded({
        name: 'postgres',
        command: path.join(binDir, 'postgres'),
        args: [
          '-D', dataDir,
          '-p', String(port),
          '-k', dir,
          '-c', 'listen_addresses=127.0.0.1',
          // throwaway: no durability
          '-c', 'fsync=off',
          '-c', 'synchronous_commit=off',
          '-c', 'full_page_writes=off',
          '-c', 'max_connections=200',
        ],
        log,
        env: childEnv,
        cwd: dir,
        uid: runAs?.uid,
        gid: runAs?.gid,
        stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM would wait for clients to disconnect
        killAfterMs: 10_000,
      });

      const deadline = Date.now() + Math.max(5000, timeoutMs - (Date.now() - t0));
      let lastError: unknown;
      let ready = false;
      while (!ready) {
        const info = proc.exitInfo();
        if (info) {
          const tail = proc.outputTail();
          if (opts.port === undefined && attempt < 3 && /could not (bind|create listen)|address already in use/i.test(tail)) {
            log.warn({ port }, 'port taken between choosing and binding it; retrying');
            break;
          }
          throw new PostgresServerError(`postgres ${describeExit(info)} during startup.\n${tail}`);
        }
        if (Date.now() > deadline) {
          await proc.stop(2000);
          throw new PostgresServerError(
            `postgres did not accept connections on 127.0.0.1:${port} within ${Math.round(timeoutMs / 1000)} s` +
              `${lastError ? ` (last error: ${errMessage(lastError)})` : ''}.\n${proc.outputTail()}`,
          );
        }
        try {
          await queryOnce(url, 2000);
          ready = true;
        } catch (err) {
          lastError = err;
          await Promise.race([sleep(100), proc.exited]);
        }
      }
      if (!ready) continue;

      log.info({ url, pid: proc.pid, initdbMs, ms: Date.now() - t0 }, 'throwaway Postgres ready');
      let stopped: Promise<void> | undefined;
      return {
        url,
        started: true,
        dir,
        stop: () =>
          (stopped ??= (async () => {
            await proc.stop();
            await cleanup();
          })()),
      };
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Directory with `initdb` and `postgres`: PG_BIN, else `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/<v>/bin, else PATH.
 */
export async function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const hasServer = async (dir: string) => (await isExecutable(path.join(dir, 'initdb'))) && (await isExecutable(path.join(dir, 'postgres')));

  const explicit = env.PG_BIN?.trim();
  if (explicit) {
    if (await hasServer(explicit)) return explicit;
    throw new PostgresServerError(`PG_BIN=${explicit} does not contain the PostgreSQL server binaries (initdb, postgres).`);
  }
  const pgConfig = await findOnPath('pg_config', env);
  if (pgConfig) {
    const bindir = await new Promise<string | undefined>((resolve) =>
      execFile(pgConfig, ['--bindir'], { timeout: 10_000, encoding: 'utf8' }, (err, out) => resolve(err ? undefined : out.trim())),
    );
    if (bindir && (await hasServer(bindir))) return bindir;
  }
  const debianRoot = '/usr/lib/postgresql';
  const versions = (await fs.readdir(debianRoot).catch(() => [] as string[]))
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = path.join(debianRoot, v, 'bin');
    if (await hasServer(dir)) return dir;
  }
  const initdb = await findOnPath('initdb', env);
  if (initdb && (await hasServer(path.dirname(initdb)))) return path.dirname(initdb);

  throw new PostgresServerError(
    'PostgreSQL server binaries (initdb, postgres) not found. Install them (Debian/Ubuntu: apt-get install postgresql; ' +
      'macOS: brew install postgresql@16), or set PG_BIN=/path/to/postgresql/bin, or point the tests at an existing ' +
      'database with TEST_DATABASE_URL=postgres://...',
  );
}

// ---------------------------------------------------------------------------------------------------------------

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: then run as PG_USER, else `postgres` (the Debian package's), else `nobody`. */
async function chooseUser(env: NodeJS.ProcessEnv): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const candidates = env.PG_USER?.trim() ? [env.PG_USER.trim()] : ['postgres', 'nobody'];
  for (const name of candidates) {
    const ids = await lookupUser(name);
    if (ids) return { name, ...ids };
  }
  throw new PostgresServerError(
    `running as root, and PostgreSQL refuses to run as root, but no user ${candidates.join(' or ')} exists to run it as. ` +
      'Set PG_USER to an unprivileged user.',
  );
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  // NSS-only users (LDAP, ...)
  const id = (flag: string) =>
    new Promise<number | undefined>((resolve) =>
      execFile('id', [flag, name], { timeout: 5000, encoding: 'utf8' }, (err, out) => resolve(err ? undefined : Number(out.trim()))),
    );
  const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  return uid !== undefined && gid !== undefined && Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

/** When switching users, the temp dir's ancestors must be traversable by that user. */
export async function pickTempBase(switchingUser: boolean): Promise<string> {
  const base = os.tmpdir();
  if (!switchingUser) return base;
  let dir = path.resolve(base);
  for (;;) {
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st || (st.mode & 0o001) === 0) return '/tmp';
    const parent = path.dirname(dir);
    if (parent === dir) return base;
    dir = parent;
  }
}

function run(
  file: string,
  args: string[],
  o: { env: NodeJS.ProcessEnv; cwd: string; uid?: number; gid?: number; timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: o.env, cwd: o.cwd, uid: o.uid, gid: o.gid, timeout: o.timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new PostgresServerError(`${path.basename(file)} failed: ${err.message}\n${stderr || stdout}`.trim()));
        else resolve(stdout);
      },
    );
  });
}

async function queryOnce(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {}); // errors after connect surface through the awaited calls
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
