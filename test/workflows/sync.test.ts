/**
 * syncSource on the real dev server, over a copy of the sample team: incremental re-runs, changed and
 * deleted files, and bad files quarantined while everything beside them is ingested.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder } from '../../clients/cli/demo';
import { ingest } from '../../clients/operations';
import type { SyncProgress } from '../../workflows/sync';
import { openTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let folder: string;

const countItems = async (): Promise<number> =>
  (await stack.db.query<{ n: number }>("SELECT count(*)::int AS n FROM items WHERE source_id = 'team'")).rows[0]!.n;

beforeAll(async () => {
  stack = await openTestStack({ name: 'sync' });
  folder = await mkdtemp(join(tmpdir(), 'mycelium-sync-'));
  await cp(sampleTeamFolder, folder, { recursive: true });
});

afterAll(async () => {
  await stack?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('syncSource', () => {
  it('ingests a folder, reporting progress, and a re-run ingests nothing new', async () => {
    const seen: SyncProgress[] = [];
    const first = await ingest(stack, { folder, sourceId: 'team' }, (p) => seen.push(p));
    expect(first.result.quarantined).toEqual([]);
    expect(first.result.inserted).toBe(await countItems());
    expect(seen.at(-1)).toEqual({ phase: 'done', total: first.result.files, done: first.result.files });
    expect(first.workflowId).toBe('sync:team');

    const again = await ingest(stack, { folder, sourceId: 'team' });
    expect(again.result).toMatchObject({ inserted: 0, updated: 0, removed: 0 });
    expect(again.result.unchanged).toBe(first.result.inserted);
    const { rows } = await stack.db.query<{ cursor: { files: number } }>("SELECT cursor FROM sources WHERE id = 'team'");
    expect(rows[0]!.cursor.files).toBe(first.result.files);
  });

  it('updates the items of a changed file and removes those of a deleted one', async () => {
    const email = join(folder, 'email/10-release-notes-draft.eml');
    const original = await readFile(email, 'utf8');
    await writeFile(email, original.replace('Same text for both stores', 'Same wording on both stores'));
    await rm(join(folder, 'email/03-team-offsite-april.eml'), { force: true });
    const before = await countItems();

    const result = (await ingest(stack, { folder, sourceId: 'team' })).result;
    expect(result.updated).toBe(1);
    expect(result.removed).toBeGreaterThanOrEqual(1);
    expect(await countItems()).toBe(before - result.removed);
    const { rows } = await stack.db.query<{ body: string }>("SELECT body FROM items WHERE source_path = 'email/10-release-notes-draft.eml'");
    expect(rows[0]!.body).toContain('Same wording on both stores');
  });

  it('quarantines malformed, truncated and binary files with a reason, and ingests everything beside them', async () => {
    await writeFile(join(folder, 'transcripts/broken.vtt'), 'WEBVTT\n\n00:00:01.000 --> 00:00:0');
    await writeFile(join(folder, 'email/binary.eml'), Buffer.from([0x46, 0x72, 0x00, 0x01, 0xff, 0x00]));
    await writeFile(join(folder, 'slack/random/2026-03-07.json'), '[{"type": "message", "user": "U01ALICE", "text": "cut off');
    await writeFile(
      join(folder, 'email/11-new.eml'),
      [
        'From: Erin Walsh <erin@acme.test>',
        'To: Alice Chen <alice@acme.test>',
        'Subject: Screenshots are ready',
        'Date: Mon, 09 Mar 2026 16:00:00 +0000',
        'Message-ID: <screenshots-ready@acme.test>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The new store screenshots are in the shared drive.',
        '',
      ].join('\r\n'),
    );

    const result = (await ingest(stack, { folder, sourceId: 'team' })).result;
    expect(result.quarantined.map((q) => q.path).sort()).toEqual(['email/binary.eml', 'slack/random/2026-03-07.json', 'transcripts/broken.vtt']);
    expect(result.quarantined.find((q) => q.path === 'email/binary.eml')?.reason).toMatch(/binary content/);
    expect(result.quarantined.find((q) => q.path === 'slack/random/2026-03-07.json')?.reason).toMatch(/JSON/);
    expect(result.inserted).toBe(1);

    const stored = await stack.store.listQuarantine('team');
    expect(stored.map((q) => q.path).sort()).toEqual(result.quarantined.map((q) => q.path).sort());
    const { rows } = await stack.db.query<{ n: number }>("SELECT count(*)::int AS n FROM items WHERE source_path LIKE '%broken%' OR source_path LIKE '%binary%'");
    expect(rows[0]!.n).toBe(0);
  });

  it('clears the quarantine once a file is fixed', async () => {
    await writeFile(join(folder, 'transcripts/broken.vtt'), 'WEBVTT\n\nNOTE recorded: 2026-03-09T10:00:00Z\n\n00:00:01.000 --> 00:00:04.000\n<v Alice Chen>Fixed it.</v>\n');
    const result = (await ingest(stack, { folder, sourceId: 'team' })).result;
    expect(result.quarantined.map((q) => q.path)).not.toContain('transcripts/broken.vtt');
    expect((await stack.store.listQuarantine('team')).map((q) => q.path)).not.toContain('transcripts/broken.vtt');
  });
});
