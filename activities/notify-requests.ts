/**
 * The one way anything starts notifyStakeholders (`notify:<topicKey>`): decisions, follow-up steps and briefs hand
 * their subject over here. The topic key is the business key, so telling the same thing twice is the same run:
 * a running one is joined, a finished one is not repeated.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { notifyWorkflowId } from '../workflows/ids';
import { NOTIFY_WORKFLOW_TYPE, type NotifyInput, type NotifyStakeholders } from '../workflows/notify-defs';

export async function startNotify(client: Client, taskQueue: string, input: NotifyInput): Promise<{ workflowId: string; runId?: string }> {
  const workflowId = notifyWorkflowId(input.topicKey);
  try {
    const handle = await client.workflow.start<NotifyStakeholders>(NOTIFY_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId }; // told already: a finished telling is not repeated
    throw error;
  }
}
