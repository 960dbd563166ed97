/**
 * The webhook endpoints providers call (mounted at /webhooks by the HTTP app):
 *   POST /google/calendar          Google Calendar push notifications
 *   POST /google/drive             Google Drive push notifications (changes.watch)
 *   POST /microsoft                Microsoft Graph change notifications (notificationUrl)
 *   POST /microsoft/lifecycle      Microsoft Graph lifecycle notifications (lifecycleNotificationUrl)
 *   POST /slack/events             Slack Events API (signed with the app's signing secret)
 * They authenticate by the channel secret the provider echoes, not by an API token; every accepted change is a
 * debounced request to the source's sync workflow, so a burst of notifications is one sync.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { WebhookStore } from '../../activities/memory/webhooks';
import { errorBody, HTTP_STATUS, InvalidInputError, UserError } from '../registry/errors';
import type { Stack } from '../runtime';
import { requestSync, SourcePausedError } from '../sources';
import type { WebhookDeps } from './deps';
import { googleCalendarNotification, googleDriveNotification } from './google';
import { microsoftNotification } from './microsoft';
import { slackEvents, slackSourcesIn } from './slack';

export interface WebhookRoutesOptions {
  stack(): Promise<Stack>;
  log: Logger;
}

/** notifications are small; anything bigger is not one */
const MAX_BODY_BYTES = 1024 * 1024;

export function createWebhookRoutes(options: WebhookRoutesOptions): Hono {
  const log = options.log.child({ component: 'webhooks' });
  const deps: WebhookDeps = {
    log,
    webhooks: async () => new WebhookStore({ db: (await options.stack()).db }),
    requestSync: async (sourceId, request) => {
      try {
        const requested = await requestSync(await options.stack(), sourceId, request);
        log.info({ ...requested, reason: request.reason }, 'sync requested');
      } catch (error) {
        // the provider did its part: acknowledge, and let the paused source wait for `myc sources resume`
        if (!(error instanceof SourcePausedError)) throw error;
        log.info({ sourceId, reason: request.reason }, 'notification for a paused source: not synced');
      }
    },
    slackSources: async () => slackSourcesIn((await options.stack()).sources, log),
  };
  const app = new Hono();
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new InvalidInputError(`a notification is at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.post('/google/calendar', (c) => googleCalendarNotification(c, deps));
  app.post('/google/drive', (c) => googleDriveNotification(c, deps));
  app.post('/microsoft', (c) => microsoftNotification(c, deps));
  app.post('/microsoft/lifecycle', (c) => microsoftNotification(c, deps));
  app.post('/slack/events', (c) => slackEvents(c, deps));
  app.onError((error, c: Context) => {
    if (!(error instanceof UserError)) log.error({ err: error }, 'webhook failed');
    const body = errorBody(error);
    return c.json(body, HTTP_STATUS[body.error.code] as 400);
  });
  return app;
}
