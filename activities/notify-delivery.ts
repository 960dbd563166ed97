/**
 * The person agent's sends: one notification on its own (deliverNotification) or a digest of several
 * (deliverDigest), each exactly once through the delivery ledger (NotificationStore):
 *
 *   1. record before the send: the delivery under its idempotency key, status 'sending', with the channel that will
 *      carry it (one transaction)
 *   2. send through that channel (DeliveryChannel, activities/delivery/port.ts)
 *   3. confirm: 'sent' with the provider's reference
 *
 * A retry that finds the record still 'sending' (a worker died between 2 and 3, or 2 failed) asks the channel the
 * record names (not whichever the configuration picks today) first (findSent), and confirms without sending when
 * the message is there. A confirmed delivery returns its stored receipt. The activities heartbeat while the provider
 * works, so a dead worker is noticed within the heartbeat timeout (temporalConfig.activities.notifyDelivery).
 *
 * A call invite or a decision record is one thing for everyone it concerns: each participant's notification is
 * confirmed through a shared send (sharedSendKey), recorded in the ledger under its own key, so the calendar gets
 * one event and the folder one record, however many notifications carry them.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { personAgentConfig } from '../config/person-agent';
import type { Person } from '../schemas/entities';
import { Medium } from '../schemas/routing';
import type { DeliveryAddress, DeliveryChannel, DeliveryRequest } from './delivery/port';
import type { Outbox } from './delivery/outbox';
import { DeliveryFailureType } from './delivery/provider-errors';
import type { DeliveryKind, DeliveryRecord, NotificationRecord, NotificationStore } from './memory/notifications';

/** Picks the channel that carries a medium to a recipient (the delivery adapters' DeliveryChannels satisfies it). */
export interface ChannelResolver {
  forMedium(medium: Medium, recipient: DeliveryAddress): DeliveryChannel;
  /** the channel with this name, so a retry asks the one that made the first attempt; without it, only forMedium's */
  byName?(name: string): DeliveryChannel | undefined;
}

export interface DeliveryOutcome {
  deliveryKey: string;
  ref: string;
  /** true when an earlier attempt's send was found at the provider (or the ledger had it confirmed already) */
  alreadySent: boolean;
  notificationIds: string[];
  /** the channel recorded with the delivery ('' when nothing was delivered) */
  channelName: string;
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

/** The embedded default: every medium to the file outbox, whose files are named by key, so findSent is a look-up. */
export function outboxChannels(outbox: Outbox): ChannelResolver {
  const channel: DeliveryChannel = {
    name: 'outbox',
    mediums: Medium.options,
    async send(request) {
      const refs = await outbox.deliver({ artifactId: request.idempotencyKey, topic: request.subject, recipients: [request.recipient.personId], markdown: request.markdown });
      return { ref: refs[0] ?? `outbox:${request.idempotencyKey}` };
    },
    async findSent(request) {
      // an outbox that cannot look up (sentRef) must be idempotent by artifact id on its own, as FileOutbox is
      const ref = await outbox.sentRef?.(request.idempotencyKey);
      return ref ? { ref, alreadySent: true } : undefined;
    },
  };
  return { forMedium: () => channel, byName: (name) => (name === channel.name ? channel : undefined) };
}

const personKey = (id: string): string => id.trim().toLowerCase();

function hashKey(prefix: string, parts: unknown[]): string {
  return `${prefix}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 28)}`;
}

/** everyone in a call but the organizer, each once, in a fixed order: the same invite whoever's notification sends it */
function callAttendeeIds(n: NotificationRecord): string[] {
  if (!n.call) return [];
  const organizer = personKey(n.call.organizerId);
  return [...new Set([...n.call.attendeeIds, n.recipientId].map(personKey))].filter((id) => id !== organizer).sort();
}

/**
 * The key of the one send a call invite or decision record makes, the same for every recipient's notification of it
 * (workflow + what is sent, without the recipient); undefined for mediums that go to each person on their own.
 * Recipients given different content get different keys: one invite's description is seen by everyone invited.
 */
export function sharedSendKey(n: NotificationRecord): string | undefined {
  if (n.medium === 'call' && n.call) {
    const { slot } = n.call;
    return hashKey('call', [n.workflowId, new Date(slot.start).toISOString(), new Date(slot.end).toISOString(), personKey(n.call.organizerId), callAttendeeIds(n), n.subject, n.markdown]);
  }
  if (n.medium === 'doc') return hashKey('doc', [n.workflowId, n.subject, n.markdown]);
  return undefined;
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

  /** The channel a recorded delivery named: a retry must ask the provider that may have it. */
  function recordedChannel(delivery: DeliveryRecord, preferred: DeliveryChannel): DeliveryChannel {
    const channel = channels.byName?.(delivery.channelName) ?? (preferred.name === delivery.channelName ? preferred : undefined);
    if (channel) return channel;
    // without it there is no way to tell whether the first attempt went out: sending elsewhere could send twice
    throw ApplicationFailure.create({
      type: DeliveryFailureType.Rejected,
      message: `delivery ${delivery.idempotencyKey} was started through "${delivery.channelName}", which is no longer configured: cannot tell whether it was sent`,
      nonRetryable: true,
    });
  }

  /** Steps 1–3 above for one request, recorded under `entry.key`; `entry.carried` are the notifications it confirms. */
  async function exactlyOnce(entry: { key: string; kind: DeliveryKind; personId: string; carried: string[] }, request: DeliveryRequest): Promise<DeliveryOutcome> {
    const preferred = channels.forMedium(request.medium, request.recipient);
    const start = await notifications.beginDelivery({
      idempotencyKey: entry.key,
      kind: entry.kind,
      personId: entry.personId,
      medium: request.medium,
      channelName: preferred.name,
      notificationIds: entry.carried,
      at: deps.now(),
    });
    const { delivery } = start;
    const ids = delivery.notificationIds;
    if (start.state === 'sent') return { deliveryKey: entry.key, ref: delivery.providerRef ?? '', alreadySent: true, notificationIds: ids, channelName: delivery.channelName };
    const channel = start.state === 'new' ? preferred : recordedChannel(delivery, preferred);
    const receipt = await withHeartbeats(async () => {
      if (start.state === 'sending') {
        const found = await channel.findSent(request);
        if (found) return { ...found, alreadySent: true };
      }
      return channel.send(request);
    });
    const confirmed = await notifications.confirmDelivery(entry.key, receipt, deps.now());
    return { deliveryKey: entry.key, ref: confirmed.providerRef ?? receipt.ref, alreadySent: receipt.alreadySent === true, notificationIds: ids, channelName: confirmed.channelName };
  }

  /**
   * A notification carried by a shared send (a call invite, a decision record): its own delivery is recorded first,
   * then the shared send goes out exactly once under its own key (carrying no notification of its own), then the
   * notification is confirmed with the shared send's reference.
   */
  async function throughSharedSend(n: NotificationRecord, request: DeliveryRequest, sharedKey: string): Promise<DeliveryOutcome> {
    const preferred = channels.forMedium(request.medium, request.recipient);
    const mine = await notifications.beginDelivery({
      idempotencyKey: n.idempotencyKey,
      kind: 'notification',
      personId: request.recipient.personId,
      medium: request.medium,
      channelName: preferred.name,
      notificationIds: [n.id],
      at: deps.now(),
    });
    if (mine.state === 'sent') {
      return { deliveryKey: n.idempotencyKey, ref: mine.delivery.providerRef ?? '', alreadySent: true, notificationIds: mine.delivery.notificationIds, channelName: mine.delivery.channelName };
    }
    const owner = request.medium === 'call' && request.call ? request.call.organizer.personId : request.recipient.personId;
    const shared = await exactlyOnce({ key: sharedKey, kind: 'notification', personId: owner, carried: [] }, { ...request, idempotencyKey: sharedKey });
    const confirmed = await notifications.confirmDelivery(n.idempotencyKey, { ref: shared.ref, alreadySent: shared.alreadySent }, deps.now());
    return { deliveryKey: n.idempotencyKey, ref: confirmed.providerRef ?? shared.ref, alreadySent: shared.alreadySent, notificationIds: confirmed.notificationIds, channelName: shared.channelName };
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
        const [organizer, ...attendees] = await Promise.all([address(n.call.organizerId), ...callAttendeeIds(n).map(address)]);
        request.call = { slot: n.call.slot, organizer: organizer!, attendees };
      }
      const sharedKey = sharedSendKey(n);
      if (sharedKey) return throughSharedSend(n, request, sharedKey);
      return exactlyOnce({ key: n.idempotencyKey, kind: 'notification', personId: request.recipient.personId, carried: [n.id] }, request);
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
      if (items.length === 0) return { deliveryKey: digestKey, ref: '', alreadySent: false, notificationIds: [], channelName: '' };
      const recipient = await address(items[0]!.recipientId);
      const request: DeliveryRequest = {
        idempotencyKey: digestKey,
        medium: personAgentConfig.digestMedium,
        recipient,
        subject: `Your digest: ${items.length} item${items.length === 1 ? '' : 's'}`,
        markdown: digestMarkdown(recipient.name, items),
      };
      return exactlyOnce({ key: digestKey, kind: 'digest', personId: recipient.personId, carried: items.map((n) => n.id) }, request);
    },
  };
}

export type NotifyDeliveryActivities = ReturnType<typeof createNotifyDeliveryActivities>;
