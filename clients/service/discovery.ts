/**
 * Where a running Mycelium service can be found, and with which token: `MYCELIUM_URL` (a remote
 * service), else the `service.json` a local service writes under MYCELIUM_HOME while it listens.
 * Node built-ins only: the CLI reads this on every start, before deciding whether to load anything heavy.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { liveOwnerOf } from '../../infra/home-lock';
import { myceliumHome } from '../../infra/paths';
import { lightFetch } from './light-fetch';

export interface ServiceInfo {
  url: string;
  pid: number;
  startedAt: string;
  temporalUiUrl?: string;
  namespace: string;
}

export interface FoundService {
  url: string;
  token?: string;
  /** how it was found: MYCELIUM_URL, or a local service under MYCELIUM_HOME */
  from: 'env' | 'home';
}

export const serviceFile = (home = myceliumHome()): string => join(home, 'service.json');
export const ownerTokenFile = (home = myceliumHome()): string => join(home, 'owner-token');
export const pgliteDataDir = (home = myceliumHome()): string => join(home, 'pgdata');

export async function readServiceInfo(home = myceliumHome()): Promise<ServiceInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(serviceFile(home), 'utf8')) as Partial<ServiceInfo>;
    return typeof info.url === 'string' && typeof info.pid === 'number' ? (info as ServiceInfo) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeServiceInfo(info: ServiceInfo, home = myceliumHome()): Promise<void> {
  const file = serviceFile(home);
  await writeFile(`${file}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** Removes service.json if it is still this process's (a newer service may have replaced it). */
export async function removeServiceInfo(pid: number, home = myceliumHome()): Promise<void> {
  const info = await readServiceInfo(home);
  if (info?.pid === pid) await unlink(serviceFile(home)).catch(() => {});
}

export async function readOwnerToken(home = myceliumHome()): Promise<string | undefined> {
  try {
    return (await readFile(ownerTokenFile(home), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a service answers /healthz at url within the time given. */
export async function answersHealth(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    return (await lightFetch(new URL('/healthz', url), { signal: AbortSignal.timeout(timeoutMs) })).ok;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The service this CLI should talk to, or undefined to run in-process. A service.json left by a
 * crashed service (its pid gone, or nothing answering) does not count. A service still starting up
 * has no service.json yet, but its lock already names its URL.
 */
export async function findService(env: NodeJS.ProcessEnv = process.env): Promise<FoundService | undefined> {
  const home = myceliumHome(env);
  const token = env.MYCELIUM_TOKEN?.trim() || (await readOwnerToken(home));
  const remote = env.MYCELIUM_URL?.trim();
  if (remote) return { url: remote, token, from: 'env' };
  const info = await readServiceInfo(home);
  if (info && pidAlive(info.pid) && (await answersHealth(info.url))) return { url: info.url, token, from: 'home' };
  if (env.DATABASE_URL?.trim()) return undefined;
  const owner = await liveOwnerOf(pgliteDataDir(home));
  if (owner?.kind === 'service' && owner.url && (await answersHealth(owner.url))) {
    // it writes the owner's token once its store is open: wait for that rather than call without one
    await untilReady(owner.url, owner.pid);
    return { url: owner.url, token: env.MYCELIUM_TOKEN?.trim() || (await readOwnerToken(home)), from: 'home' };
  }
  return undefined;
}

async function untilReady(url: string, pid: number): Promise<void> {
  for (let wait = 100; pidAlive(pid); wait = Math.min(wait * 2, 2000)) {
    try {
      if ((await lightFetch(new URL('/readyz', url), { signal: AbortSignal.timeout(5000) })).ok) return;
    } catch {
      // not answering (yet, or any more): the pid check decides
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
