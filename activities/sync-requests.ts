/**
 * The one way anything asks for a source's sync: signal-with-start of `requestSync` on `sync:<sourceId>`,
 * so a running sync merges the request (debounced) and none runs twice at once. Webhooks, `myc sources
 * sync`, the 5-minute schedule (through the requestScheduledSync workflow) and other services all use it.
 */
import type { Client, WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { syncWorkflowId } from '../workflows/ids';
import { SourceIdAttribute } from '../workflows/search-attributes';
import { requestSyncSignal, SYNC_WORKFLOW_TYPE, type SyncRequest, type SyncSource } from '../workflows/sync-defs';

export function signalSyncRequest(
  client: Client,
  options: { sourceId: string; request: SyncRequest; taskQueue: string },
): Promise<WorkflowHandleWithSignaledRunId<SyncSource>> {
  return client.workflow.signalWithStart<SyncSource, [SyncRequest]>(SYNC_WORKFLOW_TYPE, {
    workflowId: syncWorkflowId(options.sourceId),
    taskQueue: options.taskQueue,
    args: [{ sourceId: options.sourceId }],
    signal: requestSyncSignal,
    signalArgs: [options.request],
    typedSearchAttributes: [{ key: SourceIdAttribute, value: options.sourceId }],
  });
}
