/**
 * Schedule reconciliation against the dev server: created for every source and known calendar, unchanged on a
 * second apply, updated when changed behind our back, deleted when no longer wanted — and a schedule we did not
 * create is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { syncWorkflowId } from '../../workflows/ids';
import type { Meeting, ParsedUnit } from '../../schemas/entities';
import { applySchedules, calendarWatchScheduleId, listSchedules, syncScheduleId } from '../../clients/schedules';
import { temporalConfig } from '../../temporal.config';
import { durationMs } from '../../workflows/duration';
import { openTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const run = Date.now().toString(36);
const foreign = `someone-else-${run}`;

/** schedule listing is eventually consistent: poll, bounded */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function exists(scheduleId: string): Promise<boolean> {
  try {
    await stack.client.schedule.getHandle(scheduleId).describe();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'schedules' });
  for (const id of [`a-${run}`, `b-${run}`]) await stack.store.upsertSource({ id, kind: 'files', config: { root: '/nonexistent' } });
  const meeting: Meeting = {
    id: `cal${run}:e1`,
    calendarId: `cal${run}`,
    eventId: 'e1',
    title: 'Planning',
    description: '',
    startsAt: new Date(Date.now() + 86_400_000),
    endsAt: new Date(Date.now() + 86_400_000 + 1_800_000),
    organizerId: null,
    attendeeIds: [],
    outsideOptInCount: 0,
    status: 'confirmed',
    sourceId: `a-${run}`,
  };
  const unit: ParsedUnit = { path: 'cal.ics', fileHash: 'h', people: [], items: [], meetings: [meeting] };
  await stack.store.storeUnit(`a-${run}`, unit);
  // a schedule somebody else made in the same namespace
  await stack.client.schedule.create({
    scheduleId: foreign,
    spec: { intervals: [{ every: '1 hour' }] },
    action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: 'elsewhere', args: [] },
    state: { paused: true },
  });
});

afterAll(async () => {
  if (stack) {
    for (const s of await listSchedules(stack)) await stack.client.schedule.getHandle(s.scheduleId).delete().catch(() => undefined);
  }
  await stack?.close();
});

describe('applySchedules', () => {
  const a = syncScheduleId(`a-${run}`);
  const b = syncScheduleId(`b-${run}`);
  const watch = calendarWatchScheduleId(`cal${run}`);

  it('creates one schedule per source and per known calendar, with SKIP overlap', async () => {
    const result = await applySchedules(stack);
    expect(result.created.sort()).toEqual([watch, a, b].sort());
    expect(result).toMatchObject({ updated: [], deleted: [], unchanged: [] });

    const described = await stack.client.schedule.getHandle(a).describe();
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.spec.intervals?.[0]?.every).toBe(durationMs(temporalConfig.schedules.syncSources.every));
    // a tick asks sync:<sourceId> for a pass instead of running a sync of its own
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'requestScheduledSync', workflowId: `sync-request:a-${run}` });
    const watched = await stack.client.schedule.getHandle(watch).describe();
    expect(watched.spec.intervals?.[0]?.every).toBe(durationMs(temporalConfig.schedules.watchCalendars.every));
    expect(watched.action).toMatchObject({ workflowType: 'watchCalendar', workflowId: `calendar-watch:cal${run}` });
  });

  it('changes nothing on a second apply', async () => {
    await eventually(async () => (await listSchedules(stack)).filter((s) => s.managed).length === 3, 'the schedules to be listed');
    const result = await applySchedules(stack);
    expect(result.unchanged.sort()).toEqual([watch, a, b].sort());
    expect(result).toMatchObject({ created: [], updated: [], deleted: [] });
  });

  it("a schedule's tick becomes a sync request to the source's own sync:<sourceId> run", async () => {
    await stack.client.schedule.getHandle(b).trigger();
    const sync = stack.client.workflow.getHandle(syncWorkflowId(`b-${run}`));
    const requests = async (): Promise<string[]> => {
      try {
        await sync.describe(); // until the tick's request has started it
        const history = await sync.fetchHistory();
        return (history.events ?? []).flatMap((e) => {
          const signalled = e.workflowExecutionSignaledEventAttributes;
          if (signalled?.signalName !== 'requestSync') return [];
          const data = signalled.input?.payloads?.[0]?.data;
          return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { reason: string }).reason] : [];
        });
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return [];
        throw error;
      }
    };
    await eventually(async () => (await requests()).includes('schedule'), 'the scheduled request to reach sync:b');
    expect((await sync.describe()).type).toBe('syncSource');
    // the source's folder does not exist: nothing more to see from this sync
    await sync.terminate('test over');
  });

  it('updates a schedule changed behind its back, deletes the unwanted, and leaves foreign schedules alone', async () => {
    await stack.client.schedule.getHandle(b).update((previous) => ({ ...previous, spec: { intervals: [{ every: '1 minute' }] } }));
    await stack.db.query('DELETE FROM sources WHERE id = $1', [`a-${run}`]);
    await eventually(async () => (await listSchedules(stack)).some((s) => s.scheduleId === a), 'schedule a to be listed');

    const result = await applySchedules(stack);
    expect(result.updated).toEqual([b]);
    expect(result.deleted).toEqual([a]);
    expect(result.unchanged).toEqual([watch]);
    expect(result.created).toEqual([]);
    expect(await exists(a)).toBe(false);
    expect((await stack.client.schedule.getHandle(b).describe()).spec.intervals?.[0]?.every).toBe(
      durationMs(temporalConfig.schedules.syncSources.every),
    );
    expect(await exists(foreign)).toBe(true);
    const listed = await listSchedules(stack);
    expect(listed.find((s) => s.scheduleId === foreign)?.managed).toBe(false);
  });
});

describe('operations', () => {
  const admin = { personId: 'owner@ops.test', scope: 'admin' as const, owner: true };
  const reader = { personId: 'reader@ops.test', scope: 'read' as const };
  const context = (principal: typeof admin | typeof reader) => ({ principal, surface: 'in-process' as const, stack: async () => stack });

  it('schedules_apply needs admin; schedules_list and sources_list read; sources_sync returns the run without waiting', async () => {
    const { invoke } = await import('../../clients/registry/invoke');
    const { findOperation, ForbiddenError, NotFoundError } = await import('../../clients/registry');
    await expect(invoke(findOperation('schedules_apply')!, {}, context(reader))).rejects.toBeInstanceOf(ForbiddenError);
    const applied = (await invoke(findOperation('schedules_apply')!, {}, context(admin))) as { created: string[]; unchanged: string[] };
    expect([...applied.created, ...applied.unchanged]).toContain(syncScheduleId(`b-${run}`));
    const listed = (await invoke(findOperation('schedules_list')!, {}, context(reader))) as { scheduleId: string; managed: boolean }[];
    expect(listed.find((s) => s.scheduleId === syncScheduleId(`b-${run}`))?.managed).toBe(true);

    const sources = (await invoke(findOperation('sources_list')!, {}, context(reader))) as { id: string; quarantined: number; lastSyncAt: Date | null }[];
    expect(sources.find((s) => s.id === `b-${run}`)).toMatchObject({ quarantined: 0, lastSyncAt: null });

    const requested = (await invoke(findOperation('sources_sync')!, { sourceId: `b-${run}` }, context(admin))) as { workflowId: string; runId: string };
    expect(requested.workflowId).toBe(`sync:b-${run}`);
    const described = await stack.client.workflow.getHandle(requested.workflowId, requested.runId).describe();
    expect(described.type).toBe('syncSource');
    await stack.client.workflow.getHandle(requested.workflowId).terminate('test over');
    await expect(invoke(findOperation('sources_sync')!, { sourceId: 'nope' }, context(admin))).rejects.toBeInstanceOf(NotFoundError);
  });
});
