/**
 * The activity factory: workers call createActivities(deps) with the real world, tests with a test world.
 * Workflows only `import type { Activities }` from here.
 */
import { createBriefActivities } from './briefs';
import type { ActivityDeps } from './deps';
import { createSyncActivities } from './sync';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSyncActivities(deps),
    ...createBriefActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
