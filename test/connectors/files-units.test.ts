/** Whole-folder properties and the refusals shared by every format. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParsedUnit } from '../../schemas/entities';
import { directoryFrom, formatBytes, listUnits, parseUnit, QuarantineError } from '../../activities/connectors/files';
import { context, DAY, expectAbsent, json, MB, NOW, quarantineReason, TEAM, teamContext } from './helpers';

async function parseAll(over: Parameters<typeof teamContext>[0] = {}) {
  const { units } = await listUnits(TEAM);
  const people = await parseUnit(context(), 'people.json');
  const ctx = context({ directory: directoryFrom(people.people), ...over });
  return Promise.all(units.map((u) => parseUnit(ctx, u.path)));
}

describe('the whole sample folder', () => {
  it('parses every unit into schema-valid output, deterministically', async () => {
    const first = await parseAll();
    const second = await parseAll();
    expect(second).toEqual(first);
    for (const unit of first) expect(ParsedUnit.parse(unit)).toEqual(unit);
    const counts = first.map((u) => [u.path, u.people.length, u.items.length, u.meetings.length]);
    expect(counts).toEqual([
      ['people.json', 4, 0, 0],
      ['calendar/dan-1on1.ics', 0, 1, 1],
      ['calendar/platform.ics', 0, 10, 10],
      ['mail/01-launch-plan.eml', 0, 1, 0],
      ['mail/02-re-launch-plan.eml', 0, 1, 0],
      ['mail/03-re-re-launch-plan.eml', 0, 1, 0],
      ['mail/04-from-carol.eml', 0, 0, 0],
      ['slack/design/2025-01-14.json', 0, 1, 0],
      ['slack/general/2025-01-13.json', 0, 3, 0],
      ['slack/general/2025-01-14.json', 0, 1, 0],
      ['transcripts/standup-2025-01-13.vtt', 0, 1, 0],
    ]);
    const ids = first.flatMap((u) => u.items.map((i) => i.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps every id and shifts every timestamp by timeShiftMs', async () => {
    const shift = 321 * DAY + 17 * 60_000;
    const base = await parseAll();
    const moved = await parseAll({ timeShiftMs: shift, now: new Date(NOW.getTime() + shift) });
    expect(moved.flatMap((u) => u.items.map((i) => i.id))).toEqual(base.flatMap((u) => u.items.map((i) => i.id)));
    expect(moved.flatMap((u) => u.meetings.map((m) => m.id))).toEqual(base.flatMap((u) => u.meetings.map((m) => m.id)));
    const times = (units: ParsedUnit[]) =>
      units.flatMap((u) => [
        ...u.items.map((i) => i.occurredAt.getTime()),
        ...u.meetings.flatMap((m) => [m.startsAt.getTime(), m.endsAt.getTime()]),
      ]);
    const before = times(base);
    const after = times(moved);
    expect(after).toHaveLength(before.length);
    after.forEach((t, i) => expect(t - before[i]!).toBe(shift));
    // a meta copy of a time is shifted as well
    const metaStarts = (units: ParsedUnit[]) =>
      units.flatMap((u) => u.items.map((i) => i.meta.startsAt)).filter((s): s is string => typeof s === 'string');
    expect(metaStarts(moved).map((s, i) => Date.parse(s) - Date.parse(metaStarts(base)[i]!))).toEqual(metaStarts(base).map(() => shift));
  });

  it('emits nothing any opted-out person wrote or said', async () => {
    const units = await parseAll();
    expectAbsent(units.map(json).join('\n'), ['CAROL-SECRET', 'CAROL-SECOND-CUE', 'VENDOR-SECRET', 'BOT-DEPLOY-NOTICE', 'vera@partner.test']);
    // the directory lists Carol (with optedIn: false); nothing else names her
    const content = units.filter((u) => u.path !== 'people.json');
    expectAbsent(content.map(json).join('\n'), ['carol@acme.test', 'Carol Evans']);
  });
});

describe('refusals shared by every format', () => {
  it('checks the size before reading', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'myc-files-big-'));
    try {
      // binary AND oversized: the size is reported, so the content was never inspected
      await writeFile(path.join(dir, 'huge.vtt'), Buffer.alloc(Math.round(9.1 * MB)));
      expect(await quarantineReason(context({ root: dir }), 'huge.vtt')).toBe('file is 9.1 MB, over the 5 MB limit');
      await writeFile(path.join(dir, 'small.eml'), 'x'.repeat(2049));
      expect(await quarantineReason(context({ root: dir, maxFileBytes: 2048 }), 'small.eml')).toBe('file is 2 KB, over the 2 KB limit');
      expect(formatBytes(999)).toBe('999 bytes');
      expect(formatBytes(1536)).toBe('1.5 KB');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses non-UTF-8 text formats', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'myc-files-latin1-'));
    try {
      await writeFile(path.join(dir, 'people.json'), Buffer.from('{"people": [{"name": "Jos\xe9"}]}', 'latin1'));
      expect(await quarantineReason(context({ root: dir }), 'people.json')).toBe('not valid UTF-8 text (at byte offset 25)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses paths outside the root, hidden files, missing and unknown files', async () => {
    const ctx = await teamContext();
    expect(await quarantineReason(ctx, '../bad/binary.eml')).toBe('path escapes the source root');
    expect(await quarantineReason(ctx, '/etc/passwd')).toBe('not a relative posix path');
    expect(await quarantineReason(ctx, '.hidden/secret.eml')).toBe('hidden files are not units');
    expect(await quarantineReason(ctx, 'README.md')).toBe('not a file this connector understands');
    expect(await quarantineReason(ctx, 'slack/users.json')).toBe('not a file this connector understands');
    expect(await quarantineReason(ctx, 'mail/missing.eml')).toBe('file not found');
  });

  it('QuarantineError carries path and reason', () => {
    const err = new QuarantineError('a/b.vtt', 'truncated: x');
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.path, err.reason, err.message]).toEqual(['QuarantineError', 'a/b.vtt', 'truncated: x', 'a/b.vtt: truncated: x']);
  });
});
