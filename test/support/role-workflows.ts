/**
 * A workflow for test/workers/worker-role.test.ts: it runs on a queue of the test's own and schedules one activity on
 * the queue it is given (a role's queue), so the test sees that a `myc worker --role <role>` process picks it up.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { PersonAgentActivities } from '../../activities/person-agent';
import type { AttentionSettings } from '../../workflows/attention';

export async function attentionOnQueue(taskQueue: string, personId: string): Promise<AttentionSettings> {
  const { loadPersonAttention } = proxyActivities<PersonAgentActivities>({ taskQueue, startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });
  return loadPersonAttention(personId);
}
