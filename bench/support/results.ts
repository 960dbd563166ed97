/**
 * Appends a run to bench/RESULTS.md: the machine, the command, and each benchmark's table and verdict, so the
 * file keeps every measured run with what it ran on.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { describeMachine, type BenchOutcome, type Machine } from './report';

export async function writeResults(file: string, run: { machine: Machine; command: string; outcomes: BenchOutcome[] }): Promise<void> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing === undefined) await writeFile(file, '# Benchmark results\n\nEach section is one `npm run bench` run, appended by `--results`.\n');
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const parts = [`\n## Run of ${when}`, '', `Machine: ${describeMachine(run.machine)}`, '', `Command: \`${run.command}\``];
  for (const o of run.outcomes) parts.push('', `### ${o.title}`, '', o.text, '', `**${o.verdict}**`);
  await appendFile(file, `${parts.join('\n')}\n`);
}
