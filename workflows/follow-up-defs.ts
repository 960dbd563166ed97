/**
 * The contract of followUpUnresolvedDecision (workflows/follow-up.ts): input, state, signals, query, the resolve
 * update, and the artifact ids its steps are delivered under. Imports nothing but @temporalio/workflow (and types),
 * so activities and clients can signal, query and resolve a follow-up without loading the workflow.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SubjectKind } from '../schemas/memory';
import type { CadenceBase, CadenceStep } from './cadence';

export type { SubjectKind } from '../schemas/memory';

/** the workflow type name: clients start it by name, never by importing the implementation */
export const FOLLOW_UP_WORKFLOW_TYPE = 'followUpUnresolvedDecision';

export interface FollowUpInput {
  kind: SubjectKind;
  /** the decision's or action item's id */
  id: string;
  /** state carried over by continue-as-new; absent on a first run */
  carried?: FollowUpCarry;
  /** continue-as-new bound (history events); default temporalConfig.followUp.maxHistoryEvents */
  maxHistoryEvents?: number;
  /**
   * false: set no search attributes (MyceliumDecisionId, MyceliumPersonIds). Only for a server that cannot register
   * them: the time-skipping test server has no operator service.
   */
  searchAttributes?: boolean;
}

/** A step of the cadence done in this cycle: a message sent, or skipped because nobody in the opt-in could get it. */
export interface StepRecord {
  step: CadenceStep;
  cycle: number;
  /** the outbox artifact; null when the step was skipped */
  artifactId: string | null;
  recipients: string[];
  dueAt: string;
  sentAt: string;
  note?: string;
}

export interface FollowUpCarry {
  /** 1, then +1 per reassignment (message artifacts are numbered by it) */
  cycle: number;
  cadence: CadenceBase;
  snoozedUntil?: string;
  /** the steps done in the current cycle */
  done: StepRecord[];
  totals: { nudges: number; escalations: number; summaries: number };
  /** runs so far, this one included */
  runs: number;
}

export interface Evidence {
  itemId: string;
  position: number;
}

export const DECISION_RESOLUTIONS = ['done', 'rejected', 'superseded'] as const;
export const ACTION_RESOLUTIONS = ['done', 'dropped'] as const;

export interface ResolveRequest {
  /** the subject's id: a request addressed to another subject is refused */
  id: string;
  /** decision: done | rejected | superseded; action item: done | dropped */
  status: string;
  reason?: string;
}

export type FollowUpPhase = 'loading' | 'waiting' | 'sending' | 'closing' | 'closed';
export type FollowUpOutcome = 'done' | 'resolved' | 'stale' | 'missing' | 'already-closed';

export interface FollowUpState {
  kind: SubjectKind;
  id: string;
  workflowId: string;
  phase: FollowUpPhase;
  ownerId: string | null;
  deciderId: string | null;
  /** in the opt-in: may be messaged */
  ownerReachable: boolean;
  deciderReachable: boolean;
  /** whose working time the cadence counts in */
  timezone: string;
  cycle: number;
  next?: { step: CadenceStep; dueAt: string };
  snoozedUntil?: string;
  /** steps done in the current cycle */
  done: StepRecord[];
  totals: FollowUpCarry['totals'];
  runs: number;
  evidence?: Evidence;
  resolution?: { status: string; reason?: string };
  outcome?: FollowUpOutcome;
}

export interface FollowUpResult {
  kind: SubjectKind;
  id: string;
  outcome: FollowUpOutcome;
  cycle: number;
  done: StepRecord[];
  totals: FollowUpCarry['totals'];
}

/** Evidence of completion (an item and segment that shows it was done): closes the follow-up as done. */
export const addEvidenceSignal = defineSignal<[Evidence]>('addEvidence');
/** no messages before this ISO time: the pending step moves to the first working moment at or after it */
export const snoozeSignal = defineSignal<[string]>('snooze');
/** someone else owns it now: the store is updated and the cadence starts over for the new owner */
export const reassignSignal = defineSignal<[string]>('reassign');
export const statusQuery = defineQuery<FollowUpState>('status');
/** closes it with the given status; validated before it enters history; returns the state once closed */
export const resolveUpdate = defineUpdate<FollowUpState, [ResolveRequest]>('resolve');

/** the workflow's signature, for typed starts by name */
export type FollowUpUnresolvedDecision = (input: FollowUpInput) => Promise<FollowUpResult>;

// ---- artifact ids (pure; the activities use them too)

/**
 * The outbox artifact of a step: `followup_<dec|act>_<id>_<step>_<cycle>`. Deterministic, so a retried activity or a
 * continued run writes the same artifact; ids with characters a file name cannot hold are made safe, with a hash of
 * the original so that two ids never meet.
 */
export function followUpArtifactId(kind: SubjectKind, id: string, step: CadenceStep, cycle: number): string {
  return `followup_${kind === 'decision' ? 'dec' : 'act'}_${safeIdPart(id)}_${step}_${cycle}`;
}

function safeIdPart(id: string): string {
  if (/^[\w.-]{1,80}$/.test(id)) return id;
  const readable = id.replace(/[^\w.-]+/g, '-').slice(0, 60);
  return `${readable}-${fnv1a(id, 0x811c9dc5)}${fnv1a(id, 0x01000193)}`;
}

function fnv1a(text: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
