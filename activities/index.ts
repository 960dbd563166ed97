/**
 * The activity factory: workers call createActivities(deps) with the real world, tests with a test world.
 * Workflows only `import type { Activities }` from here.
 */
import { createBriefActivities } from './briefs';
import { createCalendarActivities } from './calendar';
import { createConnectorSyncActivities } from './connector-sync';
import { createConnectorPushActivities } from './connector-push';
import type { ActivityDeps } from './deps';
import { createExtractionActivities } from './extraction';
import { createFollowUpActivities } from './follow-up';
import { DecisionSubjects } from './memory/follow-ups';
import { createNotifyActivities } from './notify';
import { createNotifyDeliveryActivities, outboxChannels } from './notify-delivery';
import { createPersonAgentActivities } from './person-agent';
import { createReembedActivities } from './reembed';
import { createSyncActivities } from './sync';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSyncActivities(deps),
    ...createConnectorSyncActivities(deps),
    ...createConnectorPushActivities(deps),
    ...createCalendarActivities(deps),
    ...createExtractionActivities(deps),
    ...createFollowUpActivities({
      subjects: new DecisionSubjects(deps.decisions),
      followUps: deps.followUps,
      people: deps.store,
      outbox: deps.outbox,
      log: deps.log,
      notify: deps.temporal,
    }),
    ...createBriefActivities(deps),
    ...createPersonAgentActivities({ people: deps.store, personSettings: deps.personSettings }),
    ...createNotifyActivities(deps),
    ...createReembedActivities({ store: deps.store }),
    ...createNotifyDeliveryActivities({
      notifications: deps.notifications,
      people: deps.store,
      channels: deps.delivery ?? outboxChannels(deps.outbox),
      now: deps.now,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
