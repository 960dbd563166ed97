/** The contract of P1's baseline workflows (bench/noop/workflows.ts): ids, signals, the query. Imports only the SDK. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const noopSignal = defineSignal<[unknown]>('reschedule');
export const noopNoticeSignal = defineSignal<[string]>('notice');
/** notices an agent has placed: sent at once, or queued once the day's budget is spent */
export const noopPlacedQuery = defineQuery<number>('placed');

export interface NoopNotifyInput {
  briefId: string;
  attendeeIds: string[];
}

export interface NoopPersonInput {
  personId: string;
}

export const noopNotifyWorkflowId = (runTag: string, briefId: string): string => `noop-notify:${runTag}:${briefId}`;
export const noopPersonWorkflowId = (runTag: string, personId: string): string => `noop-person:${runTag}:${personId}`;
