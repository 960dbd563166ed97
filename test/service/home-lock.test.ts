/**
 * The PGlite data-directory lock: one owner at a time, a refusal that names the owner, and recovery
 * from an owner that died without releasing (its pid gone).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireHomeLock, HomeLockedError, liveOwnerOf, lockFileOf } from '../../infra/home-lock';

let dir: string;
let dataDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mycelium-lock-'));
  dataDir = join(dir, 'pgdata');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (so no process has it, for now). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid!;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

/** A lock file held by a live process other than this one: a child that waits for its stdin to close. */
async function lockHeldByChild(kind: 'service' | 'command', extra: Record<string, string>) {
  const child = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
  await writeFile(
    lockFileOf(dataDir),
    JSON.stringify({ pid: child.pid, kind, hostname: os.hostname(), startedAt: new Date().toISOString(), ...extra }),
  );
  return child;
}

describe('home lock', () => {
  it('is exclusive within a process, and released for the next owner', async () => {
    const lock = await acquireHomeLock(dataDir, { kind: 'command', command: 'myc ingest' });
    const refused = await acquireHomeLock(dataDir, { kind: 'command' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HomeLockedError);
    expect((refused as Error).message).toBe(`${dataDir} is owned by \`myc ingest\`, pid ${process.pid}; wait for it to finish`);
    await lock.release();
    const again = await acquireHomeLock(dataDir, { kind: 'command' });
    await again.release();
    await expect(readFile(lockFileOf(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a second owner with a line naming the service, its pid and URL', async () => {
    const child = await lockHeldByChild('service', { url: 'http://127.0.0.1:9999' });
    try {
      const refused = await acquireHomeLock(dataDir, { kind: 'command' }).catch((e: unknown) => e);
      expect((refused as Error).message).toBe(`${dataDir} is owned by the Mycelium service, pid ${child.pid}, at http://127.0.0.1:9999; talk to it, or stop it`);
      expect((await liveOwnerOf(dataDir))?.url).toBe('http://127.0.0.1:9999');
    } finally {
      child.kill();
    }
  });

  it('takes over the lock of an owner that died without releasing it', async () => {
    const pid = await deadPid();
    await writeFile(lockFileOf(dataDir), JSON.stringify({ pid, kind: 'service', url: 'http://x', hostname: os.hostname(), startedAt: new Date().toISOString() }));
    expect(await liveOwnerOf(dataDir)).toBeUndefined();
    const lock = await acquireHomeLock(dataDir, { kind: 'service', url: 'http://127.0.0.1:1' });
    expect(JSON.parse(await readFile(lockFileOf(dataDir), 'utf8'))).toMatchObject({ pid: process.pid, kind: 'service' });
    await lock.update({ url: 'http://127.0.0.1:2' });
    expect(JSON.parse(await readFile(lockFileOf(dataDir), 'utf8'))).toMatchObject({ url: 'http://127.0.0.1:2' });
    await lock.release();
  });

  it('treats a lock naming a reused pid (another process start time) as stale', async () => {
    const child = await lockHeldByChild('command', { command: 'myc ask', procStart: '1' });
    try {
      const lock = await acquireHomeLock(dataDir, { kind: 'command' });
      await lock.release();
    } finally {
      child.kill();
    }
  });

  it('lets only one of many concurrent openers in', async () => {
    const pid = await deadPid();
    await writeFile(lockFileOf(dataDir), JSON.stringify({ pid, kind: 'command', hostname: os.hostname(), startedAt: new Date().toISOString() }));
    // each opener in its own process, all racing for the same dead owner's lock
    const script = `import('${new URL('../../infra/home-lock.ts', import.meta.url).href}').then(async (m) => {
      try { await m.acquireHomeLock(${JSON.stringify(dataDir)}, { kind: 'command' }); process.stdout.write('won'); setTimeout(() => {}, 3000); }
      catch (e) { process.stdout.write(e.name); }
    })`;
    const runs = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
    });
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'HomeLockedError')).toHaveLength(3);
  }, 60_000);
});
