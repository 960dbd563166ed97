import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporalConfig } from '../../temporal.config';
import { resolveTemporalCli, resolveTemporalCliDetailed, TemporalCliError } from '../../infra/temporal-cli';
import { cleanEnv, log, tempDir, writeScript } from './helpers';

const VERSION = temporalConfig.devServer.cliVersion;
/** PATH with the basics (sh, sleep, id) but no `temporal` and no `go` */
const BARE_PATH = '/usr/bin:/bin';
const fakeCli = (label: string) => `[ "$1" = "--version" ] && echo "temporal version ${label} (Server 0, UI 0)"; exit 0`;

let realCli: string;

beforeAll(async () => {
  // the same binary the test run's dev server uses (cached, or TEMPORAL_CLI in CI)
  realCli = await resolveTemporalCli({ log, sdkDownloadTimeoutMs: 0, goBuildTimeoutMs: 0 });
});

describe('resolveTemporalCli', () => {
  it('uses TEMPORAL_CLI first, even when PATH and the cache have one', async () => {
    const dir = await tempDir();
    await writeScript(path.join(dir, 'bin', 'temporal'), fakeCli('on-path'));
    await writeScript(path.join(dir, 'cache', 'mycelium', 'temporal-cli', VERSION, 'temporal'), fakeCli('cached'));
    const r = await resolveTemporalCliDetailed({
      log,
      env: cleanEnv({ TEMPORAL_CLI: realCli, PATH: `${dir}/bin:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` }),
    });
    expect(r).toMatchObject({ path: realCli, source: 'env' });
    expect(r.version).toMatch(/^temporal version .*Server 1\./);
  });

  it('rejects a bogus TEMPORAL_CLI with a clear error instead of silently falling through', async () => {
    const dir = await tempDir();
    await writeScript(path.join(dir, 'bin', 'temporal'), fakeCli('on-path'));
    const env = cleanEnv({ PATH: `${dir}/bin:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` });

    const missing = resolveTemporalCli({ log, env: { ...env, TEMPORAL_CLI: `${dir}/nope/temporal` } });
    await expect(missing).rejects.toThrow(TemporalCliError);
    await expect(missing).rejects.toThrow(/TEMPORAL_CLI is set to .*nope\/temporal.*not found/);

    const notTemporal = await writeScript(path.join(dir, 'not-temporal'), 'echo "something else 1.0"');
    await expect(resolveTemporalCli({ log, env: { ...env, TEMPORAL_CLI: notTemporal } })).rejects.toThrow(/not a usable Temporal CLI/);
  });

  it('then `temporal` on PATH, skipping one that is not the Temporal CLI', async () => {
    const dir = await tempDir();
    const good = await writeScript(path.join(dir, 'good', 'temporal'), fakeCli('on-path'));
    await writeScript(path.join(dir, 'bad', 'temporal'), 'echo "Temporal Tables v0.1 (some other tool)"');
    await writeScript(path.join(dir, 'cache', 'mycelium', 'temporal-cli', VERSION, 'temporal'), fakeCli('cached'));

    const r = await resolveTemporalCliDetailed({ log, env: cleanEnv({ PATH: `${dir}/good:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` }) });
    expect(r).toMatchObject({ path: good, source: 'path' });

    const r2 = await resolveTemporalCliDetailed({ log, env: cleanEnv({ PATH: `${dir}/bad:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` }) });
    expect(r2).toMatchObject({ source: 'cache', path: path.join(dir, 'cache', 'mycelium', 'temporal-cli', VERSION, 'temporal') });
  });

  it('then the cache, honouring XDG_CACHE_HOME and falling back to ~/.cache', async () => {
    const dir = await tempDir();
    const xdg = await writeScript(path.join(dir, 'xdg', 'mycelium', 'temporal-cli', VERSION, 'temporal'), fakeCli('xdg'));
    const home = await writeScript(path.join(dir, 'home', '.cache', 'mycelium', 'temporal-cli', VERSION, 'temporal'), fakeCli('home'));
    expect(await resolveTemporalCli({ log, env: cleanEnv({ PATH: BARE_PATH, XDG_CACHE_HOME: `${dir}/xdg` }) })).toBe(xdg);
    expect(await resolveTemporalCli({ log, env: cleanEnv({ PATH: BARE_PATH, XDG_CACHE_HOME: '', HOME: `${dir}/home` }) })).toBe(home);
  });

  it('treats a failing SDK download as "try next", within its time bound', async () => {
    const dir = await tempDir();
    const t0 = Date.now();
    const err = await resolveTemporalCli({
      log,
      // an unreachable proxy makes the SDK's download fail fast and the same way on any machine
      env: cleanEnv({ PATH: BARE_PATH, XDG_CACHE_HOME: dir, HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' }),
      sdkDownloadTimeoutMs: 20_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalCliError);
    expect((err as Error).message).toMatch(/SDK download: (failed|timed out)/);
    expect(Date.now() - t0).toBeLessThan(25_000);
  });

  it('throws ONE error naming what to install when nothing works', async () => {
    const dir = await tempDir();
    const err = await resolveTemporalCli({ log, env: cleanEnv({ PATH: BARE_PATH, XDG_CACHE_HOME: dir }), sdkDownloadTimeoutMs: 0 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalCliError);
    const msg = (err as Error).message;
    expect(msg).toContain('TEMPORAL_CLI: not set');
    expect(msg).toContain('`temporal` on PATH: not found');
    expect(msg).toContain('Go build: `go` not on PATH');
    expect(msg).toMatch(/install Go/);
    expect(msg).toMatch(/TEMPORAL_CLI=/);
    expect(msg).toMatch(/TEMPORAL_ADDRESS=/);
  });

  describe('building with Go', () => {
    /** a fake `go` that logs its invocation and "installs" a fake CLI into $GOBIN */
    async function fakeGo(dir: string, body = ''): Promise<string> {
      return writeScript(
        path.join(dir, 'gobin', 'go'),
        `echo "GOBIN=$GOBIN CGO_ENABLED=$CGO_ENABLED args=$*" >> "${dir}/go-calls.log"
${body}
printf '#!/bin/sh\\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"\\n' > "$GOBIN/temporal"
chmod +x "$GOBIN/temporal"`,
      );
    }

    it('runs `go install <cli>@<version>` and caches the result', async () => {
      const dir = await tempDir();
      await fakeGo(dir);
      const env = cleanEnv({ PATH: `${dir}/gobin:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` });
      const r = await resolveTemporalCliDetailed({ log, env, sdkDownloadTimeoutMs: 0 });
      const target = path.join(dir, 'cache', 'mycelium', 'temporal-cli', VERSION, 'temporal');
      expect(r).toMatchObject({ source: 'go-build', path: target });
      const calls = await fs.readFile(`${dir}/go-calls.log`, 'utf8');
      expect(calls).toContain(`install`);
      expect(calls).toContain(`github.com/temporalio/cli/cmd/temporal@${VERSION}`);
      expect(calls).toContain('CGO_ENABLED=0');
      // built into a staging dir next to the cache, then moved in; no leftovers, no lock
      expect((await fs.readdir(path.dirname(path.dirname(target)))).sort()).toEqual([VERSION]);

      // second call: cache hit, no build
      expect(await resolveTemporalCliDetailed({ log, env, sdkDownloadTimeoutMs: 0 })).toMatchObject({ source: 'cache' });
      expect((await fs.readFile(`${dir}/go-calls.log`, 'utf8')).trim().split('\n')).toHaveLength(1);
    });

    it('waits for a build in progress (lock held by a live process) instead of building twice', async () => {
      const dir = await tempDir();
      await fakeGo(dir);
      const cacheDir = path.join(dir, 'cache', 'mycelium', 'temporal-cli');
      await fs.mkdir(cacheDir, { recursive: true });
      const lock = path.join(cacheDir, `${VERSION}.build.lock`);
      await fs.writeFile(lock, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }));

      const pending = resolveTemporalCliDetailed({
        log,
        env: cleanEnv({ PATH: `${dir}/gobin:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` }),
        sdkDownloadTimeoutMs: 0,
      });
      await new Promise((r) => setTimeout(r, 1500));
      // the "other build" finishes
      await writeScript(path.join(cacheDir, VERSION, 'temporal'), fakeCli('other-build'));
      await fs.rm(lock);
      const r = await pending;
      expect(r.version).toContain('other-build');
      await expect(fs.access(`${dir}/go-calls.log`)).rejects.toThrow(); // our fake go never ran
    });

    it('reports the tail of a failed build', async () => {
      const dir = await tempDir();
      await fakeGo(dir, 'echo "go: github.com/temporalio/cli@v1.5.1: no route to proxy" >&2; exit 1');
      const err = await resolveTemporalCli({
        log,
        env: cleanEnv({ PATH: `${dir}/gobin:${BARE_PATH}`, XDG_CACHE_HOME: `${dir}/cache` }),
        sdkDownloadTimeoutMs: 0,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TemporalCliError);
      expect((err as Error).message).toMatch(/go install` exited with code 1[\s\S]*no route to proxy/);
      // lock released, staging removed
      expect(await fs.readdir(path.join(dir, 'cache', 'mycelium', 'temporal-cli'))).toEqual([]);
    });
  });
});
