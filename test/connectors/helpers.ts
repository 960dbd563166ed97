/** Shared set-up for the files connector tests. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ParsedUnit, Person } from '../../schemas/entities';
import type { FilesContext } from '../../activities/connectors/files';
import { directoryFrom, parseUnit, QuarantineError } from '../../activities/connectors/files';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TEAM = path.join(here, 'fixtures', 'team');
export const BAD = path.join(here, 'fixtures', 'bad');

export const NOW = new Date('2025-02-01T00:00:00.000Z');
export const DAY = 24 * 60 * 60 * 1000;
export const MB = 1024 * 1024;

export function context(over: Partial<FilesContext> = {}): FilesContext {
  return {
    sourceId: 'acme',
    root: TEAM,
    timeShiftMs: 0,
    maxFileBytes: 5 * MB,
    directory: directoryFrom([]),
    now: NOW,
    horizonDays: 30,
    ...over,
  };
}

/** The fixture team's people, parsed by the connector itself. */
export async function teamPeople(root = TEAM): Promise<Person[]> {
  return (await parseUnit(context({ root }), 'people.json')).people;
}

/** A context whose directory is the fixture team. */
export async function teamContext(over: Partial<FilesContext> = {}): Promise<FilesContext> {
  return context({ directory: directoryFrom(await teamPeople()), ...over });
}

export async function quarantineReason(ctx: FilesContext, relPath: string): Promise<string> {
  try {
    const unit = await parseUnit(ctx, relPath);
    throw new Error(`expected ${relPath} to be quarantined, got ${JSON.stringify(unit).slice(0, 200)}`);
  } catch (err) {
    expect(err).toBeInstanceOf(QuarantineError);
    const q = err as QuarantineError;
    expect(q.path).toBe(relPath);
    return q.reason;
  }
}

/** A copy of a fixture folder in a temp dir, removed by the returned cleanup. */
export async function tempCopy(from: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'myc-files-'));
  await cp(from, dir, { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const json = (unit: ParsedUnit): string => JSON.stringify(unit);

/** Fails naming the first secret found in the text (without dumping the whole text). */
export function expectAbsent(text: string, secrets: readonly string[]): void {
  const found = secrets.filter((s) => text.includes(s));
  expect(found, 'strings that must not appear in the output').toEqual([]);
}
