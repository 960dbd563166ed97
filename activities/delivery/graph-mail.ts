/**
 * E-mail through Microsoft Graph (`POST /users/{sender}/sendMail`, saved to Sent Items). Graph cannot filter
 * messages on internet headers, so besides an `X-Mycelium-Key` header for humans the message carries the key in
 * a named extended property, and `findSent` filters the sender's Sent Items on it.
 *
 * sendMail answers 202 without an id; the receipt names the sender and key, and `findSent` returns the id.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Medium } from '../../schemas/routing';
import { graphClient, keyFilter, keyProperty, type GraphApiConfig } from './graph';
import { toHtml } from './markdown';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest } from './port';
import { graphFailure } from './provider-errors';

export interface GraphMailChannelConfig extends GraphApiConfig {
  /** the mailbox (UPN or id) every message is sent from */
  sender: string;
}

export class GraphMailChannel implements DeliveryChannel {
  readonly name = 'graph-mail';
  readonly mediums: readonly Medium[] = ['email'];
  private readonly client: Client;

  constructor(private readonly config: GraphMailChannelConfig) {
    this.client = graphClient(config);
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    try {
      await this.client.api(`/users/${encodeURIComponent(this.config.sender)}/sendMail`).post({
        message: {
          subject: request.subject,
          body: { contentType: 'HTML', content: toHtml(request.markdown) },
          toRecipients: [{ emailAddress: { address: request.recipient.email, name: request.recipient.name } }],
          internetMessageHeaders: [{ name: 'X-Mycelium-Key', value: request.idempotencyKey }],
          singleValueExtendedProperties: [keyProperty(request.idempotencyKey)],
        },
        saveToSentItems: true,
      });
      return { ref: `graph-mail:${this.config.sender}/${request.idempotencyKey}` };
    } catch (error) {
      throw graphFailure(error, 'graph-mail');
    }
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    try {
      const found = (await this.client
        .api(`/users/${encodeURIComponent(this.config.sender)}/mailFolders/sentitems/messages`)
        .filter(keyFilter(request.idempotencyKey))
        .select(['id', 'internetMessageId'])
        .top(1)
        .get()) as { value?: { id?: string }[] };
      const id = found.value?.[0]?.id;
      return id ? { ref: `graph-mail:${id}`, alreadySent: true } : undefined;
    } catch (error) {
      throw graphFailure(error, 'graph-mail');
    }
  }
}
