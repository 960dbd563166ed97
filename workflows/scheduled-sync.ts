/**
 * requestScheduledSync — what the 5-minute Temporal Schedule of a source starts. A Schedule gives each
 * run an id of its own (`sync-request:<sourceId>-<time>`), so it cannot be the source's `sync:<sourceId>`
 * run itself; it asks that run for a pass instead, through the same request every other trigger sends,
 * and a scheduled tick during a webhook-triggered sync merges into it.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { temporalConfig } from '../temporal.config';

const { requestSourceSync } = proxyActivities<Activities>(temporalConfig.activities.store);

export async function requestScheduledSync({ sourceId }: { sourceId: string }): Promise<{ syncRunId: string }> {
  return requestSourceSync({ sourceId, reason: 'schedule' });
}
