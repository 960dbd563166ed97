/**
 * One owner process per embedded PGlite data directory. Two PGlite instances on the same files see
 * different data and can corrupt them, so whoever opens the directory first holds an exclusive lock
 * file beside it (`<dataDir>.lock`), created with O_EXCL and naming its owner. A second opener is
 * refused with one line saying who owns it and what to do; a lock whose owner died (crash, kill -9)
 * is taken over.
 *
 * Liveness is the recorded pid, checked with signal 0 and, on Linux, against the process's start
 * time, so a pid reused by an unrelated process after a crash does not keep the directory locked.
 */
import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';

export type LockOwnerKind = 'service' | 'command';

export interface LockOwner {
  pid: number;
  kind: LockOwnerKind;
  /** what a person typed, e.g. "myc ingest" (one-shot commands) */
  command?: string;
  /** where the service listens (kind service) */
  url?: string;
  hostname: string;
  startedAt: string;
  /** the process start time from /proc (Linux), to tell a live owner from a reused pid */
  procStart?: string;
}

export interface HomeLock {
  readonly file: string;
  readonly dataDir: string;
  readonly owner: LockOwner;
  /** records where the service now listens (the URL is known only once it is listening) */
  update(changes: Partial<Pick<LockOwner, 'url' | 'command' | 'kind'>>): Promise<void>;
  release(): Promise<void>;
}

/** The data directory has a live owner; the message is the one line a person needs. */
export class HomeLockedError extends Error {
  override readonly name = 'HomeLockedError';
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(ownerLine(dataDir, owner));
  }
}

export function lockFileOf(dataDir: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}.lock`;
}

export function ownerLine(dataDir: string, owner: LockOwner): string {
  const elsewhere = owner.hostname !== os.hostname() ? ` on ${owner.hostname}` : '';
  if (owner.kind === 'service') {
    return `${dataDir} is owned by the Mycelium service, pid ${owner.pid}${elsewhere}${owner.url ? `, at ${owner.url}` : ''}; talk to it, or stop it`;
  }
  return `${dataDir} is owned by \`${owner.command ?? 'myc'}\`, pid ${owner.pid}${elsewhere}; wait for it to finish`;
}

/** Directories this process holds: a second open in the same process is refused like any other. */
const heldHere = new Set<string>();

export interface AcquireOptions {
  kind: LockOwnerKind;
  command?: string;
  url?: string;
}

export async function acquireHomeLock(dataDir: string, options: AcquireOptions): Promise<HomeLock> {
  const file = lockFileOf(dataDir);
  const owner: LockOwner = {
    pid: process.pid,
    kind: options.kind,
    ...(options.command ? { command: options.command } : {}),
    ...(options.url ? { url: options.url } : {}),
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  const procStart = processStart(process.pid);
  if (procStart) owner.procStart = procStart;
  if (heldHere.has(file)) throw new HomeLockedError(dataDir, (await readOwner(file)) ?? owner);

  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, owner)) break;
    const current = await readOwnerPatiently(file);
    if (current && isAlive(file, current)) throw new HomeLockedError(dataDir, current);
    if (attempt >= 5) throw new Error(`could not take the lock ${file} (it keeps changing hands)`);
    await takeOver(file);
  }
  heldHere.add(file);

  let released = false;
  return {
    file,
    dataDir,
    owner,
    async update(changes) {
      Object.assign(owner, changes);
      // write-then-rename: a reader never sees a half-written owner
      const next = `${file}.${process.pid}.tmp`;
      await writeFile(next, JSON.stringify(owner));
      await rename(next, file);
    },
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      const current = await readOwner(file);
      if (current?.pid === process.pid && current.startedAt === owner.startedAt) await unlink(file).catch(() => {});
    },
  };
}

/** The owner recorded in a data directory's lock, if it is alive (for clients looking for the service). */
export async function liveOwnerOf(dataDir: string): Promise<LockOwner | undefined> {
  const owner = await readOwner(lockFileOf(dataDir));
  return owner && isAlive(lockFileOf(dataDir), owner) ? owner : undefined;
}

async function createExclusive(file: string, owner: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockOwner>;
    return typeof parsed.pid === 'number' && (parsed.kind === 'service' || parsed.kind === 'command') ? (parsed as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An owner between creating the file and writing into it leaves it empty for a moment: an unreadable
 * lock is trusted as live while it is young, and treated as stale (a crash mid-write) once it is not.
 */
async function readOwnerPatiently(file: string): Promise<LockOwner | undefined> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const owner = await readOwner(file);
    if (owner) return owner;
    const info = await stat(file).catch(() => undefined);
    if (!info) return undefined; // released meanwhile: the caller retries creating it
    if (Date.now() - info.mtimeMs > 2000 || Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Removes a dead owner's lock. Two processes may find the same dead lock at once and the slower one
 * may then move the fresh lock the faster one just created: renaming (atomic) to a name only this
 * process uses and looking at what was moved tells the two cases apart, and a live lock moved by
 * mistake is linked back (link fails rather than overwrite a lock created meanwhile).
 */
async function takeOver(file: string): Promise<void> {
  const aside = `${file}.stale.${process.pid}.${Date.now()}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readOwner(aside);
  if (moved && isAlive(file, moved)) await link(aside, file);
  await unlink(aside).catch(() => {});
}

function isAlive(file: string, owner: LockOwner): boolean {
  // another machine's process cannot be checked from here: trust its lock
  if (owner.hostname !== os.hostname()) return true;
  // this pid in a lock this process does not hold: left by an earlier process that had the same pid
  if (owner.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists, under another user
  }
  if (owner.procStart) {
    const now = processStart(owner.pid);
    if (now !== undefined && now !== owner.procStart) return false;
  }
  return true;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined off Linux. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is parenthesised and may hold spaces: count fields after it
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
