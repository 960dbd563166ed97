/**
 * The contract of ensureMeetingHasContext (workflows/meeting.ts): its input, signals, query and update.
 * Imports nothing but @temporalio/workflow, so activities and clients can signal and query the workflow
 * without loading its implementation.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** the workflow type name: clients start it by name, never by importing the implementation */
export const MEETING_WORKFLOW_TYPE = 'ensureMeetingHasContext';

export interface MeetingWorkflowInput {
  meetingId: string;
  /** ISO time the meeting starts */
  startsAt: string;
  /** opted-in attendee ids, for the search attributes (the brief reads them from the store) */
  attendeeIds: string[];
}

export interface MeetingChange {
  startsAt: string;
  attendeeIds: string[];
}

export type MeetingPhase = 'waiting' | 'preparing' | 'delivered' | 'cancelled' | 'done';

export interface MeetingStatus {
  meetingId: string;
  phase: MeetingPhase;
  startsAt: string;
  prepareAt: string;
  briefId?: string;
}

export interface MeetingResult {
  meetingId: string;
  outcome: 'delivered' | 'cancelled';
  briefId?: string;
}

/** the workflow's signature, for typed starts by name: `client.workflow.start<EnsureMeetingHasContext>(MEETING_WORKFLOW_TYPE, …)` */
export type EnsureMeetingHasContext = (input: MeetingWorkflowInput) => Promise<MeetingResult>;

export const rescheduleSignal = defineSignal<[MeetingChange]>('reschedule');
export const cancelSignal = defineSignal('cancel');
/** asks for the brief now, whatever the lead time (the CLI's `brief` command, the demo) */
export const prepareNowSignal = defineSignal('prepareNow');
export const statusQuery = defineQuery<MeetingStatus>('status');
/** completes when a brief has been delivered (or the meeting was cancelled) */
export const awaitBriefUpdate = defineUpdate<MeetingStatus>('awaitBrief');
