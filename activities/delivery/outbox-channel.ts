/**
 * The embedded default behind the delivery port: with no provider configured, every medium lands in the outbox
 * folder (FileOutbox), its topic marked with the medium it would have gone by, so a team can see what Mycelium
 * would have sent, and how, before connecting Slack or mail.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Medium } from '../../schemas/routing';
import { FileOutbox } from './outbox';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest } from './port';

export interface OutboxChannelConfig {
  dir: string;
  echo?: (text: string) => void;
}

export class OutboxChannel implements DeliveryChannel {
  readonly name = 'outbox';
  readonly mediums: readonly Medium[] = Medium.options;
  private readonly outbox: FileOutbox;

  constructor(private readonly config: OutboxChannelConfig) {
    this.outbox = new FileOutbox(config.dir, config.echo);
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    const [ref] = await this.outbox.deliver({
      artifactId: artifactIdOf(request),
      topic: `[${request.medium}] ${request.subject}`,
      recipients: [request.recipient.email],
      markdown: request.markdown,
    });
    return { ref: ref ?? `outbox:${this.pathOf(request)}` };
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    const path = this.pathOf(request);
    return access(path).then(
      () => ({ ref: `outbox:${path}`, alreadySent: true }),
      () => undefined,
    );
  }

  private pathOf(request: DeliveryRequest): string {
    return join(this.config.dir, `${artifactIdOf(request)}.md`);
  }
}

/** FileOutbox names the file after the artifact id; the prefix keeps deliveries apart from briefs and follow-ups */
function artifactIdOf(request: DeliveryRequest): string {
  return `delivery-${request.idempotencyKey}`;
}
