/**
 * P1's baseline: workflows that do nothing but what Temporal must do for ours' shape, with the same activity
 * options — a meeting run started by signal-with-start (prepare, deliver: two activities; the delivery starts the
 * telling), the telling (plan, dispatch: two activities; the dispatch signals each attendee's agent), and a
 * long-lived agent per person that places each notice: sent by an activity while the day's budget lasts, queued
 * after (as ours' placeNotice does for a brief inside working hours). Bundled on its own
 * (bench/p1-orchestration.ts); never part of the app's workflows.
 */
import { condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { activityTaskQueue, temporalConfig } from '../../temporal.config';
import type { NoopActivities } from './activities';
import { noopNoticeSignal, noopPlacedQuery, noopSignal, type NoopNotifyInput, type NoopPersonInput } from './defs';

export { noopSignal } from './defs';

const { noopPrepare, noopPlan, noopLoadSettings } = proxyActivities<NoopActivities>({ ...temporalConfig.activities.store, startToCloseTimeout: '2 minutes' });
const { noopDispatch } = proxyActivities<NoopActivities>({ ...temporalConfig.activities.store, heartbeatTimeout: '1 minute' });
// ours send on the delivery role's queue: so do these
const deliveryQueue = () => activityTaskQueue(workflowInfo().taskQueue, 'delivery');
const delivery = () => proxyActivities<NoopActivities>({ ...temporalConfig.activities.delivery, taskQueue: deliveryQueue() });
const notifyDelivery = () => proxyActivities<NoopActivities>({ ...temporalConfig.activities.notifyDelivery, taskQueue: deliveryQueue() });

export async function noopMeeting(input: { meetingId: string; attendeeIds: string[] }): Promise<{ meetingId: string; briefId: string }> {
  setHandler(noopSignal, () => undefined);
  const { briefId } = await noopPrepare({ meetingId: input.meetingId });
  await delivery().noopDeliver({ briefId, attendeeIds: input.attendeeIds });
  return { meetingId: input.meetingId, briefId };
}

export async function noopNotify(input: NoopNotifyInput): Promise<number> {
  const { recipients } = await noopPlan(input);
  return recipients.length > 0 ? noopDispatch({ briefId: input.briefId, recipients }) : 0;
}

export async function noopPerson(input: NoopPersonInput): Promise<void> {
  const inbox: string[] = [];
  let placed = 0;
  setHandler(noopNoticeSignal, (id) => void inbox.push(id));
  setHandler(noopPlacedQuery, () => placed);
  const { budgetPerDay } = await noopLoadSettings(input.personId);
  const used = { date: '', count: 0 };
  for (;;) {
    await condition(() => inbox.length > 0);
    while (inbox.length > 0) {
      const id = inbox.shift()!;
      const date = new Date().toISOString().slice(0, 10);
      if (used.date !== date) Object.assign(used, { date, count: 0 });
      if (used.count < budgetPerDay) {
        used.count++;
        await notifyDelivery().noopDeliverNotice(id);
      }
      placed++;
    }
  }
}
