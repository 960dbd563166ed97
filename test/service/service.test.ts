/**
 * A real `myc serve` process and a CLI on the same MYCELIUM_HOME: the CLI goes through the service's
 * API; nothing else may open the PGlite data directory meanwhile (a one-shot open or a second
 * service is refused with the owner's line); /healthz and /readyz; SIGTERM with a workflow in flight
 * stops cleanly (exit 0, lock and service.json gone) and the workflow completes once the service is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder, sampleTimeShiftMs } from '../../clients/cli/demo';
import { openStack } from '../../clients/runtime';
import { findFreePort } from '../../infra/temporal-server';
import { syncWorkflowId } from '../../workflows/ids';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';

const bin = fileURLToPath(new URL('../../bin/mycelium.mjs', import.meta.url));
const NAMESPACE = 'test-service';
let home: string;
let connection: Connection;
let temporal: Client;

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  MYCELIUM_HOME: home,
  MYCELIUM_URL: '',
  MYCELIUM_TOKEN: '',
  TEMPORAL_ADDRESS: testTemporalAddress(),
  TEMPORAL_NAMESPACE: NAMESPACE,
  DATABASE_URL: '',
  LOG_LEVEL: 'warn',
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [bin, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr })));
  return { child, done };
}

const myc = (...args: string[]): Promise<Run> => run(args).done;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

const exists = (file: string): Promise<boolean> => stat(file).then(
  () => true,
  () => false,
);

interface Service {
  child: ChildProcess;
  done: Promise<Run>;
  url: string;
  port: number;
}

async function startService(): Promise<Service> {
  const port = await findFreePort();
  const { child, done } = run(['serve', '--port', String(port)]);
  const exited = done.then((r) => {
    throw new Error(`myc serve exited (${r.code}) before it was ready: ${r.stderr}`);
  });
  const info = await Promise.race([
    until('service.json', async () => {
      const parsed = JSON.parse(await readFile(join(home, 'service.json'), 'utf8')) as { url: string; pid: number };
      return parsed.pid === child.pid ? parsed : undefined;
    }),
    exited,
  ]);
  exited.catch(() => {});
  await until('/readyz 200', async () => (await fetch(`${info.url}/readyz`)).ok || undefined);
  return { child, done, url: info.url, port };
}

let service: Service;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mycelium-service-'));
  await ensureTestNamespace(NAMESPACE);
  connection = await Connection.connect({ address: testTemporalAddress() });
  temporal = new Client({ connection, namespace: NAMESPACE });
  service = await startService();
}, 240_000);

afterAll(async () => {
  if (service?.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.done;
  }
  await connection?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('myc serve', () => {
  it('answers /healthz and /readyz, and records where it listens', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ ok: true });
    const info = JSON.parse(await readFile(join(home, 'service.json'), 'utf8'));
    expect(info).toMatchObject({ url: `http://127.0.0.1:${service.port}`, pid: service.child.pid, namespace: NAMESPACE });
    expect(Date.parse(info.startedAt)).not.toBeNaN();
    const token = await stat(join(home, 'owner-token'));
    expect(token.mode & 0o777).toBe(0o600);
  });

  it('the CLI goes through the service: ingest, then meetings sees the data', async () => {
    const shift = await sampleTimeShiftMs(new Date());
    const ingested = await myc('ingest', sampleTeamFolder, '--source', 'acme', '--time-shift-ms', String(shift), '--json');
    expect(ingested.stderr).toBe('');
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ sourceId: 'acme', workflowId: syncWorkflowId('acme') });

    const meetings = await myc('meetings', '--json');
    expect(meetings.code).toBe(0);
    const listed = JSON.parse(meetings.stdout) as { id: string }[];
    expect(listed[0]?.id).toBe('acme:mobile-sync-001@acme.test@2026-03-10T10:00:00.000Z');

    // the human layout, from the same API answer
    const shown = await myc('meetings', '--limit', '1');
    expect(shown.stdout).toContain('id: acme:mobile-sync-001@acme.test@2026-03-10T10:00:00.000Z');

    // it was the service that served them: the owner token it wrote was used just now
    const tokens = JSON.parse((await myc('tokens', 'list', '--json')).stdout) as { owner: boolean; lastUsedAt: string | null }[];
    expect(tokens.find((t) => t.owner)?.lastUsedAt).not.toBeNull();
  }, 240_000);

  it('errors come back as the same one line and exit code 1', async () => {
    const noAsker = await myc('search', 'release');
    expect(noAsker.code).toBe(1);
    expect(noAsker.stderr.trim().split('\n')).toEqual(['mycelium: search: say whose eyes to read with: --as <email> (or set MYCELIUM_AS)']);
    const unknown = await myc('brief', 'acme:no-such-meeting');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('mycelium: no meeting "acme:no-such-meeting" (list them with `myc meetings`)');
  }, 120_000);

  it('refuses a one-shot in-process open of the same home, naming the service', async () => {
    const owner = `${join(home, 'pgdata')} is owned by the Mycelium service, pid ${service.child.pid}, at ${service.url}; talk to it, or stop it`;
    const previous = process.env.MYCELIUM_HOME;
    process.env.MYCELIUM_HOME = home;
    try {
      await expect(openStack({ worker: false, temporalAddress: testTemporalAddress(), namespace: NAMESPACE, databaseUrl: '' })).rejects.toThrow(owner);
    } finally {
      process.env.MYCELIUM_HOME = previous;
    }
  });

  it('refuses a second service on the same home with the owner line', async () => {
    const second = await myc('serve', '--port', '0');
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(
      `mycelium: ${join(home, 'pgdata')} is owned by the Mycelium service, pid ${service.child.pid}, at ${service.url}; talk to it, or stop it`,
    );
    // the first one is untouched
    expect(JSON.parse(await readFile(join(home, 'service.json'), 'utf8')).pid).toBe(service.child.pid);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  }, 120_000);

  it('SIGTERM with an ingest in flight: exits 0, lock and service.json gone; the workflow completes after a restart', async () => {
    const folder = join(home, 'team');
    await cp(sampleTeamFolder, folder, { recursive: true });
    const ingest = run(['ingest', folder, '--source', 'inflight', '--json']);
    const handle = temporal.workflow.getHandle(syncWorkflowId('inflight'));
    // in flight: the sync has started and its worker is running an activity of it
    await until('the sync to run an activity', async () => {
      const description = await handle.describe();
      return description.status.name === 'RUNNING' && description.raw.pendingActivities?.length ? true : undefined;
    });

    service.child.kill('SIGTERM');
    const stopped = await service.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('SIGTERM: stopping');
    expect(await exists(join(home, 'service.json'))).toBe(false);
    expect(await exists(join(home, 'pgdata.lock'))).toBe(false);
    await ingest.done;

    service = await startService();
    const result = await handle.result();
    expect(result).toMatchObject({ sourceId: 'inflight' });
    expect(result.files).toBeGreaterThan(0);
  }, 400_000);
});
