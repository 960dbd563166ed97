/**
 * Routing, mediums and notifications: the types `resolveStakeholders`, the medium policy, the person agents,
 * `notifyStakeholders` and the delivery adapters exchange. Pure zod; imported by workflows (types only) and
 * activities alike.
 */
import { z } from 'zod';
import { PersonId } from './entities';

export const StakeholderRole = z.enum(['decide', 'consult', 'inform']);
export type StakeholderRole = z.infer<typeof StakeholderRole>;

/** What a notification is about. `text` is free text (a question, an announcement); the rest name a stored artifact. */
export const RoutingSubjectKind = z.enum(['decision', 'action', 'question', 'brief', 'text']);
export type RoutingSubjectKind = z.infer<typeof RoutingSubjectKind>;

export const RoutingSubject = z.object({
  kind: RoutingSubjectKind,
  /** the decision / action / question / meeting id; absent for free text */
  id: z.string().optional(),
  title: z.string().default(''),
  text: z.string(),
  /** who is asking (the sender of a message, the owner of a decision): never selected as a recipient */
  askerId: PersonId,
  occurredAt: z.coerce.date(),
  /** the conversation the subject belongs to, if any (email thread, Slack thread) */
  threadId: z.string().optional(),
  /** the items the subject was taken from: their access lists decide who may be sent its content */
  sourceItemIds: z.array(z.string()).default([]),
  /** who may see the sources; empty = everyone the asker can share with (free text the asker wrote) */
  access: z.array(PersonId).default([]),
  /** people the subject itself names (owner, decider, assignee, mentioned) */
  named: z.array(z.object({ personId: PersonId, as: z.enum(['owner', 'decider', 'assignee', 'asked', 'mentioned']) })).default([]),
});
export type RoutingSubject = z.infer<typeof RoutingSubject>;

export const Stakeholder = z.object({
  personId: PersonId,
  name: z.string(),
  role: StakeholderRole,
  /** relative strength of the evidence, 0..1 (1 = the strongest candidate of this plan) */
  score: z.number(),
  /** sentences a person can read, strongest first: "owns the follow-up of decision D-12" */
  reasons: z.array(z.string()).min(1),
  /** false when the person should know but may not see the sources: they get no content, the plan says so */
  maySeeSource: z.boolean(),
  /** when maySeeSource is false: who could share it with them ("ask Alice to share") */
  shareVia: z.array(PersonId).default([]),
});
export type Stakeholder = z.infer<typeof Stakeholder>;

export const Medium = z.enum(['digest', 'doc', 'chat_dm', 'chat_channel', 'email', 'call']);
export type Medium = z.infer<typeof Medium>;
/** the design's three channels */
export const Channel = z.enum(['slow', 'fast', 'fastest']);
export type Channel = z.infer<typeof Channel>;
export const CHANNEL_OF: Record<Medium, Channel> = {
  digest: 'slow',
  doc: 'slow',
  chat_dm: 'fast',
  chat_channel: 'fast',
  email: 'fast',
  call: 'fastest',
};

export const MessageKind = z.enum(['fyi', 'decision_needed', 'question', 'blocker', 'decision_record']);
export type MessageKind = z.infer<typeof MessageKind>;
export const Urgency = z.enum(['low', 'normal', 'high', 'critical']);
export type Urgency = z.infer<typeof Urgency>;

export const Interval = z.object({ start: z.coerce.date(), end: z.coerce.date() });
export type Interval = z.infer<typeof Interval>;

export const MediumChoice = z.object({
  medium: Medium,
  channel: Channel,
  /** one sentence */
  reason: z.string(),
  /** for `call`: the first slot free for every participant inside all their working hours */
  slot: Interval.optional(),
  /** when the delivery should happen: now, or at the recipient's next digest / working-hours start */
  deliverAt: z.coerce.date().optional(),
});
export type MediumChoice = z.infer<typeof MediumChoice>;

export const PlannedRecipient = z.object({
  stakeholder: Stakeholder,
  medium: MediumChoice,
});
export type PlannedRecipient = z.infer<typeof PlannedRecipient>;

export const NotificationPlan = z.object({
  topicKey: z.string(),
  subject: RoutingSubject,
  kind: MessageKind,
  urgency: Urgency,
  recipients: z.array(PlannedRecipient),
  /** people who should know but get no content (cannot see the source), with what to do about it */
  withheld: z.array(z.object({ stakeholder: Stakeholder, note: z.string() })),
  /** the meeting-level advice, when the subject is a meeting brief */
  notes: z.array(z.string()).default([]),
});
export type NotificationPlan = z.infer<typeof NotificationPlan>;
