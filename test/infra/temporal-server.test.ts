import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/paths';
import { resolveTemporalCli } from '../../infra/temporal-cli';
import {
  configuredSearchAttributes,
  ensureTemporal,
  findFreePort,
  listCustomSearchAttributes,
  PortInUseError,
  startTemporalDevServer,
  TemporalServerError,
  typeName,
  type TemporalDevServer,
} from '../../infra/temporal-server';
import { temporalConfig } from '../../temporal.config';
import { cleanEnv, log, pidAlive, tcpOpen, tempDir, waitFor, writeScript } from './helpers';

let cli: string;

async function searchAttributesOf(address: string, namespace = 'default'): Promise<Record<string, string>> {
  const connection = await Connection.connect({ address });
  try {
    const attrs = await listCustomSearchAttributes(connection, namespace);
    return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeName(v)]));
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  cli = await resolveTemporalCli({ log, sdkDownloadTimeoutMs: 0, goBuildTimeoutMs: 0 });
});

describe('startTemporalDevServer', () => {
  it('starts on free ports with a SQLite file and our search attributes, and stops cleanly', async () => {
    const dir = await tempDir();
    const dbFile = path.join(dir, 'nested', 'temporal.sqlite');
    const t0 = Date.now();
    const server = await startTemporalDevServer({ cli, log, port: 0, uiPort: 0, dbFile, namespace: 'mycelium-test' });
    const startMs = Date.now() - t0;
    try {
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(server.namespace).toBe('mycelium-test');
      await expect(fs.stat(dbFile)).resolves.toBeTruthy();

      // the configured attributes, with their configured types, in the namespace we asked for
      const attrs = await searchAttributesOf(server.address, 'mycelium-test');
      for (const sa of configuredSearchAttributes) expect(attrs[sa.name], sa.name).toBe(sa.type);
      expect(Object.keys(attrs)).toEqual(expect.arrayContaining(Object.values(temporalConfig.searchAttributes).map((s) => s.name)));

      // the Web UI answers
      const res = await fetch(server.uiUrl!);
      expect(res.status).toBe(200);
      log.info({ startMs }, 'dev server start time');
    } finally {
      await server.stop();
    }
    const port = Number(server.address.split(':')[1]);
    expect(await tcpOpen('127.0.0.1', port)).toBe(false);
    expect(pidAlive(server.pid!)).toBe(false);
    await server.stop(); // idempotent
  });

  it('fails clearly when the port is taken by something that is not Temporal', async () => {
    const blocker = net.createServer((s) => s.end('hello\n'));
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await startTemporalDevServer({ cli, log, port, uiPort: false, dbFile: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect(err).toMatchObject({ port, temporal: false });
      expect((err as Error).message).toMatch(new RegExp(`port ${port} .*not a Temporal server`));
    } finally {
      blocker.close();
    }
  });

  it('includes the server output when the server dies during startup', async () => {
    const dir = await tempDir();
    const broken = await writeScript(path.join(dir, 'temporal'), 'echo "boot: loading config" ; echo "fatal: sqlite file is corrupt" >&2; exit 7');
    const err = await startTemporalDevServer({ cli: broken, log, port: 0, uiPort: false, dbFile: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalServerError);
    expect((err as Error).message).toMatch(/exited with code 7 before it became ready/);
    expect((err as Error).message).toContain('fatal: sqlite file is corrupt');
  });

  it('retries with other ports when a port it picked is taken before the server binds it', async () => {
    const dir = await tempDir();
    const flaky = await writeScript(
      path.join(dir, 'temporal'),
      `if [ ! -e "${dir}/tried" ]; then touch "${dir}/tried"; echo 'level=ERROR msg="cannot set frontend port: bind: address already in use"' >&2; exit 1; fi
exec "${cli}" "$@"`,
    );
    const server = await startTemporalDevServer({ cli: flaky, log, port: 0, uiPort: false, dbFile: null });
    try {
      await expect(fs.stat(path.join(dir, 'tried'))).resolves.toBeTruthy();
      expect(await tcpOpen('127.0.0.1', Number(server.address.split(':')[1]))).toBe(true);
    } finally {
      await server.stop();
    }
    // with a fixed port there is nothing to retry: the error says what happened
    await fs.rm(path.join(dir, 'tried'));
    const port = await findFreePort();
    await expect(startTemporalDevServer({ cli: flaky, log, port, uiPort: false, dbFile: null })).rejects.toThrow(/address already in use/);
  });

  it('gives up after the start deadline and kills the process', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'pid');
    const hung = await writeScript(path.join(dir, 'temporal'), `echo $$ > "${pidFile}"; echo "starting forever"; exec sleep 300`);
    const err = await startTemporalDevServer({ cli: hung, log, port: 0, uiPort: false, dbFile: null, startTimeoutMs: 1500 }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/did not answer on 127\.0\.0\.1:\d+ within 2 s[\s\S]*starting forever/);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    await waitFor(() => !pidAlive(pid), 5000, 'hung server to be killed');
  });

  it('does not orphan the server when its parent is SIGKILLed', async () => {
    const code = `
      import pino from 'pino';
      import { startTemporalDevServer } from './infra/temporal-server.ts';
      const s = await startTemporalDevServer({ cli: ${JSON.stringify(cli)}, log: pino({ level: 'silent' }), port: 0, uiPort: false, dbFile: null });
      console.log('READY pid=' + s.pid + ' address=' + s.address);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('READY'), 60_000, 'child dev server');
    const [, pid, port] = /pid=(\d+) address=127\.0\.0\.1:(\d+)/.exec(out)!.map(Number);
    expect(pidAlive(pid!)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !pidAlive(pid!), 20_000, 'orphaned dev server to exit');
    expect(await tcpOpen('127.0.0.1', port!)).toBe(false);
  });
});

describe('ensureTemporal', () => {
  let server: TemporalDevServer;
  beforeAll(async () => {
    server = await startTemporalDevServer({ cli, log, port: 0, uiPort: false, dbFile: null, searchAttributes: [] });
  });
  afterAll(() => server?.stop());

  it('with TEMPORAL_ADDRESS: connects, registers missing search attributes, starts nothing, is idempotent', async () => {
    const before = await searchAttributesOf(server.address);
    for (const sa of configuredSearchAttributes) expect(before[sa.name]).toBeUndefined();

    const extra = { name: 'MyceliumTestScore', type: 'Int' } as const;
    const wanted = [...configuredSearchAttributes, extra];
    const env = cleanEnv({ TEMPORAL_ADDRESS: server.address, TEMPORAL_CLI: '/nonexistent/temporal' }); // CLI must not be needed
    const handle = await ensureTemporal({ log, env, searchAttributes: wanted });
    expect(handle).toMatchObject({ address: server.address, namespace: 'default', started: false, uiUrl: undefined });

    const after = await searchAttributesOf(server.address);
    for (const sa of wanted) expect(after[sa.name], sa.name).toBe(sa.type);

    await expect(ensureTemporal({ log, env, searchAttributes: wanted })).resolves.toMatchObject({ started: false });
    await handle.stop(); // no-op for a server we did not start
    expect(await tcpOpen('127.0.0.1', Number(server.address.split(':')[1]))).toBe(true);
  });

  it('with TEMPORAL_ADDRESS: fails on a type conflict and on an unreachable server', async () => {
    const env = cleanEnv({ TEMPORAL_ADDRESS: server.address });
    await expect(ensureTemporal({ log, env, searchAttributes: [{ name: 'MyceliumTestScore', type: 'Keyword' }] })).rejects.toThrow(
      /MyceliumTestScore exists .* type Int, but Keyword is configured/,
    );
    const closed = await findFreePort();
    await expect(ensureTemporal({ log, env: cleanEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${closed}` }), connectTimeoutMs: 1000 })).rejects.toThrow(
      new RegExp(`Temporal server at 127\\.0\\.0\\.1:${closed} is not usable`),
    );
  });

  it('without TEMPORAL_ADDRESS: reuses a Temporal server already on the dev-server port (without needing a CLI)', async () => {
    const port = Number(server.address.split(':')[1]);
    // no CLI needed for that: a broken TEMPORAL_CLI is not even looked at
    const handle = await ensureTemporal({ log, env: cleanEnv({ TEMPORAL_CLI: '/nonexistent/temporal' }), port, uiPort: false, dbFile: null });
    expect(handle).toMatchObject({ address: `127.0.0.1:${port}`, started: false });
    await handle.stop();
    expect(await tcpOpen('127.0.0.1', port)).toBe(true);
    // ...unless told not to
    await expect(
      ensureTemporal({ log, env: cleanEnv({ TEMPORAL_CLI: cli }), port, uiPort: false, dbFile: null, reuseRunning: false }),
    ).rejects.toThrow(/already used by another Temporal server/);
  });

  it('without TEMPORAL_ADDRESS: starts a dev server with the data dir db by default', async () => {
    const dir = await tempDir();
    const port = await findFreePort();
    const handle = await ensureTemporal({ log, env: cleanEnv({ TEMPORAL_CLI: cli, MYCELIUM_HOME: dir }), port, uiPort: 0, dbFile: undefined });
    try {
      expect(handle).toMatchObject({ address: `127.0.0.1:${port}`, started: true });
      expect(handle.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await expect(fs.stat(path.join(dir, 'temporal.sqlite'))).resolves.toBeTruthy(); // MYCELIUM_HOME honoured
    } finally {
      await handle.stop();
    }
    expect(await tcpOpen('127.0.0.1', port)).toBe(false);
  });
});
