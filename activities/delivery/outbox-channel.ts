/**
 * The embedded default behind the delivery port: with no provider configured, every medium lands in the outbox
 * folder (FileOutbox), its topic marked with the medium it would have gone by, so a team can see what Mycelium
 * would have sent, and how, before connecting Slack or mail.
 */
import { Medium } from '../../schemas/routing';
import { inviteesOf } from './call-invite';
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

  constructor(config: OutboxChannelConfig) {
    this.outbox = new FileOutbox(config.dir, config.echo);
  }

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    const [ref] = await this.outbox.deliver({
      artifactId: artifactIdOf(request),
      topic: `[${request.medium}] ${request.subject}`,
      recipients: recipientsOf(request),
      markdown: request.markdown,
    });
    if (!ref) throw new Error(`the outbox returned no reference for ${request.idempotencyKey}`);
    return { ref };
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    const ref = await this.outbox.sentRef(artifactIdOf(request));
    return ref ? { ref, alreadySent: true } : undefined;
  }
}

/** a call is one invite for everyone in it, so its file names them all, the organizer first */
function recipientsOf(request: DeliveryRequest): string[] {
  if (request.medium !== 'call' || !request.call) return [request.recipient.email];
  return [request.call.organizer.email, ...inviteesOf(request, request.call).map((person) => person.email)];
}

/** FileOutbox names the file after the artifact id; the prefix keeps deliveries apart from briefs and follow-ups */
function artifactIdOf(request: DeliveryRequest): string {
  return `delivery-${request.idempotencyKey}`;
}
