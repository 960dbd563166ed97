/**
 * The webhook channel store with the one operation Graph subscriptions need beyond it: recording a renewal (new
 * expiry, active again) without touching the secret, which the store keeps only as a hash. To be folded into
 * activities/memory/webhooks.ts (WebhookStore.renewed) when this lands.
 */
import { WebhookStore } from '../../memory/webhooks';
import type { Sql } from '../../memory/ports';
import type { SubscriptionChannels } from './subscriptions';

export class SubscriptionChannelStore extends WebhookStore implements SubscriptionChannels {
  readonly #sql: Sql;

  constructor(deps: { db: Sql; now?: () => Date }) {
    super(deps);
    this.#sql = deps.db;
  }

  async renewed(provider: 'microsoft', channelId: string, expiresAt: Date): Promise<void> {
    await this.#sql.query(
      `UPDATE webhook_channels SET expires_at = $3, status = 'active', updated_at = now() WHERE provider = $1 AND channel_id = $2`,
      [provider, channelId, expiresAt],
    );
  }
}
