import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { onTestFinished } from 'vitest';

export const log = pino({ level: process.env.MYCELIUM_TEST_LOG_LEVEL ?? 'warn' });

/** A temp dir removed after the current test. */
export async function tempDir(prefix = 'mycelium-infra-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes an executable /bin/sh script. */
export async function writeScript(file: string, body: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Environment without the variables that steer infra/ (so tests control them explicitly). */
export function cleanEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['TEMPORAL_CLI', 'TEMPORAL_ADDRESS', 'TEST_DATABASE_URL', 'PG_BIN', 'PG_USER', 'MYCELIUM_HOME']) delete env[k];
  // the Temporal profile and its variables (infra/temporal-connection.ts) steer ensureTemporal too
  for (const k of Object.keys(env)) if (/^TEMPORAL_(NAMESPACE|PROFILE|CONFIG_FILE|API_KEY|TLS|GRPC_META_)/.test(k)) delete env[k];
  return { ...env, ...overrides };
}
