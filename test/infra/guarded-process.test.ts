import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnGuarded } from '../../infra/guarded-process';
import { projectRoot } from '../../infra/paths';
import { log, pidAlive, tempDir, waitFor, writeScript } from './helpers';

describe('spawnGuarded', () => {
  it('stops with the stop signal and reports the exit', async () => {
    const p = spawnGuarded({ name: 'sleeper', command: 'sleep', args: ['100'], log });
    expect(p.pid).toBeTypeOf('number');
    expect(pidAlive(p.pid!)).toBe(true);
    await p.stop();
    expect(p.exitInfo()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(pidAlive(p.pid!)).toBe(false);
  });

  it('escalates to SIGKILL when the process ignores the stop signal', async () => {
    const dir = await tempDir();
    const script = await writeScript(path.join(dir, 'stubborn'), `trap '' TERM\necho started\nwhile :; do sleep 1; done`);
    const p = spawnGuarded({ name: 'stubborn', command: script, args: [], log, killAfterMs: 500 });
    await waitFor(() => p.outputTail().includes('started'), 5000, 'script start');
    const t0 = Date.now();
    await p.stop();
    expect(p.exitInfo()?.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });

  it('keeps the tail of the output and reports spawn failures', async () => {
    const p = spawnGuarded({ name: 'echo', command: 'sh', args: ['-c', 'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2; exit 3'], log, tailLines: 3 });
    const info = await p.exited;
    expect(info).toEqual({ code: 3, signal: null });
    expect(p.outputTail().split('\n')).toHaveLength(3);
    expect(p.outputTail()).toContain('oops');

    const missing = spawnGuarded({ name: 'missing', command: '/nonexistent/binary', args: [], log });
    expect((await missing.exited).error).toBeInstanceOf(Error);
    await missing.stop(); // no throw
  });

  it('does not leave the process behind when the parent is SIGKILLed', async () => {
    // a parent that starts a guarded `sleep`, prints its pid, and then waits to be killed
    const code = `
      import pino from 'pino';
      import { spawnGuarded } from './infra/guarded-process.ts';
      const p = spawnGuarded({ name: 'orphan-candidate', command: 'sleep', args: ['300'], log: pino({ level: 'silent' }), killAfterMs: 2000 });
      console.log('PID=' + p.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => /PID=\d+/.test(out), 30_000, 'parent to start the child');
    const childPid = Number(/PID=(\d+)/.exec(out)![1]);
    expect(pidAlive(childPid)).toBe(true);

    parent.kill('SIGKILL');
    await waitFor(() => !pidAlive(childPid), 15_000, `guarded child ${childPid} to die after its parent was SIGKILLed`);
  });
});
