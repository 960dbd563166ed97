/**
 * The calendar watch (workflow watchCalendar, and the last step of every sync): every upcoming meeting of a calendar
 * within the horizon has its ensureMeetingHasContext run — new events are started, moved ones told their new time
 * (both by signal-with-start of `reschedule`, which a running run ignores when nothing changed), cancelled ones and
 * ones that vanished from the calendar told to cancel.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporalConfig } from '../temporal.config';
import { durationMs } from '../workflows/duration';
import { meetingWorkflowId } from '../workflows/ids';
import {
  cancelSignal,
  MEETING_WORKFLOW_TYPE,
  rescheduleSignal,
  type MeetingChange,
} from '../workflows/meeting-defs';
import { CalendarIdAttribute } from '../workflows/search-attributes';
import type { ActivityDeps } from './deps';
import { signalMeetingWorkflow } from './meeting-requests';

export interface CalendarReconcileResult {
  calendarId: string;
  /** upcoming meetings whose run was started or signalled with their current time and attendees */
  ensured: number;
  /** runs told their meeting was cancelled */
  cancelled: number;
  /** runs of meetings no longer in the calendar, told to cancel */
  vanished: number;
}

export function createCalendarActivities(deps: Pick<ActivityDeps, 'store' | 'temporal' | 'now'>) {
  /** Calendars whose meetings this source stores. */
  async function calendarsOfSource({ sourceId }: { sourceId: string }): Promise<string[]> {
    const meetings = await deps.store.listMeetings({});
    return [...new Set(meetings.filter((m) => m.sourceId === sourceId).map((m) => m.calendarId))].sort();
  }

  /** Every calendar the store knows a meeting of (what the calendar-watch schedules are made from). */
  async function knownCalendars(): Promise<string[]> {
    return [...new Set((await deps.store.listMeetings({})).map((m) => m.calendarId))].sort();
  }

  async function reconcileCalendar({ calendarId }: { calendarId: string }): Promise<CalendarReconcileResult> {
    const now = deps.now();
    const until = new Date(now.getTime() + durationMs(temporalConfig.meetings.horizon));
    const meetings = (await deps.store.listMeetings({ from: now, to: until })).filter((m) => m.calendarId === calendarId);
    const { client, taskQueue } = deps.temporal;
    const result: CalendarReconcileResult = { calendarId, ensured: 0, cancelled: 0, vanished: 0 };
    for (const meeting of meetings) {
      Context.current().heartbeat(meeting.id);
      const workflowId = meetingWorkflowId(meeting.id);
      if (meeting.status === 'cancelled') {
        if (await signalIfRunning(client, workflowId)) result.cancelled += 1;
        continue;
      }
      await signalMeetingWorkflow(client, { meetingId: meeting.id, startsAt: meeting.startsAt, attendeeIds: meeting.attendeeIds, taskQueue, signal: 'reschedule' });
      result.ensured += 1;
    }

    // Runs of this calendar whose meeting is gone from the store (deleted from the calendar, or its file removed), or
    // moved out of the window. Visibility lags a little: a run started moments ago may be missed now and is caught
    // by the next watch.
    const inWindow = new Set(meetings.map((m) => meetingWorkflowId(m.id)));
    const stored = new Map(
      (await deps.store.listMeetings({})).filter((m) => m.calendarId === calendarId).map((m) => [meetingWorkflowId(m.id), m]),
    );
    const running = client.workflow.list({
      query: `WorkflowType = '${MEETING_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ${CalendarIdAttribute.name} = '${quoted(calendarId)}'`,
    });
    for await (const run of running) {
      if (inWindow.has(run.workflowId)) continue;
      Context.current().heartbeat(run.workflowId);
      const meeting = stored.get(run.workflowId);
      if (meeting && meeting.status !== 'cancelled') {
        const change: MeetingChange = { startsAt: meeting.startsAt.toISOString(), attendeeIds: meeting.attendeeIds };
        await client.workflow.getHandle(run.workflowId).signal(rescheduleSignal, change).catch(ignoreNotFound);
        continue;
      }
      if (await signalIfRunning(client, run.workflowId)) result.vanished += 1;
    }
    return result;
  }

  return { calendarsOfSource, knownCalendars, reconcileCalendar };
}

async function signalIfRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(cancelSignal);
    return true;
  } catch (error) {
    // never started, or over already: nothing to cancel
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof WorkflowNotFoundError)) throw error;
}

function quoted(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
