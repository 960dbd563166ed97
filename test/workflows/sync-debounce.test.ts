/**
 * syncSource debounced, on the real dev server: a burst of signal-with-starts is one run and one pass; a request
 * that reaches a run during its pass causes exactly one more; `myc ingest` still runs at once.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../clients/operations';
import { syncWorkflowId } from '../../workflows/ids';
import {
  progressQuery,
  requestSyncSignal,
  SYNC_WORKFLOW_TYPE,
  type SyncDebounce,
  type SyncRequest,
  type SyncSource,
} from '../../workflows/sync-defs';
import { openTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let folder: string;
const run = Date.now().toString(36);

const people = {
  people: [{ email: 'ana@debounce.test', name: 'Ana Wu', optedIn: true }],
};

function email(n: number): string {
  return [
    'From: Ana Wu <ana@debounce.test>',
    'To: ana@debounce.test',
    `Subject: Note ${n}`,
    `Date: Mon, 13 Jan 2025 16:${String(n % 60).padStart(2, '0')}:00 +0000`,
    `Message-ID: <note-${n}@debounce.test>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Note number ${n} about the rollout plan and the migration checklist for the quarter.`,
    '',
  ].join('\r\n');
}

function request(sourceId: string, debounce: SyncDebounce, reason: string) {
  return stack.client.workflow.signalWithStart<SyncSource, [SyncRequest]>(SYNC_WORKFLOW_TYPE, {
    workflowId: syncWorkflowId(sourceId),
    taskQueue: stack.taskQueue,
    args: [{ sourceId, debounce }],
    signal: requestSyncSignal,
    signalArgs: [{ reason }],
  });
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'sync-debounce' });
  folder = await mkdtemp(join(tmpdir(), 'mycelium-debounce-'));
  await writeFile(join(folder, 'people.json'), JSON.stringify(people));
  // enough files that a pass takes a few activity round trips
  for (let n = 0; n < 80; n++) await writeFile(join(folder, `note-${String(n).padStart(3, '0')}.eml`), email(n));
});

afterAll(async () => {
  await stack?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('syncSource, debounced', () => {
  it('merges a burst of 20 requests into one run and one pass', async () => {
    const sourceId = `burst-${run}`;
    await stack.store.upsertSource({ id: sourceId, kind: 'files', config: { root: folder } });
    // a quiet window long enough that a loaded machine sends all 20 inside it
    const debounce = { quietMs: 3_000, maxMs: 60_000 };
    const handles = [];
    for (let i = 0; i < 20; i++) handles.push(await request(sourceId, debounce, `burst ${i}`));
    const runIds = new Set(handles.map((h) => h.signaledRunId));
    expect(runIds.size).toBe(1);

    const result = await handles[0]!.result();
    expect(result).toMatchObject({ passes: 1, requests: 20 });
    expect(result.inserted).toBeGreaterThan(0);

    // the history holds one planSync: one pass
    const history = await handles[0]!.fetchHistory();
    const planned = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'planSync',
    );
    expect(planned).toHaveLength(1);
  });

  it('runs exactly one more pass for requests that arrive during a pass', async () => {
    const sourceId = `during-${run}`;
    await stack.store.upsertSource({ id: sourceId, kind: 'files', config: { root: folder } });
    const debounce = { quietMs: 200, maxMs: 10_000 };
    const first = await request(sourceId, debounce, 'first');
    // wait until the pass has begun (past the quiet window)
    const deadline = Date.now() + 60_000;
    for (;;) {
      const progress = await first.query(progressQuery);
      if (progress.phase !== 'waiting') break;
      if (Date.now() > deadline) throw new Error('the first pass never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    const during = [await request(sourceId, debounce, 'during 1'), await request(sourceId, debounce, 'during 2')];
    // the requests reached the running run (a run that had finished would have started a new one)
    expect(during.map((h) => h.signaledRunId)).toEqual([first.signaledRunId, first.signaledRunId]);

    const result = await first.result();
    expect(result).toMatchObject({ passes: 2, requests: 3 });
    // the second pass found the files stored by the first one unchanged
    expect(result.unchanged).toBeGreaterThan(0);
  });

  it('ingest runs its pass at once and returns the result', async () => {
    const out = await ingest(stack, { folder, sourceId: `ingest-${run}` });
    expect(out.result).toMatchObject({ passes: 1, requests: 0 });
    expect(out.result.files).toBe(81);
    // no quiet window first: the history starts no timer
    const history = await stack.client.workflow.getHandle(out.workflowId, out.runId).fetchHistory();
    expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toEqual([]);
  });
});
