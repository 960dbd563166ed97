import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The rule that keeps workflow code deterministic is part of the design: prove it bites.
describe('lint: workflows/ stay free of I/O', () => {
  const eslint = new ESLint();
  const lint = async (code: string) => {
    const [result] = await eslint.lintText(code, { filePath: 'workflows/probe.ts' });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  };

  it('rejects Node, database and client imports in workflows', async () => {
    expect(await lint("import { readFile } from 'node:fs';\nexport const f = readFile;\n")).toHaveLength(1);
    expect(await lint("import { Pool } from 'pg';\nexport const p = Pool;\n")).toHaveLength(1);
    expect(await lint("import { Client } from '@temporalio/client';\nexport const c = Client;\n")).toHaveLength(1);
  });

  it('rejects value imports of activities but allows type imports', async () => {
    expect(await lint("import { createActivities } from '../activities';\nexport const a = createActivities;\n")).toHaveLength(1);
    expect(await lint("import type { Activities } from '../activities';\nexport type A = Activities;\n")).toEqual([]);
  });

  it('leaves activities free to do I/O', async () => {
    const [result] = await eslint.lintText("import { readFile } from 'node:fs';\nexport const f = readFile;\n", { filePath: 'activities/probe.ts' });
    expect(result?.messages.filter((m) => m.ruleId === 'no-restricted-imports')).toEqual([]);
  });
});
