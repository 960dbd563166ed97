/**
 * The contract of notifyStakeholders (`notify:<topicKey>`, workflows/notify.ts): what it is asked to tell, the plan it
 * makes and what it returns. Imports nothing but @temporalio/workflow (and types), so the activities that start it
 * (decisions, follow-ups, briefs) and the clients never load the workflow itself.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Channel, Medium, MessageKind, StakeholderRole, Urgency } from '../schemas/routing';

export const NOTIFY_WORKFLOW_TYPE = 'notifyStakeholders';

/** A decision worth announcing: a new one, or one a later decision replaced. */
export interface DecisionChange {
  id: string;
  change: 'new' | 'superseded';
}

/** What a notification is about; the topic key names one telling of it. */
export type NotifyAbout =
  /** a decision recorded (`new`) or replaced by a later one (`superseded`); `asked` = someone asked to tell it */
  | { kind: 'decision'; id: string; change: 'new' | 'superseded' | 'asked' }
  /** free text someone wants the right people to hear */
  | { kind: 'text'; text: string; title?: string; urgency?: Urgency; threadId?: string }
  /** a meeting's brief: every attendee gets their own, with only what they may see */
  | { kind: 'brief'; briefId: string }
  /** a follow-up step (nudge, escalation, stale close) for the people the cadence chose */
  | {
      kind: 'follow-up';
      subjectKind: 'decision' | 'action';
      subjectId: string;
      step: 'nudge' | 'escalate' | 'stale';
      artifactId: string;
      title: string;
      markdown: string;
      recipients: { personId: string; reason: string }[];
      sourceItemIds: string[];
    };

export interface NotifyInput {
  topicKey: string;
  about: NotifyAbout;
  /** who asks (a person id); default: the subject's own (the decider, the organizer) */
  askerId?: string;
  /** false: set no search attributes (the time-skipping test server cannot register them) */
  searchAttributes?: boolean;
}

/** One recipient's message, as planned: role, medium and their reasons, and the content they may see. */
export interface PlannedMessage {
  personId: string;
  name: string;
  role: StakeholderRole;
  roleReasons: string[];
  /** relative strength of the routing evidence, 0..1 */
  score: number;
  medium: Medium;
  channel: Channel;
  mediumReason: string;
  /** ISO instant: not before */
  deliverAt?: string;
  subject: string;
  markdown: string;
  sourceItemIds: string[];
  /** for a call: the slot (ISO instants) and who is invited */
  call?: { start: string; end: string; attendeeIds: string[]; organizerId: string };
}

export interface NotifyPlan {
  topicKey: string;
  subjectKind: NotifyAbout['kind'];
  subjectId?: string;
  title: string;
  kind: MessageKind;
  urgency: Urgency;
  askerId: string;
  recipients: PlannedMessage[];
  /** should know, but may not see the source: they get no content, and the plan says who could share it */
  withheld: { personId: string; name: string; note: string }[];
  /** about the meeting itself (could be a thread, over- or under-included), for a brief */
  notes: string[];
  /** people with some evidence before the opt-in, the bounds and the relative cut */
  considered: number;
}

export interface NotifyResult {
  topicKey: string;
  workflowId: string;
  runId: string;
  plan: NotifyPlan;
  /** per recipient, the stored notification handed to their agent */
  notifications: { personId: string; notificationId: string; created: boolean }[];
}

export type NotifyPhase = 'planning' | 'dispatching' | 'done';
export const notifyStatusQuery = defineQuery<{ phase: NotifyPhase; plan?: NotifyPlan }>('status');

export type NotifyStakeholders = (input: NotifyInput) => Promise<NotifyResult>;
