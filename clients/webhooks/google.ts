/**
 * Google push notifications: Calendar (events.watch channels) and Drive (changes.watch channels) speak the same
 * protocol. Google POSTs an empty body; everything is in the
 * headers: the channel (X-Goog-Channel-ID) and its token (X-Goog-Channel-Token, the secret we gave at watch time),
 * the watched resource (X-Goog-Resource-ID), what happened (X-Goog-Resource-State: `sync` once when the channel
 * opens, then `exists` / `not_exists` on changes) and a message number.
 */
import type { Context } from 'hono';
import { ForbiddenError, InvalidInputError, UnauthorizedError } from '../registry/errors';
import type { WebhookDeps } from './deps';

/** what a change is called: Calendar says exists / not_exists; a Drive changes channel says change (files: add, update, …) */
const CHANGE_STATES = {
  calendar: new Set(['exists', 'not_exists']),
  drive: new Set(['change', 'add', 'update', 'remove', 'trash', 'untrash']),
} as const;

export function googleCalendarNotification(c: Context, deps: WebhookDeps): Promise<Response> {
  return googlePushNotification(c, deps, 'calendar');
}

export function googleDriveNotification(c: Context, deps: WebhookDeps): Promise<Response> {
  return googlePushNotification(c, deps, 'drive');
}

async function googlePushNotification(c: Context, deps: WebhookDeps, resource: 'calendar' | 'drive'): Promise<Response> {
  const channelId = c.req.header('x-goog-channel-id');
  const state = c.req.header('x-goog-resource-state');
  const token = c.req.header('x-goog-channel-token');
  const resourceId = c.req.header('x-goog-resource-id');
  const messageNumber = Number(c.req.header('x-goog-message-number'));
  if (!channelId) throw new InvalidInputError('X-Goog-Channel-ID header is missing', { issues: [{ field: 'X-Goog-Channel-ID', message: 'required' }] });
  if (!state) throw new InvalidInputError('X-Goog-Resource-State header is missing', { issues: [{ field: 'X-Goog-Resource-State', message: 'required' }] });
  if (token === undefined) throw new UnauthorizedError('X-Goog-Channel-Token header is missing');

  const store = await deps.webhooks();
  const channel = await store.verify('google', channelId, token);
  // an unknown channel and a wrong token get the same answer
  if (!channel || channel.status === 'removed') throw new ForbiddenError('unknown channel or wrong channel token');
  if (channel.resourceId && resourceId !== channel.resourceId) throw new ForbiddenError('the resource does not belong to this channel');

  await store.touch('google', channelId, Number.isSafeInteger(messageNumber) ? messageNumber : undefined);
  if (state === 'sync') {
    deps.log.info({ channelId, sourceId: channel.sourceId, resource }, 'google channel opened');
    return c.json({ received: true, triggered: false });
  }
  if (!CHANGE_STATES[resource].has(state)) {
    const expected = ['sync', ...CHANGE_STATES[resource]].join(', ');
    throw new InvalidInputError(`unexpected X-Goog-Resource-State "${state}"`, { issues: [{ field: 'X-Goog-Resource-State', message: `one of ${expected}` }] });
  }
  await deps.requestSync(channel.sourceId, { reason: `google ${resource} ${state} (channel ${channelId})` });
  return c.json({ received: true, triggered: true });
}
