/**
 * The person agent's sends: one notification on its own (deliverNotification) or a digest of several
 * (deliverDigest), each exactly once through the delivery ledger (NotificationStore):
 *
 *   1. record before the send: the delivery under its idempotency key, status 'sending' (one transaction)
 *   2. send through the medium's channel (DeliveryChannel, activities/delivery/port.ts)
 *   3. confirm: 'sent' with the provider's reference
 *
 * A retry that finds the record still 'sending' (a worker died between 2 and 3, or 2 failed) asks the provider
 * first (findSent) and confirms without sending when the message is there. A confirmed delivery returns its stored
 * receipt. The activities heartbeat while the provider works, so a dead worker is noticed within the heartbeat
 * timeout (temporalConfig.activities.notifyDelivery).
 */
import { Context } from '@temporalio/activity';
import { personAgentConfig } from '../config/person-agent';
import type { Person } from '../schemas/entities';
import { Medium } from '../schemas/routing';
import type { DeliveryAddress, DeliveryChannel, DeliveryRequest } from './delivery/port';
import type { Outbox } from './delivery/outbox';
import type { NotificationRecord, NotificationStore } from './memory/notifications';

/** Picks the channel that carries a medium to a recipient (the delivery adapters' DeliveryChannels satisfies it). */
export interface ChannelResolver {
  forMedium(medium: Medium, recipient: DeliveryAddress): DeliveryChannel;
}

export interface DeliveryOutcome {
  deliveryKey: string;
  ref: string;
  /** true when an earlier attempt's send was found at the provider (or the ledger had it confirmed already) */
  alreadySent: boolean;
  notificationIds: string[];
}

export interface NotifyDeliveryDeps {
  notifications: NotificationStore;
  people: { peopleByIds(ids: string[]): Promise<Person[]> };
  channels: ChannelResolver;
  now: () => Date;
}

export class NothingToDeliverError extends Error {
  override readonly name = 'NothingToDeliverError';
}

/** The embedded default: every medium to the file outbox. Its writes are idempotent by key, so findSent needs no lookup. */
export function outboxChannels(outbox: Outbox): ChannelResolver {
  const channel: DeliveryChannel = {
    name: 'outbox',
    mediums: Medium.options,
    async send(request) {
      const refs = await outbox.deliver({ artifactId: request.idempotencyKey, topic: request.subject, recipients: [request.recipient.personId], markdown: request.markdown });
      return { ref: refs[0] ?? `outbox:${request.idempotencyKey}` };
    },
    // a resend rewrites the same file under the same key: nothing can go out twice
    findSent: async () => undefined,
  };
  return { forMedium: () => channel };
}

export function addressOf(personId: string, person: Person | undefined): DeliveryAddress {
  const slack = person?.identities.find((i) => i.provider === 'slack')?.externalId;
  return {
    personId,
    name: person?.name ?? personId,
    email: personId,
    ...(slack ? { slackUserId: slack } : {}),
    timezone: person?.timezone ?? 'UTC',
  };
}

/** Heartbeats while `work` runs, when inside an activity with a heartbeat timeout. */
async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    context = undefined; // called outside an activity (a script, a test of the function itself)
  }
  const timeoutMs = context?.info.heartbeatTimeoutMs;
  if (!context || !timeoutMs) return work();
  const ctx = context;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), Math.max(500, Math.floor(timeoutMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

function digestMarkdown(personName: string, items: NotificationRecord[]): string {
  const lines = [`# Your digest, ${personName}`, '', `${items.length} item${items.length === 1 ? '' : 's'} since your last digest.`, ''];
  for (const n of items) {
    lines.push(`## ${n.subject || n.topicKey}`, '', `*${n.role}* — ${n.roleReasons[0] ?? 'you are a stakeholder'}`, '', n.markdown, '', `Why you got this: \`myc why ${n.id}\``, '');
  }
  return lines.join('\n').trimEnd();
}

export function createNotifyDeliveryActivities(deps: NotifyDeliveryDeps) {
  const { notifications, channels } = deps;

  async function address(personId: string): Promise<DeliveryAddress> {
    const [person] = await deps.people.peopleByIds([personId]);
    return addressOf(personId, person);
  }

  /** Steps 1–3 above for one request; `carried` are the notifications the delivery confirms. */
  async function exactlyOnce(kind: 'notification' | 'digest', request: DeliveryRequest, carried: string[]): Promise<DeliveryOutcome> {
    const channel = channels.forMedium(request.medium, request.recipient);
    const start = await notifications.beginDelivery({
      idempotencyKey: request.idempotencyKey,
      kind,
      personId: request.recipient.personId,
      medium: request.medium,
      channelName: channel.name,
      notificationIds: carried,
      at: deps.now(),
    });
    const ids = start.delivery.notificationIds;
    if (start.state === 'sent') return { deliveryKey: request.idempotencyKey, ref: start.delivery.providerRef ?? '', alreadySent: true, notificationIds: ids };
    const receipt = await withHeartbeats(async () => {
      if (start.state === 'sending') {
        const found = await channel.findSent(request);
        if (found) return { ...found, alreadySent: true };
      }
      return channel.send(request);
    });
    const confirmed = await notifications.confirmDelivery(request.idempotencyKey, receipt, deps.now());
    return { deliveryKey: request.idempotencyKey, ref: confirmed.providerRef ?? receipt.ref, alreadySent: receipt.alreadySent === true, notificationIds: ids };
  }

  return {
    /** One notification on its own, through its medium, exactly once. */
    async deliverNotification(notificationId: string): Promise<DeliveryOutcome> {
      const n = await notifications.get(notificationId);
      if (!n) throw new NothingToDeliverError(`no notification ${notificationId} was recorded`);
      const recipient = await address(n.recipientId);
      const request: DeliveryRequest = {
        idempotencyKey: n.idempotencyKey,
        medium: n.medium,
        recipient,
        subject: n.subject,
        markdown: n.markdown,
        ...(n.chatChannel ? { channel: n.chatChannel } : {}),
      };
      if (n.call) {
        const [organizer, ...attendees] = await Promise.all([address(n.call.organizerId), ...n.call.attendeeIds.map(address)]);
        request.call = { slot: n.call.slot, organizer: organizer!, attendees };
      }
      return exactlyOnce('notification', request, [n.id]);
    },

    /**
     * A person's digest: one delivery listing the notifications, under the digest's own key (person + local date +
     * number, workflows/person-defs.ts digestKey). Notifications already delivered some other way are left out; a
     * retry lists what the first attempt recorded, so the message is the same one.
     */
    async deliverDigest(personId: string, notificationIds: string[], digestKey: string): Promise<DeliveryOutcome> {
      const earlier = await notifications.getDelivery(digestKey);
      const candidates = await notifications.getMany(earlier ? earlier.notificationIds : notificationIds);
      const items = earlier ? candidates : candidates.filter((n) => n.status !== 'sent' && n.recipientId === personId.trim().toLowerCase());
      if (items.length === 0) return { deliveryKey: digestKey, ref: '', alreadySent: false, notificationIds: [] };
      const recipient = await address(items[0]!.recipientId);
      const request: DeliveryRequest = {
        idempotencyKey: digestKey,
        medium: personAgentConfig.digestMedium,
        recipient,
        subject: `Your digest: ${items.length} item${items.length === 1 ? '' : 's'}`,
        markdown: digestMarkdown(recipient.name, items),
      };
      return exactlyOnce(
        'digest',
        request,
        items.map((n) => n.id),
      );
    },
  };
}

export type NotifyDeliveryActivities = ReturnType<typeof createNotifyDeliveryActivities>;
