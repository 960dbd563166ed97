/**
 * notifyStakeholders — one run per telling (`notify:<topicKey>`): plan who hears about the subject, in which role,
 * through which medium and with what content (each recipient only what they may see), then record every
 * notification with its lineage and hand it to the recipient's agent (`person:<personId>`), which delivers it at the
 * right moment, exactly once. The plan is one activity result in the history, so a replay or a retried dispatch
 * sends the same messages to the same people.
 */
import { log, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { NotifyActivities } from '../activities/notify';
import { temporalConfig } from '../temporal.config';
import { notifyStatusQuery, type NotifyInput, type NotifyPhase, type NotifyPlan, type NotifyResult } from './notify-defs';
import { PersonIdsAttribute } from './search-attributes';

export * from './notify-defs';

const { planStakeholderNotification } = proxyActivities<NotifyActivities>({ ...temporalConfig.activities.store, startToCloseTimeout: '2 minutes' });
const { dispatchNotifications } = proxyActivities<NotifyActivities>({ ...temporalConfig.activities.store, heartbeatTimeout: '1 minute' });

export async function notifyStakeholders(input: NotifyInput): Promise<NotifyResult> {
  const { workflowId, runId } = workflowInfo();
  let phase: NotifyPhase = 'planning';
  // the query answers before the plan exists
  const planned: { plan?: NotifyPlan } = {};
  setHandler(notifyStatusQuery, () => ({ phase, ...planned }));

  const plan = await planStakeholderNotification(input);
  planned.plan = plan;
  if (input.searchAttributes !== false && plan.recipients.length > 0) {
    upsertSearchAttributes([{ key: PersonIdsAttribute, value: [...new Set(plan.recipients.map((r) => r.personId))].sort() }]);
  }
  phase = 'dispatching';
  const notifications = plan.recipients.length > 0 ? await dispatchNotifications({ plan, workflowId, runId }) : [];
  phase = 'done';
  log.info('stakeholders notified', { topicKey: input.topicKey, recipients: notifications.length, withheld: plan.withheld.length });
  return { topicKey: input.topicKey, workflowId, runId, plan, notifications };
}
