/**
 * The workflows a test's own worker process runs (test/support/delivery-worker.ts): the real person agent, and a
 * workflow that does nothing but deliver one recorded notification, so a test can drive deliverNotification through
 * a real workflow and a real activity retry without waiting for anyone's working hours.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { DeliveryOutcome, NotifyDeliveryActivities } from '../../activities/notify-delivery';
import { temporalConfig } from '../../temporal.config';

export { personAgent } from '../../workflows/person';

const { deliverNotification } = proxyActivities<NotifyDeliveryActivities>(temporalConfig.activities.notifyDelivery);

export async function deliverOnce(notificationId: string): Promise<DeliveryOutcome> {
  return deliverNotification(notificationId);
}
