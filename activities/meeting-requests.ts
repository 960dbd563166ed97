/**
 * The one way anything reaches a meeting's ensureMeetingHasContext run: signal-with-start on `meeting:<meetingId>`
 * with the same search attributes (meeting, attendees, people, calendar) whoever starts it — the calendar watch
 * (`reschedule`: here is the meeting's time and attendees), `myc brief` (`prepareNow`), other services.
 */
import type { Client, WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { calendarIdOf, meetingWorkflowId } from '../workflows/ids';
import { MEETING_WORKFLOW_TYPE, prepareNowSignal, rescheduleSignal, type EnsureMeetingHasContext, type MeetingChange } from '../workflows/meeting-defs';
import { AttendeesAttribute, CalendarIdAttribute, MeetingIdAttribute, PersonIdsAttribute } from '../workflows/search-attributes';

export interface MeetingSignal {
  meetingId: string;
  startsAt: Date | string;
  /** opted-in attendees (person ids) */
  attendeeIds: readonly string[];
  taskQueue: string;
  /** reschedule: tell the run the meeting's current time and attendees; prepareNow: brief it now */
  signal: 'reschedule' | 'prepareNow';
}

export function signalMeetingWorkflow(client: Client, meeting: MeetingSignal): Promise<WorkflowHandleWithSignaledRunId<EnsureMeetingHasContext>> {
  const change: MeetingChange = { startsAt: new Date(meeting.startsAt).toISOString(), attendeeIds: [...meeting.attendeeIds] };
  const attendees = [...meeting.attendeeIds].sort();
  const options = {
    workflowId: meetingWorkflowId(meeting.meetingId),
    taskQueue: meeting.taskQueue,
    args: [{ meetingId: meeting.meetingId, ...change }] as [Parameters<EnsureMeetingHasContext>[0]],
    typedSearchAttributes: [
      { key: MeetingIdAttribute, value: meeting.meetingId },
      { key: AttendeesAttribute, value: attendees },
      { key: PersonIdsAttribute, value: attendees },
      { key: CalendarIdAttribute, value: calendarIdOf(meeting.meetingId) },
    ],
  };
  return meeting.signal === 'reschedule'
    ? client.workflow.signalWithStart<EnsureMeetingHasContext, [MeetingChange]>(MEETING_WORKFLOW_TYPE, { ...options, signal: rescheduleSignal, signalArgs: [change] })
    : client.workflow.signalWithStart<EnsureMeetingHasContext, []>(MEETING_WORKFLOW_TYPE, { ...options, signal: prepareNowSignal, signalArgs: [] });
}
