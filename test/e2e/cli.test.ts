/**
 * The `mycelium` command as a user runs it: a real process, real exit codes, JSON on stdout,
 * a one-line reason on stderr. Runs against the test run's Temporal server in a namespace of its own.
 * No service runs on its MYCELIUM_HOME, so every command runs in-process (test/service covers the
 * same CLI going through a running service).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';

const bin = fileURLToPath(new URL('../../bin/mycelium.mjs', import.meta.url));
const NAMESPACE = 'test-cli';
let home: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function myc(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        env: { ...process.env, MYCELIUM_HOME: home, MYCELIUM_URL: '', MYCELIUM_TOKEN: '', TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: NAMESPACE, DATABASE_URL: '', LOG_LEVEL: 'warn' },
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mycelium-cli-'));
  await ensureTestNamespace(NAMESPACE);
});

afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe('mycelium CLI', () => {
  let demo: { meeting: { id: string }; brief: { id: string; markdown: string }; workflowId: string; runId: string; uiLink?: string };

  it('demo --json: ingests the sample team and briefs its next meeting', async () => {
    const run = await myc('demo', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    demo = JSON.parse(run.stdout);
    expect(demo.meeting.id).toBe('acme:mobile-sync-001@acme.test@2026-03-10T10:00:00.000Z');
    expect(demo.workflowId).toBe(`meeting:${demo.meeting.id}`);
    expect(demo.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(demo.brief.markdown).toContain('## Sources');
    expect(await readdir(join(home, 'outbox'))).toContain(`${demo.brief.id}.md`);
  }, 360_000);

  it('meetings --json lists the upcoming meetings, next first, cancelled ones left out', async () => {
    const run = await myc('meetings', '--json');
    expect(run.code).toBe(0);
    const meetings = JSON.parse(run.stdout) as { id: string; status: string; startsAt: string }[];
    expect(meetings[0]?.id).toBe(demo.meeting.id);
    expect(meetings.every((m) => m.status !== 'cancelled')).toBe(true);
    const starts = meetings.map((m) => Date.parse(m.startsAt));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  }, 120_000);

  it('brief <id> --json returns the delivered brief with its citations, workflow id and run id', async () => {
    const run = await myc('brief', demo.meeting.id, '--json');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.brief.id).toBe(demo.brief.id);
    expect(out.workflowId).toBe(demo.workflowId);
    expect(out.runId).toBe(demo.runId);
    expect(out.brief.sections.length).toBeGreaterThan(0);
    expect(out.brief.citations.length).toBeGreaterThan(0);
    for (const citation of out.brief.citations) {
      expect(Object.keys(citation)).toEqual(expect.arrayContaining(['itemId', 'sourceId', 'author', 'occurredAt', 'locator', 'quote']));
    }
  }, 120_000);

  it('search --as shows only what that person may see', async () => {
    const search = async (as: string) =>
      JSON.parse((await myc('search', 'Q2 planning pre-read', '--as', as, '--json')).stdout) as { locator: string; title?: string }[];
    // the Q2 planning thread went to Ines, Alice, Erin and Dev; Bob was not on it
    const asAlice = await search('alice@acme.test');
    const asBob = await search('bob@acme.test');
    expect(asAlice.some((r) => r.locator.includes('q2-planning'))).toBe(true);
    expect(asBob.some((r) => r.locator.includes('q2-planning'))).toBe(false);
  }, 120_000);

  it('decisions --open --json gives the log with sources; ask answers with citations', async () => {
    const log = JSON.parse((await myc('decisions', '--open', '--as', 'alice@acme.test', '--json')).stdout) as {
      statement: string;
      open: boolean;
      sources: { locator: string | null; quote: string }[];
    }[];
    const runbook = log.find((d) => /rollback runbook/i.test(d.statement));
    expect(runbook?.open).toBe(true);
    expect(runbook?.sources.some((s) => s.locator?.startsWith('transcripts/2026-02-24-mobile-release-sync.vtt'))).toBe(true);

    const answer = JSON.parse((await myc('ask', 'what did we decide about the rollback runbook?', '--as', 'alice@acme.test', '--json')).stdout) as {
      sentences: { text: string; citations: number[] }[];
      citations: { marker: number; locator: string; position: number }[];
    };
    expect(answer.sentences.length).toBeGreaterThan(0);
    for (const s of answer.sentences) expect(s.citations.length).toBeGreaterThan(0);
    expect(answer.citations.some((c) => c.locator.startsWith('transcripts/2026-02-24') && c.position === 20)).toBe(true);

    // --meeting keeps the answer inside one meeting: the 3 March sync never mentions the runbook,
    // so nothing of the 24 February sync, where it was decided, may be cited.
    const scoped = JSON.parse(
      (await myc('ask', 'what did we decide about the rollback runbook?', '--as', 'alice@acme.test', '--meeting', 'acme:mobile-sync-001@acme.test@2026-03-03T10:00:00.000Z', '--json')).stdout,
    ) as { citations: { locator: string }[] };
    expect(scoped.citations.every((c) => c.locator.startsWith('transcripts/2026-03-03'))).toBe(true);
    const decided = JSON.parse(
      (await myc('ask', 'what did we decide about the rollback runbook?', '--as', 'alice@acme.test', '--meeting', 'acme:mobile-sync-001@acme.test@2026-02-24T10:00:00.000Z', '--json')).stdout,
    ) as { citations: { locator: string; position: number }[] };
    expect(decided.citations[0]).toMatchObject({ position: 20 });
    expect(decided.citations.every((c) => c.locator.startsWith('transcripts/2026-02-24'))).toBe(true);
  }, 180_000);

  it('notify --about <decision> --dry-run --json prints the plan (recipients, roles, mediums, reasons) and sends nothing', async () => {
    const listed = await myc('decisions', '--as', 'alice@acme.test', '--json');
    const decisions = JSON.parse(listed.stdout) as { id: string; statement: string }[];
    const runbook = decisions.find((d) => d.statement.startsWith('No store submission for 4.2 without the rollback runbook'));
    expect(runbook).toBeDefined();
    const run = await myc('notify', '--about', runbook!.id, '--as', 'alice@acme.test', '--dry-run', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { dryRun: boolean; plan: { recipients: { personId: string; role: string; roleReasons: string[]; medium: string; mediumReason: string }[]; withheld: { note: string }[] }; notifications: unknown[] };
    expect(out.dryRun).toBe(true);
    expect(out.notifications).toEqual([]);
    expect(out.plan.recipients.length).toBeGreaterThan(0);
    for (const r of out.plan.recipients) {
      expect(['decide', 'consult', 'inform']).toContain(r.role);
      expect(r.roleReasons.length).toBeGreaterThan(0);
      expect(r.mediumReason.length).toBeGreaterThan(0);
    }
    expect(out.plan.withheld.map((w) => w.note).join('\n')).toMatch(/ask .+ to share it/);

    const text = await myc('notify', 'Can someone confirm the RC2 build number before Thursday?', '--as', 'farid@acme.test', '--dry-run');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/decide|consult|inform/);

    const unknown = await myc('notify', '--about', 'dec_000000000000000000000000', '--as', 'alice@acme.test', '--dry-run');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('mycelium: no decision "dec_000000000000000000000000" that you may see (list them with `myc decisions`)');
  }, 180_000);

  it('fails with exit code 1 and a one-line reason on bad input', async () => {
    const noAsker = await myc('search', 'release');
    expect(noAsker.code).toBe(1);
    expect(noAsker.stderr.trim().split('\n')).toEqual(['mycelium: search: say whose eyes to read with: --as <email> (or set MYCELIUM_AS)']);

    const unknown = await myc('brief', 'acme:no-such-meeting');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('mycelium: no meeting "acme:no-such-meeting" (list them with `myc meetings`)');

    const notFolder = await myc('ingest', join(home, 'missing'));
    expect(notFolder.code).toBe(1);
    expect(notFolder.stderr.trim()).toMatch(/^mycelium: ingest: .*missing is not a folder$/);

    const noMeeting = await myc('ask', 'what did we decide?', '--as', 'alice@acme.test', '--meeting', 'acme:no-such-meeting');
    expect(noMeeting.code).toBe(1);
    expect(noMeeting.stderr.trim()).toBe('mycelium: ask: no meeting acme:no-such-meeting with anything alice@acme.test may see');

    const outsider = await myc('search', 'release', '--as', 'grace@acme.test');
    expect(outsider.code).toBe(1);
    expect(outsider.stderr.trim()).toBe('mycelium: search: grace@acme.test has not opted in');
  }, 180_000);
});
