/**
 * Telling people from outside Temporal (`myc notify`, the HTTP API, MCP, other services): build the request, preview
 * its plan with the very function the workflow's activity runs, or start `notify:<topicKey>` and wait for it.
 */
import { planWorldOf } from '../activities/notify';
import { planNotification, textTopicKey, UnknownSubjectError } from '../activities/intelligence/routing/plan';
import { startNotify } from '../activities/notify-requests';
import type { Urgency } from '../schemas/routing';
import type { NotifyInput, NotifyPlan, NotifyResult, NotifyStakeholders } from '../workflows/notify-defs';
import { NotFoundError, UserError } from './registry/errors';
import type { Stack } from './runtime';
import { workflowResult } from './client/temporal';

export function notifyRequest(askerId: string, about: { decisionId: string } | { text: string; title?: string; urgency?: Urgency }): NotifyInput {
  if ('decisionId' in about) {
    // one telling per person who asks for it: asking again shows the same run
    return { topicKey: `decision:${about.decisionId}:told-by:${askerId}`, askerId, about: { kind: 'decision', id: about.decisionId, change: 'asked' } };
  }
  return {
    topicKey: textTopicKey(askerId, about.text),
    askerId,
    about: { kind: 'text', text: about.text, ...(about.title ? { title: about.title } : {}), ...(about.urgency ? { urgency: about.urgency } : {}) },
  };
}

export async function previewNotification(stack: Stack, request: NotifyInput): Promise<NotifyPlan> {
  try {
    return await planNotification(planWorldOf(stack), request, new Date());
  } catch (error) {
    if (error instanceof UnknownSubjectError) throw new NotFoundError(error.message);
    throw error;
  }
}

export async function sendNotification(stack: Stack, request: NotifyInput, timeoutMs: number): Promise<NotifyResult> {
  const { workflowId } = await startNotify(stack.client, stack.taskQueue, request);
  const handle = stack.client.workflow.getHandle<NotifyStakeholders>(workflowId);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(`notify: ${workflowId} did not finish within ${timeoutMs / 1000}s — is a worker running (\`myc dev\`)? It goes on; see it in the Temporal UI`)), timeoutMs);
  });
  try {
    return await Promise.race([workflowResult(handle), late]);
  } finally {
    clearTimeout(timer);
  }
}
