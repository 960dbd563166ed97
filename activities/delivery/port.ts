/**
 * The write side's one port. Every adapter (outbox, Slack, Gmail, Graph mail, calendar invites, decision-record
 * docs) implements it, so `deliverNotification` never knows which provider it talks to.
 *
 * Exactly once: the caller records the delivery (unique idempotency key) before calling `send`, and confirms it after.
 * A retry that finds a delivery recorded but never confirmed calls `findSent` first: every adapter can tell from the
 * provider whether a message with that key already went out (a deterministic Message-ID, event id, transactionId,
 * Slack message metadata, a file name), so a crash between send and confirm never sends twice.
 */
import type { Interval, Medium } from '../../schemas/routing';

export interface DeliveryAddress {
  personId: string;
  name: string;
  email: string;
  /** Slack user id, when the directory knows it (identities provider "slack") */
  slackUserId?: string;
  timezone: string;
}

export interface DeliveryRequest {
  /** unique per (workflow, recipient, content); ascii [A-Za-z0-9_-], ≤ 64 chars */
  idempotencyKey: string;
  medium: Medium;
  recipient: DeliveryAddress;
  subject: string;
  markdown: string;
  /** for chat_channel: the channel to post in */
  channel?: string;
  /** for call: the slot and everyone invited */
  call?: { slot: Interval; attendees: DeliveryAddress[]; organizer: DeliveryAddress };
}

export interface DeliveryReceipt {
  /** where it went: "slack:D123/1700000000.000100", "gmail:<id>", "outbox:/path", "gcal:<eventId>" */
  ref: string;
  /** true when findSent found an earlier send instead of sending now */
  alreadySent?: boolean;
}

export interface DeliveryChannel {
  /** e.g. "slack", "gmail", "graph-mail", "google-calendar", "graph-calendar", "doc", "outbox" */
  readonly name: string;
  readonly mediums: readonly Medium[];
  send(request: DeliveryRequest): Promise<DeliveryReceipt>;
  /** the receipt of an earlier send with this key, if the provider has one */
  findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined>;
}

/** Free/busy for the call slot finder: the busy intervals of each person between from and to. */
export interface FreeBusySource {
  readonly name: string;
  busy(personIds: string[], from: Date, to: Date): Promise<Map<string, Interval[]>>;
}
