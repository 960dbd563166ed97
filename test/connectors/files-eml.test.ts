import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemIdFor, parseUnit, stripQuoted } from '../../activities/connectors/files';
import { BAD, DAY, expectAbsent, json, quarantineReason, TEAM, teamContext, tempCopy } from './helpers';

const ROOT = '<launch-1@acme.test>';

describe('eml', () => {
  it('turns a message into an email item with opted-in access and recipients', async () => {
    const unit = await parseUnit(await teamContext(), 'mail/01-launch-plan.eml');
    expect(unit.items).toHaveLength(1);
    const item = unit.items[0]!;
    expect(item).toEqual({
      id: itemIdFor('acme', ROOT),
      sourceId: 'acme',
      externalId: ROOT,
      kind: 'email',
      title: 'Launch plan',
      body: 'Hi all,\n\nThe launch moves to February 12. Bob owns the migration,\nDan owns the rollout checklist.\n\nAlice',
      authorId: 'alice@acme.test',
      occurredAt: new Date('2025-01-13T16:00:00.000Z'),
      threadId: ROOT,
      locator: 'mail/01-launch-plan.eml',
      // from + to + cc, opted in only: carol (out) and vera (unknown) are not listed
      access: ['alice@acme.test', 'bob@acme.test', 'dan@acme.test'],
      recipients: ['bob@acme.test', 'dan@acme.test'],
      meta: { messageId: ROOT, inReplyTo: null, references: [], subject: 'Launch plan', outsideOptInCount: 2 },
      segments: [
        { position: 0, text: 'Hi all,' },
        { position: 1, text: 'The launch moves to February 12. Bob owns the migration,\nDan owns the rollout checklist.' },
        { position: 2, text: 'Alice' },
      ],
      contentHash: item.contentHash,
    });
    expectAbsent(json(unit), ['carol@acme.test', 'Carol Evans', 'vera@partner.test']);
  });

  it('threads a reply chain under the first Reference and strips quoted text', async () => {
    const reply = (await parseUnit(await teamContext(), 'mail/02-re-launch-plan.eml')).items[0]!;
    expect(reply).toMatchObject({
      externalId: '<launch-2@acme.test>',
      threadId: ROOT,
      authorId: 'bob@acme.test',
      body: 'Works for me. Migration dry run is on Thursday.',
      recipients: ['alice@acme.test', 'dan@acme.test'],
      meta: { messageId: '<launch-2@acme.test>', inReplyTo: ROOT, references: [ROOT], subject: 'Re: Launch plan' },
    });
    const second = (await parseUnit(await teamContext(), 'mail/03-re-re-launch-plan.eml')).items[0]!;
    expect(second).toMatchObject({
      externalId: '<launch-3@acme.test>',
      threadId: ROOT, // first of References, not In-Reply-To
      body: 'Checklist draft is in the wiki.\n\nCan we review it Friday?', // two-line "On ... wrote:" removed too
      meta: { inReplyTo: '<launch-2@acme.test>', references: [ROOT, '<launch-2@acme.test>'] },
      recipients: ['bob@acme.test', 'alice@acme.test'],
      access: ['alice@acme.test', 'bob@acme.test', 'dan@acme.test'],
    });
  });

  it('uses In-Reply-To when there are no References', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(
        path.join(dir, 'mail', 'x.eml'),
        'From: bob@acme.test\r\nTo: alice@acme.test\r\nDate: Wed, 15 Jan 2025 08:00:00 -0500\r\nMessage-ID: <x@acme.test>\r\nIn-Reply-To: <launch-2@acme.test>\r\nSubject: ok\r\n\r\nok\r\n',
      );
      const item = (await parseUnit(await teamContext({ root: dir }), 'mail/x.eml')).items[0]!;
      expect(item.threadId).toBe('<launch-2@acme.test>');
      expect(item.occurredAt).toEqual(new Date('2025-01-15T13:00:00.000Z'));
    } finally {
      await cleanup();
    }
  });

  it('ingests nothing from a sender outside the opt-in', async () => {
    const unit = await parseUnit(await teamContext(), 'mail/04-from-carol.eml');
    expect(unit.items).toEqual([]);
    expectAbsent(json(unit), ['CAROL-SECRET-EMAIL', 'worried']);
    expect(unit.fileHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shifts the Date header and keeps the id', async () => {
    const a = (await parseUnit(await teamContext(), 'mail/02-re-launch-plan.eml')).items[0]!;
    const b = (await parseUnit(await teamContext({ timeShiftMs: -2 * DAY }), 'mail/02-re-launch-plan.eml')).items[0]!;
    expect(b.occurredAt).toEqual(new Date('2025-01-11T17:30:00.000Z'));
    expect(b.id).toBe(a.id);
  });

  it('strips simple quoting only', () => {
    expect(stripQuoted('New text\n\nOn Mon, Jan 13, 2025 Alice wrote:\n> old\n> older\n')).toBe('New text');
    expect(stripQuoted('Top\n-----Original Message-----\nFrom: x\nold body')).toBe('Top');
    expect(stripQuoted('> only quoted')).toBe('> only quoted'); // nothing new: keep what there is
    expect(stripQuoted('Inline\n> quote\nanswer')).toBe('Inline\nanswer');
  });

  it('quarantines binary, header-less and undated files', async () => {
    const ctx = await teamContext({ root: BAD });
    expect(await quarantineReason(ctx, 'binary.eml')).toBe('binary content (NUL byte at offset 36)');
    expect(await quarantineReason(ctx, 'not-an-email.eml')).toBe('not an email (no From header)');
    expect(await quarantineReason(ctx, 'no-date.eml')).toBe('missing Date header');
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(path.join(dir, 'bad-date.eml'), 'From: alice@acme.test\nDate: sometime last week\n\nx\n');
      expect(await quarantineReason(await teamContext({ root: dir }), 'bad-date.eml')).toBe('invalid Date header "sometime last week"');
    } finally {
      await cleanup();
    }
  });
});
