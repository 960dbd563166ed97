/**
 * maintainSourcePush — what the push Temporal Schedule of a Google or Microsoft source starts
 * (`mycelium:push:<sourceId>`, every temporalConfig.schedules.pushUpkeep): one call of the push upkeep activity on
 * the provider's task queue, which renews Google watch channels and Graph subscriptions before they lapse. The
 * same activity also runs at the start of every sync pass of the source; both are idempotent.
 */
import type { Activities } from '../activities';
import type { PushUpkeepResult } from '../activities/connector-push';
import type { PushUpkeepInput } from './push-upkeep-defs';
import { temporalConfig, type ConnectorQueueProvider } from '../temporal.config';
import { routedActivities } from './activity-queues';

export * from './push-upkeep-defs';

/** The push upkeep activity of a provider, on that provider's task queue (its rate limits, its slots). */
export function pushActivitiesFor(provider: ConnectorQueueProvider) {
  return routedActivities<Activities>(provider, temporalConfig.activities.pushUpkeep);
}

export async function maintainSourcePush({ sourceId, provider }: PushUpkeepInput): Promise<PushUpkeepResult> {
  return pushActivitiesFor(provider).maintainPush({ sourceId });
}
