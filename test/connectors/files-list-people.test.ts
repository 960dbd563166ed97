import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Person } from '../../schemas/entities';
import { directoryFrom, itemIdFor, listUnits, parseUnit } from '../../activities/connectors/files';
import { describeJsonError } from '../../activities/connectors/files/json';
import { BAD, context, quarantineReason, TEAM, teamPeople, tempCopy } from './helpers';

describe('listUnits', () => {
  it('lists understood files with people.json first, skips dotfiles and Slack context, reports the rest', async () => {
    const { units, ignored } = await listUnits(TEAM);
    expect(units.map((u) => u.path)).toEqual([
      'people.json',
      'calendar/dan-1on1.ics',
      'calendar/platform.ics',
      'mail/01-launch-plan.eml',
      'mail/02-re-launch-plan.eml',
      'mail/03-re-re-launch-plan.eml',
      'mail/04-from-carol.eml',
      'slack/design/2025-01-14.json',
      'slack/general/2025-01-13.json',
      'slack/general/2025-01-14.json',
      'transcripts/standup-2025-01-13.vtt',
    ]);
    // users.json / channels.json are context, not units and not "ignored"; hidden files are neither
    expect(ignored).toEqual(['README.md', 'notes.txt', 'slack/general/canvas.json', 'slack/integration_logs.json']);
    const people = units.find((u) => u.path === 'people.json');
    expect(people?.size).toBe(919);
  });

  it('does not treat date-named JSON as Slack days outside an export folder', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(path.join(dir, 'calendar', '2025-01-13.json'), '[]');
      const { units, ignored } = await listUnits(dir);
      expect(units.map((u) => u.path)).not.toContain('calendar/2025-01-13.json');
      expect(ignored).toContain('calendar/2025-01-13.json');
    } finally {
      await cleanup();
    }
  });

  it('sorts a nested people.json before everything else', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await mkdir(path.join(dir, 'zz'));
      await rename(path.join(dir, 'people.json'), path.join(dir, 'zz', 'people.json'));
      const { units } = await listUnits(dir);
      expect(units[0]?.path).toBe('zz/people.json');
    } finally {
      await cleanup();
    }
  });
});

describe('people.json', () => {
  it('parses every person with identities, defaults and lower-cased ids', async () => {
    const unit = await parseUnit(context(), 'people.json');
    expect(unit.items).toEqual([]);
    expect(unit.meetings).toEqual([]);
    expect(unit.people).toEqual([
      {
        id: 'alice@acme.test',
        name: 'Alice Chen',
        title: 'Engineering Manager',
        team: 'Platform',
        timezone: 'America/New_York',
        workingHours: { start: '08:30', end: '16:30' },
        optedIn: true,
        identities: [
          { provider: 'email', externalId: 'alice@acme.test' },
          { provider: 'slack', externalId: 'U0ALICE' },
        ],
      },
      {
        id: 'bob@acme.test',
        name: 'Bob Diaz',
        title: 'Engineer',
        team: 'Platform',
        managerId: 'alice@acme.test',
        timezone: 'UTC',
        workingHours: { start: '09:00', end: '17:00' },
        optedIn: true,
        identities: [{ provider: 'email', externalId: 'bob@acme.test' }],
      },
      {
        id: 'carol@acme.test',
        name: 'Carol Evans',
        title: 'Designer',
        team: 'Design',
        managerId: 'alice@acme.test',
        timezone: 'Europe/Berlin',
        workingHours: { start: '09:00', end: '17:00' },
        optedIn: false,
        identities: [
          { provider: 'email', externalId: 'carol@acme.test' },
          { provider: 'slack', externalId: 'U0CAROL' },
        ],
      },
      {
        id: 'dan@acme.test',
        name: 'Dan Fox',
        team: 'Platform',
        managerId: 'alice@acme.test',
        timezone: 'UTC',
        workingHours: { start: '09:00', end: '17:00' },
        optedIn: true,
        identities: [
          { provider: 'email', externalId: 'dan@acme.test' },
          { provider: 'slack', externalId: 'U0DAN' },
        ],
      },
    ]);
    for (const p of unit.people) expect(Person.parse(p)).toEqual(p);
  });

  it('has a fileHash that depends on the bytes only', async () => {
    const a = await parseUnit(context(), 'people.json');
    const b = await parseUnit(context({ timeShiftMs: 12 * 3600_000, directory: directoryFrom(a.people) }), 'people.json');
    expect(b.fileHash).toBe(a.fileHash);
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      const file = path.join(dir, 'people.json');
      await writeFile(file, (await readFile(file, 'utf8')).replace('"optedIn": false', '"optedIn": true'));
      const c = await parseUnit(context({ root: dir }), 'people.json');
      expect(c.fileHash).not.toBe(a.fileHash);
      expect(c.people.find((p) => p.id === 'carol@acme.test')?.optedIn).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('quarantines invalid JSON with its line and column', async () => {
    expect(await quarantineReason(context({ root: BAD }), 'people-invalid-json/people.json')).toBe(
      "invalid JSON at line 4 column 5 (Expected ',' or ']' after array element)",
    );
  });

  it('quarantines a bad entry naming its index and field', async () => {
    expect(await quarantineReason(context({ root: BAD }), 'people-bad-email/people.json')).toBe('people[2].email: not an email address');
  });

  it('quarantines duplicates, missing opt-in, bad hours and time zones', async () => {
    const { dir, cleanup } = await tempCopy(path.join(BAD, 'people-bad-email'));
    const write = (people: unknown[]) => writeFile(path.join(dir, 'people.json'), JSON.stringify({ people }));
    const ctx = context({ root: dir });
    try {
      await write([
        { email: 'a@x.test', name: 'A', optedIn: true },
        { email: 'A@x.test', name: 'A2', optedIn: true },
      ]);
      expect(await quarantineReason(ctx, 'people.json')).toBe('people[1].email: duplicate of people[0]');
      await write([{ email: 'a@x.test', name: 'A' }]);
      expect(await quarantineReason(ctx, 'people.json')).toBe('people[0].optedIn: must be true or false');
      await write([{ email: 'a@x.test', name: 'A', optedIn: true, workingHours: { start: '9:00', end: '17:00' } }]);
      expect(await quarantineReason(ctx, 'people.json')).toBe('people[0].workingHours.start: expected "HH:MM" (24h)');
      await write([{ email: 'a@x.test', name: 'A', optedIn: true, timezone: 'Mars/Olympus' }]);
      expect(await quarantineReason(ctx, 'people.json')).toBe('people[0].timezone: not an IANA time zone');
      await writeFile(path.join(dir, 'people.json'), '{"people": [');
      expect(await quarantineReason(ctx, 'people.json')).toBe('truncated: JSON ends unexpectedly at line 1 column 13');
    } finally {
      await cleanup();
    }
  });
});

describe('directory and ids', () => {
  it('resolves by email, Slack id and name; ambiguous names resolve to nobody', async () => {
    const people = await teamPeople();
    const dir = directoryFrom(people);
    expect(dir.byEmail(' ALICE@acme.test ')?.id).toBe('alice@acme.test');
    expect(dir.bySlackId('U0DAN')?.id).toBe('dan@acme.test');
    expect(dir.bySlackId('U0BOB')).toBeUndefined(); // no slackId in people.json
    expect(dir.byName('  alice   CHEN ')?.id).toBe('alice@acme.test');
    expect(dir.byName('Nobody')).toBeUndefined();
    const twin = { ...people[1]!, id: 'bob2@acme.test', identities: [] };
    expect(directoryFrom([...people, twin]).byName('Bob Diaz')).toBeUndefined();
    // the fingerprint follows content, not order
    expect(directoryFrom([...people].reverse()).fingerprint).toBe(dir.fingerprint);
    expect(directoryFrom(people.map((p) => ({ ...p, optedIn: true }))).fingerprint).not.toBe(dir.fingerprint);
  });

  it('makes short stable ids from source and external id', () => {
    const id = itemIdFor('acme', 'C0GENERAL/1736762400.000200');
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(itemIdFor('acme', 'C0GENERAL/1736762400.000200')).toBe(id);
    expect(itemIdFor('other', 'C0GENERAL/1736762400.000200')).not.toBe(id);
    expect(itemIdFor('acme', 'C0GENERAL/1736762400.000201')).not.toBe(id);
    // no ambiguity between the two parts
    expect(itemIdFor('ab', 'c')).not.toBe(itemIdFor('a', 'bc'));
  });
});

describe('JSON error positions', () => {
  const describeParse = (text: string): string => {
    try {
      JSON.parse(text);
    } catch (err) {
      return describeJsonError(text, (err as Error).message);
    }
    throw new Error('expected invalid JSON');
  };

  it('locates every kind of engine error', () => {
    // the whole (short) input quoted
    expect(describeParse('{\n  "a": 1,\n  "b": }')).toBe("invalid JSON at line 3 column 8 (Unexpected token '}')");
    // context at the start, in the middle, at the end
    expect(describeParse('{"a": x, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1}')).toBe("invalid JSON at line 1 column 7 (Unexpected token 'x')");
    expect(describeParse('{"aaaaaaaaaaaaaaaaaaaaaaa": 1,\n "b": [1, 2,],\n "cccccccccccccccccc": 2}')).toBe(
      "invalid JSON at line 2 column 13 (Unexpected token ']')",
    );
    expect(describeParse('{"people": [\n  {"a": tru}\n]}\n')).toBe("invalid JSON at line 2 column 12 (Unexpected token '}')");
    // "at position N"
    expect(describeParse('{"a": "x"}}')).toBe('invalid JSON at line 1 column 11 (Unexpected non-whitespace character after JSON)');
    // the end of the input
    expect(describeParse('{"a": "unterminated')).toBe('truncated: JSON ends unexpectedly at line 1 column 20');
    expect(describeParse('  ')).toBe('empty file (no JSON)');
  });
});
