/**
 * Temporal Schedules as declared in temporalConfig.schedules: one per registered source (its sync), one per Google
 * or Microsoft source (its push upkeep) and one per calendar the store knows (its watch). applySchedules reconciles the server to that list — creates what is missing,
 * updates what differs, deletes the ones we made that are no longer wanted — and never touches a schedule it did
 * not create (ours carry the memo `managedBy: mycelium` and the MyceliumManagedBy search attribute). Idempotent.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type Workflow,
} from '@temporalio/client';
import { temporalConfig } from '../temporal.config';
import { CALENDAR_WATCH_WORKFLOW_TYPE } from '../workflows/calendar-watch-defs';
import { durationMs } from '../workflows/duration';
import { calendarWatchWorkflowId, pushUpkeepWorkflowId, scheduledSyncWorkflowId } from '../workflows/ids';
import { PUSH_UPKEEP_WORKFLOW_TYPE } from '../workflows/push-upkeep-defs';
import { CalendarIdAttribute, ManagedByAttribute, SourceIdAttribute } from '../workflows/search-attributes';
import { SCHEDULED_SYNC_WORKFLOW_TYPE } from '../workflows/sync-defs';
import type { Stack } from './runtime';

export const MANAGED_BY = 'mycelium';

export const syncScheduleId = (sourceId: string): string => `mycelium:sync:${sourceId}`;
export const calendarWatchScheduleId = (calendarId: string): string => `mycelium:calendar-watch:${calendarId}`;
export const pushUpkeepScheduleId = (sourceId: string): string => `mycelium:push:${sourceId}`;

export interface DesiredSchedule {
  scheduleId: string;
  kind: 'sync' | 'calendar-watch' | 'push';
  /** the source or calendar it is for */
  subject: string;
  everyMs: number;
  workflowType: string;
  workflowId: string;
  args: unknown[];
  taskQueue: string;
}

export interface ScheduleListing {
  scheduleId: string;
  managed: boolean;
  workflowType?: string;
  everyMs?: number;
  paused?: boolean;
  nextActionAt?: Date;
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

type ScheduleStack = Pick<Stack, 'client' | 'db' | 'taskQueue'>;

export async function desiredSchedules(stack: ScheduleStack): Promise<DesiredSchedule[]> {
  const registered = (await stack.db.query<{ id: string; kind: string }>('SELECT id, kind FROM sources ORDER BY id')).rows;
  const sources = registered.map((r) => r.id);
  // Google and Microsoft sources have push channels to renew (Slack's Events API subscription lives in the app)
  const pushSources = registered.filter((r) => r.kind === 'google' || r.kind === 'microsoft');
  const calendars = (await stack.db.query<{ calendar_id: string }>('SELECT DISTINCT calendar_id FROM meetings ORDER BY calendar_id')).rows.map(
    (r) => r.calendar_id,
  );
  const { syncSources, watchCalendars, pushUpkeep } = temporalConfig.schedules;
  return [
    ...sources.map((sourceId) => ({
      scheduleId: syncScheduleId(sourceId),
      kind: 'sync' as const,
      subject: sourceId,
      everyMs: durationMs(syncSources.every),
      // the tick asks sync:<sourceId> for a pass (merged with any running or pending one), never runs its own
      workflowType: SCHEDULED_SYNC_WORKFLOW_TYPE,
      workflowId: scheduledSyncWorkflowId(sourceId),
      args: [{ sourceId }],
      taskQueue: stack.taskQueue,
    })),
    ...pushSources.map(({ id: sourceId, kind }) => ({
      scheduleId: pushUpkeepScheduleId(sourceId),
      kind: 'push' as const,
      subject: sourceId,
      everyMs: durationMs(pushUpkeep.every),
      workflowType: PUSH_UPKEEP_WORKFLOW_TYPE,
      workflowId: pushUpkeepWorkflowId(sourceId),
      args: [{ sourceId, provider: kind }],
      taskQueue: stack.taskQueue,
    })),
    ...calendars.map((calendarId) => ({
      scheduleId: calendarWatchScheduleId(calendarId),
      kind: 'calendar-watch' as const,
      subject: calendarId,
      everyMs: durationMs(watchCalendars.every),
      workflowType: CALENDAR_WATCH_WORKFLOW_TYPE,
      workflowId: calendarWatchWorkflowId(calendarId),
      args: [{ calendarId }],
      taskQueue: stack.taskQueue,
    })),
  ];
}

/** Every schedule in the namespace, ours marked. */
export async function listSchedules(stack: Pick<Stack, 'client'>): Promise<ScheduleListing[]> {
  const out: ScheduleListing[] = [];
  for await (const s of stack.client.schedule.list()) {
    out.push({
      scheduleId: s.scheduleId,
      managed: s.memo?.managedBy === MANAGED_BY,
      ...(s.action?.type === 'startWorkflow' ? { workflowType: s.action.workflowType } : {}),
      ...(s.spec?.intervals?.[0] ? { everyMs: s.spec.intervals[0].every as number } : {}),
      paused: s.state.paused,
      ...(s.info.nextActionTimes[0] ? { nextActionAt: s.info.nextActionTimes[0] } : {}),
    });
  }
  return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

function action(desired: DesiredSchedule): ScheduleOptionsStartWorkflowAction<Workflow> {
  return {
    type: 'startWorkflow',
    workflowType: desired.workflowType,
    workflowId: desired.workflowId,
    args: desired.args,
    taskQueue: desired.taskQueue,
    typedSearchAttributes:
      desired.kind === 'sync' || desired.kind === 'push'
        ? [{ key: SourceIdAttribute, value: desired.subject }]
        : [{ key: CalendarIdAttribute, value: desired.subject }],
  };
}

/** Whether the server's schedule already does what `desired` says. */
function matches(described: ScheduleDescription, desired: DesiredSchedule): boolean {
  const a = described.action;
  const intervals = described.spec.intervals ?? [];
  return (
    a.type === 'startWorkflow' &&
    a.workflowType === desired.workflowType &&
    a.workflowId === desired.workflowId &&
    a.taskQueue === desired.taskQueue &&
    JSON.stringify(a.args) === JSON.stringify(desired.args) &&
    intervals.length === 1 &&
    Number(intervals[0]!.every) === desired.everyMs &&
    described.policies.overlap === 'SKIP'
  );
}

export async function applySchedules(stack: ScheduleStack): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], deleted: [], unchanged: [] };
  const desired = await desiredSchedules(stack);
  const wanted = new Set(desired.map((d) => d.scheduleId));
  const schedules = stack.client.schedule;

  for (const d of desired) {
    try {
      await schedules.create({
        scheduleId: d.scheduleId,
        spec: { intervals: [{ every: d.everyMs }] },
        action: action(d),
        policies: { overlap: 'SKIP' },
        memo: { managedBy: MANAGED_BY, kind: d.kind, subject: d.subject },
        typedSearchAttributes: [{ key: ManagedByAttribute, value: MANAGED_BY }],
      });
      result.created.push(d.scheduleId);
      continue;
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    }
    const handle = schedules.getHandle(d.scheduleId);
    const described = await handle.describe();
    if (described.memo?.managedBy !== MANAGED_BY) {
      // someone else's schedule under our id: leave it be, and say so in the result as unchanged
      result.unchanged.push(d.scheduleId);
      continue;
    }
    if (matches(described, d)) {
      result.unchanged.push(d.scheduleId);
      continue;
    }
    await handle.update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: d.everyMs }] },
      action: action(d),
      policies: { ...previous.policies, overlap: 'SKIP' },
    }));
    result.updated.push(d.scheduleId);
  }

  // (the list comes from visibility and may lag; a schedule created above and not listed yet is wanted anyway)
  for await (const s of schedules.list()) {
    if (s.memo?.managedBy !== MANAGED_BY || wanted.has(s.scheduleId)) continue;
    try {
      await schedules.getHandle(s.scheduleId).delete();
      result.deleted.push(s.scheduleId);
    } catch (error) {
      // deleted already (the list lags behind)
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }
  return result;
}
