/**
 * Temporal helpers for other services: start, signal and query Mycelium's workflows by business id,
 * exactly as Mycelium itself does — workflow type names and signal definitions come from the
 * workflows' definition modules, never from their implementations.
 */
import { isGrpcDeadlineError, type Client, type WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { temporalConfig } from '../../temporal.config';
import { followUpWorkflowId, meetingWorkflowId } from '../../workflows/ids';
import { signalMeetingWorkflow } from '../../activities/meeting-requests';
import { signalSyncRequest } from '../../activities/sync-requests';
import {
  awaitBriefUpdate,
  MEETING_WORKFLOW_TYPE,
  prepareNowSignal,
  statusQuery as meetingStatusQuery,
  type EnsureMeetingHasContext,
  type MeetingStatus,
} from '../../workflows/meeting-defs';
import { FOLLOW_UP_WORKFLOW_TYPE, statusQuery as followUpStatusQuery, type FollowUpState } from '../../workflows/follow-up-defs';
import { SYNC_WORKFLOW_TYPE, type SyncSource } from '../../workflows/sync-defs';

export interface MeetingToPrepare {
  /** `<calendarId>:<eventId>`, as the `meetings` operation lists it */
  meetingId: string;
  startsAt: Date | string;
  /** opted-in attendees (person ids) */
  attendeeIds: string[];
}

export interface TemporalOptions {
  /** the task queue Mycelium's workers serve (default temporal.config.ts's) */
  taskQueue?: string;
}

/**
 * "Ensure this meeting has context": starts its ensureMeetingHasContext run, or tells the running one
 * the meeting's time and attendees (signal-with-start on `meeting:<meetingId>`; idempotent).
 */
export async function ensureMeetingHasContext(
  client: Client,
  meeting: MeetingToPrepare,
  options: TemporalOptions = {},
): Promise<WorkflowHandleWithSignaledRunId<EnsureMeetingHasContext>> {
  return signalMeetingWorkflow(client, { ...meeting, taskQueue: options.taskQueue ?? temporalConfig.taskQueue, signal: 'reschedule' });
}

/** Asks the meeting's run for its brief now, and waits until it is delivered (or the meeting is cancelled). */
export async function prepareBriefNow(client: Client, meetingId: string): Promise<MeetingStatus> {
  const handle = client.workflow.getHandle<EnsureMeetingHasContext>(meetingWorkflowId(meetingId));
  await handle.signal(prepareNowSignal);
  return handle.executeUpdate(awaitBriefUpdate);
}

export function meetingStatus(client: Client, meetingId: string): Promise<MeetingStatus> {
  return client.workflow.getHandle<EnsureMeetingHasContext>(meetingWorkflowId(meetingId)).query(meetingStatusQuery);
}

/** Asks for a sync of a registered source; a burst of requests becomes one pass (the workflow debounces). */
export function requestSync(client: Client, sourceId: string, reason: string, options: TemporalOptions = {}): Promise<WorkflowHandleWithSignaledRunId<SyncSource>> {
  return signalSyncRequest(client, { sourceId, request: { reason }, taskQueue: options.taskQueue ?? temporalConfig.taskQueue });
}

/** Where a decision's (or an action item's) follow-up stands. */
export function followUpStatus(client: Client, kind: 'decision' | 'action', id: string): Promise<FollowUpState> {
  return client.workflow.getHandle(followUpWorkflowId(kind, id)).query(followUpStatusQuery);
}

export { FOLLOW_UP_WORKFLOW_TYPE, MEETING_WORKFLOW_TYPE, SYNC_WORKFLOW_TYPE };

/** How many server-side long-poll deadlines in a row a wait sits through before it gives up. */
const MAX_LONG_POLL_DEADLINES = 30;

/**
 * A run's result, waiting through the deadlines a busy server answers a long poll with (DEADLINE_EXCEEDED where an
 * idle one would send an empty page, and the SDK does not ask again): the run is still going, so ask again. Any
 * other failure is the run's own, and a server that keeps timing out is given up on after a bounded number of asks.
 */
export async function workflowResult<T>(handle: { result(): Promise<T> }): Promise<T> {
  for (let deadlines = 0; ; deadlines += 1) {
    try {
      return await handle.result();
    } catch (error) {
      if (!isGrpcDeadlineError(error) || deadlines + 1 >= MAX_LONG_POLL_DEADLINES) throw error;
    }
  }
}
