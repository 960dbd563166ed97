/**
 * Microsoft Graph change notifications (notificationUrl) and lifecycle notifications (lifecycleNotificationUrl).
 *
 * Creating or renewing a subscription, Graph first POSTs `?validationToken=…` and expects the decoded token back as
 * text/plain within seconds. Afterwards it POSTs `{ value: [ … ] }`: each notification names its subscription and
 * carries the clientState we chose; one whose clientState does not match is dropped. Lifecycle notifications carry
 * `lifecycleEvent`: reauthorizationRequired (recorded, for the connector to renew), subscriptionRemoved (marked, and
 * a full sync, since changes may have been lost) and missed (a sync).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { WebhookChannel } from '../../activities/memory/webhooks';
import type { SyncRequest } from '../../workflows/sync-defs';
import { ForbiddenError, InvalidInputError } from '../registry/errors';
import type { WebhookDeps } from './deps';

const Notification = z.looseObject({
  subscriptionId: z.string().min(1),
  clientState: z.string().optional(),
  changeType: z.string().optional(),
  resource: z.string().optional(),
  tenantId: z.string().optional(),
  lifecycleEvent: z.string().optional(),
});
const NotificationCollection = z.object({ value: z.array(Notification).max(1000) });

export async function microsoftNotification(c: Context, deps: WebhookDeps): Promise<Response> {
  const validationToken = c.req.query('validationToken');
  if (validationToken !== undefined) {
    // the handshake: echo the (already URL-decoded) token as plain text, and nothing else
    return c.text(validationToken, 200, { 'content-type': 'text/plain; charset=utf-8' });
  }

  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new InvalidInputError('the body is not JSON: expected { value: [notification…] }');
  }
  const parsed = NotificationCollection.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'value';
    throw new InvalidInputError(`${field}: ${issue?.message ?? 'invalid'}`, { issues: [{ field, message: issue?.message ?? 'invalid' }] });
  }
  const store = await deps.webhooks();
  const accepted: { notification: z.infer<typeof Notification>; channel: WebhookChannel }[] = [];
  for (const notification of parsed.data.value) {
    const channel = await store.verify('microsoft', notification.subscriptionId, notification.clientState);
    if (!channel) {
      deps.log.warn({ subscriptionId: notification.subscriptionId }, 'graph notification dropped: unknown subscription or wrong clientState');
      continue;
    }
    accepted.push({ notification, channel });
  }
  if (accepted.length === 0 && parsed.data.value.length > 0) {
    throw new ForbiddenError('no notification carried a known subscription and its clientState');
  }

  // one request per source per delivery; the sync workflow merges deliveries that come in bursts
  const requests = new Map<string, SyncRequest>();
  const ask = (sourceId: string, request: SyncRequest): void => {
    const earlier = requests.get(sourceId);
    requests.set(sourceId, earlier?.full ? earlier : request);
  };
  for (const { notification, channel } of accepted) {
    const id = notification.subscriptionId;
    await store.touch('microsoft', id);
    switch (notification.lifecycleEvent) {
      case undefined:
        if (channel.status !== 'removed') ask(channel.sourceId, { reason: `graph ${notification.changeType ?? 'change'} (subscription ${id})` });
        break;
      case 'reauthorizationRequired':
        // the connector renews the subscription; nothing to sync yet
        await store.setStatus('microsoft', id, 'reauthorization_required');
        break;
      case 'subscriptionRemoved':
        await store.setStatus('microsoft', id, 'removed');
        ask(channel.sourceId, { reason: `graph subscription ${id} removed`, full: true });
        break;
      case 'missed':
        ask(channel.sourceId, { reason: `graph notifications missed (subscription ${id})` });
        break;
      default:
        deps.log.info({ subscriptionId: id, lifecycleEvent: notification.lifecycleEvent }, 'graph lifecycle event ignored');
    }
  }
  for (const [sourceId, request] of requests) await deps.requestSync(sourceId, request);
  return c.json({ received: accepted.length, dropped: parsed.data.value.length - accepted.length }, 202);
}
