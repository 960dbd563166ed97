import type { Logger } from 'pino';
import type { WebhookStore } from '../../activities/memory/webhooks';
import type { SyncRequest } from '../../workflows/sync-defs';

/** What the webhook handlers need: the channel registry and a way to ask for a source's (debounced) sync. */
export interface WebhookDeps {
  webhooks(): Promise<WebhookStore>;
  requestSync(sourceId: string, request: SyncRequest): Promise<void>;
  log: Logger;
  /** the Slack sources, with what verifies and routes their Events API requests (absent: none) */
  slackSources?(): Promise<SlackWebhookSource[]>;
}

/** A Slack source as the Events endpoint needs it: its workspace, the app's signing secret and its recheck window. */
export interface SlackWebhookSource {
  sourceId: string;
  teamId?: string;
  signingSecret?: string;
  recheckDays: number;
}
