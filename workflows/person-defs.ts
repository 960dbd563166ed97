/**
 * The contract of a person's agent (`person:<personId>`, workflows/person.ts): input, state, signals, query, the
 * flushDigest update, and the digest's idempotency key. Imports nothing but @temporalio/workflow (and types), so
 * activities and clients reach an agent without loading it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Channel, Medium, Urgency } from '../schemas/routing';
import type { AttentionSettings } from './attention';

export const PERSON_WORKFLOW_TYPE = 'personAgent';

/** A planned notification (NotificationStore.recordPlanned) for this person: when and how to deliver it. */
export interface Notice {
  notificationId: string;
  urgency: Urgency;
  medium: Medium;
  channel: Channel;
  /** not before this ISO instant */
  deliverAt?: string;
}

export interface QueuedNotice extends Notice {
  /** ISO instant the agent took it */
  receivedAt: string;
  /** digest: waits for the next digest; held: goes out on its own at `until` */
  placement: 'digest' | 'held';
  until?: string;
  reason: string;
}

export interface DeliveredNotice {
  notificationId: string;
  /** the notification's own delivery, or the digest's */
  via: 'direct' | 'digest';
  deliveryKey: string;
  at: string;
}

export interface Answer {
  notificationId: string;
  medium: Medium;
  /** ISO instant */
  at: string;
}

export interface PersonCarry {
  queue: QueuedNotice[];
  inbox: Notice[];
  settings?: AttentionSettings;
  /** interruptions used on the person's local day `date` ("YYYY-MM-DD") */
  budget: { date: string; used: number };
  /** digests sent on the person's local day `date`: numbers the next digest's key */
  digests: { date: string; count: number };
  /** ISO instant the waiting digest goes out */
  digestDueAt?: string;
  answers: Answer[];
  delivered: DeliveredNotice[];
  runs: number;
}

export interface PersonInput {
  personId: string;
  carried?: PersonCarry;
  /** continue-as-new bound (history events); default personAgentConfig.maxHistoryEvents */
  maxHistoryEvents?: number;
}

export interface PersonState {
  personId: string;
  workflowId: string;
  settings?: AttentionSettings;
  queue: QueuedNotice[];
  /** notices taken but not placed yet (the agent is busy sending) */
  arriving: Notice[];
  /** interruptions left today (the person's local day) */
  budgetLeft: number | null;
  /** when the next digest goes out (ISO), when something waits for it */
  nextDigestAt?: string;
  /** answers per medium, from the kept history */
  answersByMedium: Partial<Record<Medium, number>>;
  recentlyDelivered: DeliveredNotice[];
  runs: number;
}

export interface FlushResult {
  digestKey?: string;
  notificationIds: string[];
}

/** a notification for this person: deliver now, hold, or queue it for the digest */
export const notifySignal = defineSignal<[Notice]>('notify');
/** the person's settings changed in the store: reload them */
export const settingsChangedSignal = defineSignal<[]>('settingsChanged');
/** the person answered a notification, through a medium */
export const respondedSignal = defineSignal<[Answer]>('responded');
export const stateQuery = defineQuery<PersonState>('state');
/** sends the digest now with whatever waits for it (ops, tests) */
export const flushDigestUpdate = defineUpdate<FlushResult, []>('flushDigest');

export type PersonAgent = (input: PersonInput) => Promise<void>;

/**
 * The idempotency key of a person's n-th digest (n ≥ 1) on their local date: `dg-<16 hex of the person id>-<YYYYMMDD>-<n>`.
 * ascii, at most 64 characters; the same person, day and number is the same digest, whoever retries it.
 */
export function digestKey(personId: string, localDate: string, n: number): string {
  const id = personId.trim().toLowerCase();
  return `dg-${fnv1a(id, 0x811c9dc5)}${fnv1a(id, 0x01000193)}-${localDate.replace(/-/g, '')}-${n}`;
}

function fnv1a(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
