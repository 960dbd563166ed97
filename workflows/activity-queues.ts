/**
 * The one way a workflow sends an activity off the main queue: name its group (a provider's connector, `files`,
 * `intelligence`, `delivery`) and the call is scheduled on that group's queue, named from the queue this run is on
 * (temporal.config.ts `activityTaskQueue`), where the group's worker role polls (workers/scaling.ts). Which
 * activities belong to which group is decided where each workflow proxies them; the queue name is decided here only.
 *
 * Replay: the SDK's core matches a recorded ActivityTaskScheduled with the command by activity id and type only
 * (sdk-core activity_state_machine.rs, `on_activity_task_scheduled`), never by task queue. So a run whose earlier
 * activities went to the main queue replays unchanged under this routing, and no `patched()` is needed for the
 * long-lived runs (person agents, calendar watches, follow-ups): their next activities simply go to the new queue.
 */
import { proxyActivities, workflowInfo, type ActivityFunction, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import { activityTaskQueue, type ActivityQueueGroup } from '../temporal.config';

type Scheduled = ActivityInterfaceFor<Record<string, ActivityFunction>>[string];

/**
 * `proxyActivities` on the group's queue. The queue is looked up at each call, not here: proxies are made when the
 * workflow module loads, outside any run, where `workflowInfo()` has no run to describe.
 */
export function routedActivities<A>(group: ActivityQueueGroup, options: ActivityOptions): ActivityInterfaceFor<A> {
  const scheduled = (name: string): Scheduled => {
    const proxy = proxyActivities<Record<string, ActivityFunction>>({ ...options, taskQueue: activityTaskQueue(workflowInfo().taskQueue, group) });
    return proxy[name] as Scheduled;
  };
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      const call = (...args: unknown[]) => scheduled(name)(...args);
      call.executeWithOptions = (overrides: ActivityOptions, args: unknown[]) => scheduled(name).executeWithOptions(overrides, args);
      return call;
    },
  });
}
