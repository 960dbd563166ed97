import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { directoryFrom, itemIdFor, listUnits, parseUnit, slackTsToDate } from '../../activities/connectors/files';
import { BAD, DAY, expectAbsent, json, quarantineReason, TEAM, teamContext, teamPeople, tempCopy } from './helpers';

const DAY13 = 'slack/general/2025-01-13.json';
const ROOT_TS = '1736762400.000200';
const THREAD = `slack:C0GENERAL:${ROOT_TS}`;

describe('slack export', () => {
  it('ingests opted-in messages with thread keys, mentions and access', async () => {
    const unit = await parseUnit(await teamContext(), DAY13);
    expect(unit.people).toEqual([]);
    expect(unit.meetings).toEqual([]);
    expect(unit.items.map((i) => [i.externalId, i.authorId, i.threadId])).toEqual([
      [`C0GENERAL/${ROOT_TS}`, 'alice@acme.test', THREAD],
      ['C0GENERAL/1736762460.000300', 'bob@acme.test', THREAD],
      // Carol's reply (opted out), the bot and Vera (unknown) are skipped; so is Dan's channel_join
      ['C0GENERAL/1736762580.000500', 'dan@acme.test', THREAD],
    ]);
    const root = unit.items[0]!;
    expect(root).toEqual({
      id: itemIdFor('acme', `C0GENERAL/${ROOT_TS}`),
      sourceId: 'acme',
      externalId: `C0GENERAL/${ROOT_TS}`,
      kind: 'message',
      body: 'Launch moves to Feb 12 & @Bob Diaz owns the migration. @someone outside the opt-in can you update the mockups? cc @someone outside the opt-in',
      authorId: 'alice@acme.test',
      occurredAt: new Date('2025-01-13T10:00:00.000Z'),
      threadId: THREAD,
      locator: `slack://channel?id=C0GENERAL&message=${ROOT_TS}`,
      // channel members U0ALICE, U0BOB (via users.json email), U0CAROL (out), U0VERA (unknown)
      access: ['alice@acme.test', 'bob@acme.test'],
      recipients: ['bob@acme.test'],
      meta: {
        channel: 'general',
        channelId: 'C0GENERAL',
        ts: ROOT_TS,
        threadTs: ROOT_TS,
        isReply: false,
        replyCount: 3,
        mentions: ['bob@acme.test'],
      },
      segments: [{ position: 0, text: root.body }],
      contentHash: root.contentHash,
    });
    expect(root.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('renders channel links, URLs and broadcasts; the author always has access', async () => {
    const unit = await parseUnit(await teamContext(), DAY13);
    expect(unit.items[1]!.body).toBe('On it, dry run Thursday. Notes in #design and the wiki (https://wiki.acme.test/launch)');
    expect(unit.items[1]!.meta).toMatchObject({ isReply: true, threadTs: ROOT_TS });
    const broadcast = unit.items[2]!;
    expect(broadcast.body).toBe('Rollout checklist is up, @here');
    // Dan is not in channels.json members (he joined that day) but wrote the message
    expect(broadcast.access).toEqual(['alice@acme.test', 'bob@acme.test', 'dan@acme.test']);
  });

  it('never emits content of people outside the opt-in, even quoted in another message', async () => {
    const text = json(await parseUnit(await teamContext(), DAY13)) + json(await parseUnit(await teamContext(), 'slack/design/2025-01-14.json'));
    expectAbsent(text, ['CAROL-SECRET-SLACK', 'CAROL-SECRET-ROOT-COPY', 'CAROL-SECRET-DESIGN', 'VENDOR-SECRET-SLACK', 'BOT-DEPLOY-NOTICE', 'carol@acme.test', 'Carol Evans', 'has joined']);
  });

  it('keeps a reply in the thread of a root it cannot ingest', async () => {
    const unit = await parseUnit(await teamContext(), 'slack/design/2025-01-14.json');
    expect(unit.items).toHaveLength(1);
    expect(unit.items[0]).toMatchObject({
      authorId: 'dan@acme.test',
      threadId: 'slack:C0DESIGN:1736850000.000100',
      access: ['dan@acme.test'],
      recipients: [],
      body: 'Works for me @someone outside the opt-in',
    });
  });

  it('skips join/leave messages', async () => {
    const unit = await parseUnit(await teamContext(), 'slack/general/2025-01-14.json');
    expect(unit.items.map((i) => i.body)).toEqual(['Morning! Standup notes are in the doc.']);
    expect(unit.items[0]!.threadId).toBe('slack:C0GENERAL:1736845200.000100');
  });

  it('shifts times and keeps ids', async () => {
    const a = await parseUnit(await teamContext(), DAY13);
    const b = await parseUnit(await teamContext({ timeShiftMs: 100 * DAY - 1 }), DAY13);
    expect(b.items.map((i) => i.id)).toEqual(a.items.map((i) => i.id));
    b.items.forEach((it, i) => expect(it.occurredAt.getTime() - a.items[i]!.occurredAt.getTime()).toBe(100 * DAY - 1));
    expect(slackTsToDate('1736762400.000200').toISOString()).toBe('2025-01-13T10:00:00.000Z');
    expect(slackTsToDate('1736762400.999999').getTime()).toBe(1736762400999);
  });

  it('re-ingests a day when channel membership or users change (fileHash covers the context files)', async () => {
    const before = await parseUnit(await teamContext(), DAY13);
    const again = await parseUnit(await teamContext(), DAY13);
    expect(again).toEqual(before);
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      const channels = path.join(dir, 'slack', 'channels.json');
      await writeFile(channels, (await readFile(channels, 'utf8')).replace('["U0ALICE", "U0BOB", "U0CAROL", "U0VERA"]', '["U0ALICE", "U0CAROL", "U0DAN"]'));
      const after = await parseUnit(await teamContext({ root: dir }), DAY13);
      expect(after.fileHash).not.toBe(before.fileHash);
      expect(after.items[0]!.access).toEqual(['alice@acme.test', 'dan@acme.test']);

      const users = path.join(dir, 'slack', 'users.json');
      const beforeUsers = after.fileHash;
      await writeFile(users, (await readFile(users, 'utf8')).replace('"email": "bob@acme.test"', '"email": "bobby@elsewhere.test"'));
      const afterUsers = await parseUnit(await teamContext({ root: dir }), DAY13);
      expect(afterUsers.fileHash).not.toBe(beforeUsers);
      // Bob is only known to Slack through users.json: now he is nobody, so his reply is gone
      expect(afterUsers.items.map((i) => i.authorId)).toEqual(['alice@acme.test', 'dan@acme.test']);
    } finally {
      await cleanup();
    }
  });

  it('re-ingests when the opt-in changes (fileHash covers the directory)', async () => {
    const before = await parseUnit(await teamContext(), DAY13);
    const people = (await teamPeople()).map((p) => (p.id === 'alice@acme.test' ? { ...p, optedIn: false } : p));
    const after = await parseUnit(await teamContext({ directory: directoryFrom(people) }), DAY13);
    expect(after.fileHash).not.toBe(before.fileHash);
    expect(after.items.map((i) => i.authorId)).toEqual(['bob@acme.test', 'dan@acme.test']);
    expectAbsent(json(after), ['Launch moves to Feb 12']);
    expect(after.items[0]!.access).toEqual(['bob@acme.test']);
  });

  it('accepts an export that is the source root itself', async () => {
    const { dir, cleanup } = await tempCopy(path.join(TEAM, 'slack'));
    try {
      const { units, ignored } = await listUnits(dir);
      expect(units.map((u) => u.path)).toEqual(['design/2025-01-14.json', 'general/2025-01-13.json', 'general/2025-01-14.json']);
      expect(ignored).toEqual(['general/canvas.json', 'integration_logs.json']);
      const unit = await parseUnit(await teamContext({ root: dir }), 'general/2025-01-13.json');
      const inTeam = await parseUnit(await teamContext(), DAY13);
      expect(unit.items).toEqual(inTeam.items); // ids do not depend on where the export sits
    } finally {
      await cleanup();
    }
  });

  it('quarantines invalid day files and unknown channels', async () => {
    const ctx = await teamContext({ root: BAD });
    expect(await quarantineReason(ctx, 'slack/general/2025-01-13.json')).toBe(
      "invalid JSON at line 3 column 58 (Expected ',' or '}' after property value)",
    );
    expect(await quarantineReason(ctx, 'slack/general/2025-01-14.json')).toBe('messages[0].ts: missing');
    expect(await quarantineReason(ctx, 'slack/random/2025-01-13.json')).toBe('channel "random" is not listed in slack/channels.json');
  });

  it('quarantines a day file whose context file is broken', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(path.join(dir, 'slack', 'users.json'), '[{"id": "U0ALICE",}]');
      expect(await quarantineReason(await teamContext({ root: dir }), DAY13)).toBe(
        "slack/users.json: invalid JSON at line 1 column 19 (Expected double-quoted property name)",
      );
      await writeFile(path.join(dir, 'slack', 'users.json'), '[{"name": "alice"}]');
      expect(await quarantineReason(await teamContext({ root: dir }), DAY13)).toBe(
        'slack/users.json: users[0].id: Invalid input: expected string, received undefined',
      );
    } finally {
      await cleanup();
    }
  });
});
