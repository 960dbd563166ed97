/**
 * Slack delivery: a direct message (conversations.open, then chat.postMessage) or a post in a channel. Every
 * message carries the idempotency key in its metadata (event type `mycelium_delivery`), so `findSent` can read the
 * conversation's recent history and tell whether this exact delivery already went out.
 *
 * The WebClient never retries or queues on its own: a rate limit rejects at once and becomes a failure carrying
 * Slack's Retry-After, and Temporal's retry policy decides what happens next.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import type { Medium } from '../../schemas/routing';
import { toSlackMrkdwn } from './markdown';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest } from './port';
import { DeliveryFailureType, slackFailure } from './provider-errors';
import { ApplicationFailure } from '@temporalio/common';

export const SLACK_METADATA_EVENT = 'mycelium_delivery';

export interface SlackChannelConfig {
  /** the bot token (xoxb-…); goes only into the Authorization header */
  token: string;
  /** e.g. https://slack.com (default) or a local stand-in; the Web API lives under /api/ */
  baseUrl?: string;
  /** how many recent messages findSent reads (one history page) */
  lookBack?: number;
  fetch?: typeof globalThis.fetch;
}

export class SlackChannel implements DeliveryChannel {
  readonly name = 'slack';
  readonly mediums: readonly Medium[] = ['chat_dm', 'chat_channel'];
  private readonly client: WebClient;
  private readonly lookBack: number;

  constructor(config: SlackChannelConfig) {
    this.client = new WebClient(config.token, {
      slackApiUrl: `${(config.baseUrl ?? 'https://slack.com').replace(/\/+$/, '')}/api/`,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
      ...(config.fetch ? { fetch: config.fetch } : {}),
    });
    this.lookBack = Math.min(999, config.lookBack ?? 200);
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    try {
      const channel = await this.conversationOf(request);
      const posted = await this.client.chat.postMessage({
        channel,
        text: toSlackMrkdwn(request.subject ? `**${request.subject}**\n${request.markdown}` : request.markdown),
        mrkdwn: true,
        unfurl_links: false,
        metadata: { event_type: SLACK_METADATA_EVENT, event_payload: { idempotency_key: request.idempotencyKey } },
      });
      return { ref: `slack:${posted.channel ?? channel}/${posted.ts ?? ''}` };
    } catch (error) {
      throw slackFailure(error);
    }
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    try {
      const channel = await this.conversationOf(request);
      const history = await this.client.conversations.history({ channel, limit: this.lookBack, include_all_metadata: true });
      const sent = (history.messages ?? []).find(
        (message) =>
          message.metadata?.event_type === SLACK_METADATA_EVENT &&
          (message.metadata.event_payload as Record<string, unknown> | undefined)?.idempotency_key === request.idempotencyKey,
      );
      return sent?.ts ? { ref: `slack:${channel}/${sent.ts}`, alreadySent: true } : undefined;
    } catch (error) {
      throw slackFailure(error);
    }
  }

  /** conversations.open is idempotent: it returns the same DM channel every time */
  private async conversationOf(request: DeliveryRequest): Promise<string> {
    if (request.medium === 'chat_channel') {
      if (!request.channel) throw nonRetryable(`chat_channel delivery ${request.idempotencyKey} names no channel`);
      return request.channel;
    }
    const user = request.recipient.slackUserId;
    if (!user) throw nonRetryable(`${request.recipient.personId} has no Slack user id`);
    const opened = await this.client.conversations.open({ users: user });
    const id = opened.channel?.id;
    if (!id) throw nonRetryable(`conversations.open returned no channel for ${user}`);
    return id;
  }
}

function nonRetryable(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: DeliveryFailureType.Rejected, message: `slack: ${message}`, nonRetryable: true });
}
