/**
 * Another service starting Mycelium's work programmatically: examples/prep-service runs as its own
 * process, imports `mycelium/client` (the package's compiled export), finds a meeting through the
 * HTTP API with a person's read token, and ensures the meeting has context through Temporal by its
 * business id. Also: the typed client's answers and errors match the service's.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MyceliumClient, NotFoundError, ForbiddenError, meetingStatus } from '../../clients/client';
import { sampleTeamFolder, sampleTimeShiftMs } from '../../clients/cli/demo';
import { testTemporalAddress } from '../support/stack';
import { startSurfaces, type Surfaces } from '../surfaces/harness';

const example = fileURLToPath(new URL('../../examples/prep-service/main.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

let surfaces: Surfaces;
let aliceToken: string;

beforeAll(async () => {
  surfaces = await startSurfaces('prep-service');
  const admin = new MyceliumClient({ url: surfaces.url, token: await surfaces.token('ines@acme.test', 'admin') });
  await admin.ops.ingest({ folder: sampleTeamFolder, sourceId: 'acme', timeShiftMs: await sampleTimeShiftMs(new Date()) });
  aliceToken = await surfaces.token('alice@acme.test', 'read');
}, 240_000);

afterAll(async () => {
  await surfaces?.close();
});

function runExample(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsx, example, ...args], { env: { ...process.env, ...env }, timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the typed client', () => {
  it('returns typed results (dates as Dates) and the errors the service threw', async () => {
    const alice = new MyceliumClient({ url: surfaces.url, token: aliceToken });
    const meetings = await alice.ops.meetings({ limit: 5 });
    expect(meetings.length).toBeGreaterThan(0);
    expect(meetings[0]!.startsAt).toBeInstanceOf(Date);
    expect(meetings.every((m) => m.attendeeIds.includes('alice@acme.test'))).toBe(true);
    await expect(alice.ops.brief_show({ meetingId: 'acme:no-such-meeting' })).rejects.toBeInstanceOf(NotFoundError);
    // a read token cannot start work
    await expect(alice.ops.brief_prepare({ meetingId: meetings[0]!.id })).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('examples/prep-service', () => {
  it("starts a meeting's workflow by business id and reads its brief", async () => {
    const alice = new MyceliumClient({ url: surfaces.url, token: aliceToken });
    const [next] = await alice.ops.meetings({ limit: 1 });
    expect(next).toBeDefined();
    const run = await runExample([next!.id], {
      MYCELIUM_URL: surfaces.url,
      MYCELIUM_TOKEN: aliceToken,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_NAMESPACE: surfaces.stack.namespace,
      MYCELIUM_TASK_QUEUE: surfaces.stack.taskQueue,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { meetingId: string; workflowId: string; phase: string; briefId: string; citations: number };
    expect(out.meetingId).toBe(next!.id);
    expect(out.workflowId).toBe(`meeting:${next!.id}`);
    expect(out.phase).toBe('delivered');
    expect(out.citations).toBeGreaterThan(0);
    // the workflow the example started is Mycelium's own run for that meeting, and it holds the brief
    const status = await meetingStatus(surfaces.stack.client, next!.id);
    expect(status.briefId).toBe(out.briefId);
    const stored = await surfaces.stack.store.getBrief(out.briefId);
    expect(stored?.meetingId).toBe(next!.id);
    expect(stored?.recipients).toContain('alice@acme.test');
  }, 240_000);

  it('says what is missing instead of failing obscurely', async () => {
    const run = await runExample([], { MYCELIUM_URL: surfaces.url, MYCELIUM_TOKEN: '', TEMPORAL_ADDRESS: testTemporalAddress() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('prep-service: set MYCELIUM_TOKEN\n');
  });
});
