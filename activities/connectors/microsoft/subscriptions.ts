/**
 * Graph change notifications for a Microsoft source: one subscription per resource its streams read, created with
 * the service's webhook URLs (clients/webhooks/microsoft.ts answers the validationToken handshake and checks the
 * clientState), and kept alive: renewed (PATCH expirationDateTime) before it expires or when Graph asked for
 * reauthorization (lifecycle `reauthorizationRequired`, recorded by the webhook), created again when Graph removed
 * it (`subscriptionRemoved`) or it lapsed. A notification only asks for a sync; the streams read the changes.
 *
 * `reconcile` is idempotent: the framework runs it at the start of every sync pass of the source (and on its
 * schedule, which must come round well inside the shortest lifetime below: Teams messages live an hour).
 */
import { randomBytes } from 'node:crypto';
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { RegisterChannel, WebhookChannel } from '../../memory/webhooks';
import { microsoftFailure } from './errors';
import type { GraphReader } from './graph';

export interface SubscriptionTarget {
  /** Graph's resource path, without a leading slash: users/{id}/events */
  resource: string;
  changeType: string;
  /** the longest lifetime Graph allows for this resource */
  lifetimeMinutes: number;
}

/** What the subscriptions need from the webhook channel store. */
export interface SubscriptionChannels {
  list(sourceId?: string): Promise<WebhookChannel[]>;
  register(input: RegisterChannel): Promise<{ channel: WebhookChannel; secret: string }>;
  /** a renewed subscription: its new expiry, and active again (its secret is unchanged) */
  renewed(provider: 'microsoft', channelId: string, expiresAt: Date): Promise<void>;
}

export interface GraphSubscription {
  id: string;
  resource?: string;
  expirationDateTime?: string;
  clientState?: string;
}

export interface ReconcileResult {
  created: string[];
  renewed: string[];
}

const MINUTE_MS = 60_000;

export class MicrosoftSubscriptions {
  constructor(
    private readonly deps: {
      graph: GraphReader;
      channels: SubscriptionChannels;
      sourceId: string;
      /** https://<service>/webhooks/microsoft */
      notificationUrl: string;
      /** https://<service>/webhooks/microsoft/lifecycle */
      lifecycleNotificationUrl: string;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Renew a subscription once less than a third of its lifetime is left (and never later than 10 minutes before). */
  private due(channel: WebhookChannel, target: SubscriptionTarget): boolean {
    if (channel.status === 'reauthorization_required' || !channel.expiresAt) return true;
    const margin = Math.max(10 * MINUTE_MS, (target.lifetimeMinutes * MINUTE_MS) / 3);
    return channel.expiresAt.getTime() - this.now().getTime() < margin;
  }

  private expiry(target: SubscriptionTarget): Date {
    // a minute short of the maximum: Graph refuses an expiry past it, and clocks differ
    return new Date(this.now().getTime() + (target.lifetimeMinutes - 1) * MINUTE_MS);
  }

  async reconcile(targets: readonly SubscriptionTarget[]): Promise<ReconcileResult> {
    const result: ReconcileResult = { created: [], renewed: [] };
    const channels = (await this.deps.channels.list(this.deps.sourceId)).filter((c) => c.provider === 'microsoft');
    for (const target of targets) {
      const live = channels
        .filter((c) => c.resourceId === target.resource && c.status !== 'removed' && (!c.expiresAt || c.expiresAt > this.now()))
        .sort((a, b) => (b.expiresAt?.getTime() ?? 0) - (a.expiresAt?.getTime() ?? 0))[0];
      if (!live) {
        result.created.push(await this.create(target));
      } else if (this.due(live, target)) {
        const renewed = await this.renew(live, target);
        if (renewed) result.renewed.push(live.channelId);
        else result.created.push(await this.create(target));
      }
    }
    return result;
  }

  private async create(target: SubscriptionTarget): Promise<string> {
    const clientState = randomBytes(32).toString('base64url');
    let subscription: GraphSubscription;
    try {
      subscription = await this.deps.graph.post<GraphSubscription>('/subscriptions', {
        changeType: target.changeType,
        notificationUrl: this.deps.notificationUrl,
        lifecycleNotificationUrl: this.deps.lifecycleNotificationUrl,
        resource: target.resource,
        expirationDateTime: this.expiry(target).toISOString(),
        clientState,
      });
    } catch (error) {
      throw microsoftFailure(error);
    }
    await this.deps.channels.register({
      provider: 'microsoft',
      channelId: subscription.id,
      sourceId: this.deps.sourceId,
      secret: clientState,
      resourceId: target.resource,
      expiresAt: subscription.expirationDateTime ? new Date(subscription.expirationDateTime) : this.expiry(target),
    });
    return subscription.id;
  }

  /** false when Graph no longer knows the subscription (it must be created again) */
  private async renew(channel: WebhookChannel, target: SubscriptionTarget): Promise<boolean> {
    let subscription: GraphSubscription;
    try {
      subscription = await this.deps.graph.patch<GraphSubscription>(`/subscriptions/${encodeURIComponent(channel.channelId)}`, {
        expirationDateTime: this.expiry(target).toISOString(),
      });
    } catch (error) {
      if (error instanceof GraphError && error.statusCode === 404) return false;
      throw microsoftFailure(error);
    }
    const expiresAt = subscription?.expirationDateTime ? new Date(subscription.expirationDateTime) : this.expiry(target);
    await this.deps.channels.renewed('microsoft', channel.channelId, expiresAt);
    return true;
  }
}
