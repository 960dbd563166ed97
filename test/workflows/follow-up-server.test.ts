/**
 * The time-skipping test server the follow-up tests run on (infra/time-skipping.ts): fetched and cached once,
 * started either by the SDK (5 s window) or by us (guarded, own deadline), and in both cases really skipping time.
 */
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureTimeSkippingServer, pinnedTestServerVersion, startTimeSkippingEnvironment, TEST_SERVER_MAIN_CLASS } from '../../infra/time-skipping';

const DAY = 86_400_000;

function portOpen(address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('time-skipping test server', () => {
  it('is cached with an executable wrapper and a class-data archive', async () => {
    const install = await ensureTimeSkippingServer();
    expect(install.version).toBe(await pinnedTestServerVersion());
    await access(install.wrapper, constants.X_OK);
    const script = await readFile(install.wrapper, 'utf8');
    expect(script).toContain(TEST_SERVER_MAIN_CLASS);
    expect(script).toContain('-XX:TieredStopAtLevel=1');
    expect(install.cdsArchive).toBeDefined();
    expect(script).toContain(`-XX:SharedArchiveFile=${install.cdsArchive}`);
  }, 300_000);

  for (const mode of ['sdk', 'self'] as const) {
    it(`starts in mode ${mode}, skips days in moments, and stops with teardown`, async () => {
      const ts = await startTimeSkippingEnvironment({ mode });
      try {
        expect(ts.mode).toBe(mode);
        expect(ts.env.supportsTimeSkipping).toBe(true);
        // for the record (README / report): how long the JVM took to answer
        console.info(`time-skipping server (${mode}) answered after ${ts.startMs} ms`);
        if (mode === 'sdk') expect(ts.startMs).toBeLessThan(5_000);
        const t0 = await ts.env.currentTimeMs();
        const wall = Date.now();
        await ts.env.sleep(3 * DAY);
        expect((await ts.env.currentTimeMs()) - t0).toBeGreaterThanOrEqual(3 * DAY);
        expect(Date.now() - wall).toBeLessThan(5_000);
      } finally {
        await ts.teardown();
      }
      expect(await portOpen(ts.env.address)).toBe(false);
    }, 60_000);
  }

  it('falls back to starting the JVM itself when the SDK gives up after its 5 s (mode auto)', async () => {
    const install = await ensureTimeSkippingServer();
    const dir = await mkdtemp(join(tmpdir(), 'mycelium-slow-jvm-'));
    const slow = join(dir, 'slow-test-server');
    // a JVM that takes 7 s to come up, as a cold one may on a busy 2-core machine
    await writeFile(slow, `#!/bin/sh\nsleep 7\nexec '${install.wrapper}' "$@"\n`);
    await chmod(slow, 0o755);
    const t0 = Date.now();
    const ts = await startTimeSkippingEnvironment({ mode: 'auto', executable: slow });
    try {
      expect(ts.mode).toBe('self');
      expect(Date.now() - t0).toBeGreaterThan(7_000);
      expect(ts.env.supportsTimeSkipping).toBe(true);
      const t = await ts.env.currentTimeMs();
      await ts.env.sleep(DAY);
      expect((await ts.env.currentTimeMs()) - t).toBeGreaterThanOrEqual(DAY);
    } finally {
      await ts.teardown();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
