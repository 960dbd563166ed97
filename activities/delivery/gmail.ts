/**
 * E-mail through Gmail (`users.messages.send` with a raw RFC 5322 message). The message carries a deterministic
 * Message-ID made from the idempotency key, and `findSent` searches the sender's mailbox for it
 * (`rfc822msgid:`), so a retry after a crash finds the message instead of sending it twice.
 */
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';
import type { Medium } from '../../schemas/routing';
import { authorizationAs, googleApiOptions, type GoogleApiConfig } from './google';
import { toHtml } from './markdown';
import { buildMimeMessage, messageIdFor, toBase64Url } from './mime';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest } from './port';
import { googleFailure } from './provider-errors';

export interface GmailChannelConfig extends GoogleApiConfig {
  /** the mailbox every message is sent from (and searched in) */
  sender: string;
  senderName?: string;
}

export class GmailChannel implements DeliveryChannel {
  readonly name = 'gmail';
  readonly mediums: readonly Medium[] = ['email'];
  private readonly gmail: gmail_v1.Gmail;

  constructor(private readonly config: GmailChannelConfig) {
    this.gmail = new gmail_v1.Gmail(googleApiOptions(config));
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    const raw = toBase64Url(
      buildMimeMessage({
        from: { email: this.config.sender, name: this.config.senderName ?? 'Mycelium' },
        to: [{ email: request.recipient.email, name: request.recipient.name }],
        subject: request.subject,
        messageId: messageIdFor(request.idempotencyKey),
        text: request.markdown,
        html: toHtml(request.markdown),
        headers: { 'X-Mycelium-Key': request.idempotencyKey },
      }),
    );
    try {
      const sent = await this.gmail.users.messages.send({ userId: this.config.sender, requestBody: { raw } }, await authorizationAs(this.config, this.config.sender));
      return { ref: `gmail:${sent.data.id ?? ''}` };
    } catch (error) {
      throw googleFailure(error, 'gmail');
    }
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    try {
      const found = await this.gmail.users.messages.list(
        { userId: this.config.sender, q: `rfc822msgid:${messageIdFor(request.idempotencyKey)}`, includeSpamTrash: true, maxResults: 1 },
        await authorizationAs(this.config, this.config.sender),
      );
      const id = found.data.messages?.[0]?.id;
      return id ? { ref: `gmail:${id}`, alreadySent: true } : undefined;
    } catch (error) {
      throw googleFailure(error, 'gmail');
    }
  }
}
