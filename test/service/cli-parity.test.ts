/**
 * Every registry operation is a `myc` command, derived from the registry alone: an operation added
 * later (people_*, sources_*, …) is on the command line without code of its own, and this fails when
 * one is not.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandWords } from '../../clients/cli/commands';
import { buildProgram } from '../../clients/cli/program';
import { operations } from '../../clients/registry';
import { jsonSchemaOf } from '../../clients/registry/json-schema';

const bin = fileURLToPath(new URL('../../bin/mycelium.mjs', import.meta.url));
let home: string;

function myc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, MYCELIUM_HOME: home, MYCELIUM_URL: '' }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

function commandPath(command: Command): string[] {
  const words: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) words.unshift(c.name());
  return words;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mycelium-parity-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('CLI parity with the registry', () => {
  const { commands } = buildProgram();

  it.each(operations.map((op) => [op.name, op] as const))('%s has a command, with an option for every input field', (_name, op) => {
    const command = commands.get(op.name);
    expect(command, `no myc command for ${op.name}`).toBeDefined();
    expect(commandPath(command!)).toEqual(commandWords(op));
    const fields = Object.keys((jsonSchemaOf(op.input, 'input') as { properties?: object }).properties ?? {});
    const options = command!.options.map((o) => o.attributeName());
    for (const field of fields) expect(options, `${op.name}: no option for ${field}`).toContain(field);
    expect(options).toContain('json');
  });

  it('names the documented commands as the issue spells them', () => {
    const typed = (name: string) => commandPath(commands.get(name)!).join(' ');
    expect(typed('decisions_list')).toBe('decisions list');
    expect(typed('tokens_create')).toBe('tokens create');
    expect(typed('brief_prepare')).toBe('brief prepare');
    const opt = operations.find((o) => o.name === 'people_opt_in');
    if (opt) expect(typed('people_opt_in')).toBe('people opt-in');
  });

  it('myc ops --json lists the whole registry, with scopes and JSON schemas', async () => {
    const run = await myc('ops', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout) as { name: string; scope: string; input: object; output: object }[];
    expect(listed.map((o) => o.name)).toEqual(operations.map((o) => o.name));
    for (const op of listed) {
      expect(['read', 'write', 'admin']).toContain(op.scope);
      expect(op.input).toMatchObject({ type: 'object' });
      expect(op.output).toBeTypeOf('object');
    }
  }, 60_000);

  it('a usage error is one line and exit code 1; --help is exit code 0', async () => {
    const unknown = await myc('no-such-command');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^mycelium: unknown command 'no-such-command'/);
    const help = await myc('decisions', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('list');
  }, 60_000);
});
