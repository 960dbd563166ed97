/**
 * Where things live on disk: the project checkout, its data dir and the per-user cache.
 * Functions (not constants) so that env overrides set at runtime, e.g. in tests, are honoured.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest directory at or above `from` holding the package.json named "mycelium". Found by
 * walking up rather than by a fixed `..`, because the compiled build (dist/) puts this module at a
 * different depth than the source tree does.
 */
export function findProjectRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'mycelium') return dir;
    } catch {
      // no (readable) package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json named "mycelium" at or above ${from}`);
  }
}

/** Absolute path of the project root (the directory holding package.json). */
export const projectRoot: string = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Project data dir: `$MYCELIUM_HOME` when set, else `<projectRoot>/.mycelium`. */
export function myceliumHome(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.MYCELIUM_HOME?.trim();
  return override ? path.resolve(override) : path.join(projectRoot, '.mycelium');
}

/** Per-user cache dir for mycelium: `$XDG_CACHE_HOME/mycelium`, else `~/.cache/mycelium`. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  // The XDG spec says relative values are invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || os.homedir(), '.cache');
  return path.join(base, 'mycelium');
}

/** Directory holding a cached build of the Temporal CLI of the given version (e.g. `v1.5.1`). */
export function temporalCliCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'temporal-cli', version);
}

/** Default SQLite file of the local Temporal dev server. */
export function temporalDbFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(myceliumHome(env), 'temporal.sqlite');
}
