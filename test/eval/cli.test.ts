/** `npm run eval` refuses bad options before it reads or ingests anything. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../../clients/eval/main.ts', import.meta.url));

function evalCli(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    );
  });
}

describe('eval qmsum options', () => {
  it('refuses --k above the most citations myc ask gives, naming the limit', async () => {
    const run = await evalCli('qmsum', '--data', 'nowhere', '--evidence', 'nowhere', '--k', '51');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("option '--k <n>' argument '51' is invalid. expected at most 50");
  });

  it('refuses a --k that is not a positive integer', async () => {
    const run = await evalCli('qmsum', '--data', 'nowhere', '--evidence', 'nowhere', '--k', '0');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("option '--k <n>' argument '0' is invalid. expected a positive integer");
  });
});
