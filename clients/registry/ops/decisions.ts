/**
 * One decision (or action item) and its follow-up: show it with its sources and the follow-up workflow's state,
 * resolve it, snooze it, hand it to someone else. The follow-up workflow (`decision:<id>`,
 * `decision:action:<id>`) is the one place these take effect; the store follows from it. Only someone who may
 * see a decision may act on it: for anyone else it does not exist.
 */
import { z } from 'zod';
import { DecisionSourceOut } from '../../../schemas/api';
import { PersonId } from '../../../schemas/entities';
import type { Stack } from '../../runtime';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import { defineOperation } from '../operation';
import { As } from './fields';

const When = z.coerce.date();
const Who = z.object({ id: z.string(), name: z.string() }).nullable();

export const RESOLUTIONS = {
  decision: ['done', 'rejected', 'superseded'],
  action: ['done', 'dropped'],
} as const;

const FollowUpOut = z.object({
  workflowId: z.string(),
  runId: z.string(),
  /** the Temporal execution status: RUNNING, COMPLETED, TERMINATED, … */
  status: z.string(),
  /** running and not closing: resolve, snooze and reassign reach it */
  open: z.boolean(),
  phase: z.string().optional(),
  outcome: z.string().optional(),
  ownerId: z.string().nullable().optional(),
  next: z.object({ step: z.string(), dueAt: When }).optional(),
  snoozedUntil: When.optional(),
  cycle: z.number().int().optional(),
  resolution: z.object({ status: z.string(), reason: z.string().optional() }).optional(),
  uiLink: z.string().optional(),
});

export const DecisionDetailOut = z.object({
  kind: z.enum(['decision', 'action']),
  id: z.string(),
  /** a decision's statement, an action item's "what" */
  statement: z.string(),
  rationale: z.string().optional(),
  status: z.string(),
  open: z.boolean(),
  topic: z.string().optional(),
  /** when it was decided (an action item: when it was agreed) */
  decidedAt: When,
  dueAt: When.optional(),
  decider: Who,
  owner: Who,
  /** an action item's decision */
  decisionId: z.string().optional(),
  supersedesId: z.string().optional(),
  supersededById: z.string().optional(),
  sources: z.array(DecisionSourceOut),
  /** evidence of completion found in later items */
  followUps: z.array(DecisionSourceOut),
  /** the follow-up workflow; null when none was ever started */
  followUp: FollowUpOut.nullable(),
  /** what an operation that acted on it did */
  message: z.string().optional(),
});
type DecisionDetail = z.input<typeof DecisionDetailOut>;

const Ref = z.object({
  id: z.string().trim().min(1, 'name the decision (its id, as `myc decisions` lists it)'),
  as: As,
});

type Kind = 'decision' | 'action';
interface Source {
  itemId: string;
  position: number;
  quote: string;
  authorId?: string | null;
}
interface Subject {
  kind: Kind;
  id: string;
  statement: string;
  rationale?: string;
  status: string;
  open: boolean;
  topic?: string;
  decidedAt: Date;
  dueAt?: Date;
  deciderId: string | null;
  ownerId: string | null;
  decisionId?: string;
  supersedesId?: string;
  supersededById?: string;
  sources: Source[];
  followUps: Source[];
}

/** The decision or action item as `as` may see it; an invisible one is as unknown as a missing one. */
async function visibleSubject(stack: Stack, id: string, as: string, verb: string): Promise<Subject> {
  const visibleTo = [as];
  const decision = await stack.decisions.getDecision(id, { visibleTo });
  if (decision) {
    return {
      kind: 'decision',
      id: decision.id,
      statement: decision.statement,
      ...(decision.rationale ? { rationale: decision.rationale } : {}),
      status: decision.status,
      open: decision.open,
      topic: decision.topic,
      decidedAt: decision.decidedAt,
      deciderId: decision.deciderId,
      ownerId: decision.ownerId,
      ...(decision.supersedesId ? { supersedesId: decision.supersedesId } : {}),
      ...(decision.supersededById ? { supersededById: decision.supersededById } : {}),
      sources: decision.sources,
      followUps: decision.followUps,
    };
  }
  const action = await stack.decisions.getAction(id, { visibleTo });
  if (action) {
    return {
      kind: 'action',
      id: action.id,
      statement: action.what,
      status: action.status,
      open: action.open,
      decidedAt: action.createdAt,
      ...(action.dueAt ? { dueAt: action.dueAt } : {}),
      deciderId: null,
      ownerId: action.ownerId,
      ...(action.decisionId ? { decisionId: action.decisionId } : {}),
      sources: action.sources,
      followUps: action.followUps,
    };
  }
  throw new NotFoundError(`${verb}: no decision "${id}" (list them with \`myc decisions\`)`);
}

async function followUpOf(stack: Stack, subject: Pick<Subject, 'kind' | 'id'>): Promise<z.input<typeof FollowUpOut> | null> {
  const [{ followUpWorkflowId }, { statusQuery }, { WorkflowNotFoundError }] = await Promise.all([
    import('../../../workflows/ids'),
    import('../../../workflows/follow-up-defs'),
    import('@temporalio/client'),
  ]);
  const workflowId = followUpWorkflowId(subject.kind, subject.id);
  const handle = stack.client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  const runId = description.runId;
  const status = description.status.name;
  const base = { workflowId, runId, status, uiLink: stack.uiLink(workflowId, runId) };
  if (status !== 'RUNNING') return { ...base, open: false };
  const state = await handle.query(statusQuery);
  return {
    ...base,
    open: state.phase !== 'closing' && state.phase !== 'closed',
    phase: state.phase,
    ...(state.outcome ? { outcome: state.outcome } : {}),
    ownerId: state.ownerId,
    ...(state.next ? { next: state.next } : {}),
    ...(state.snoozedUntil ? { snoozedUntil: state.snoozedUntil } : {}),
    cycle: state.cycle,
    ...(state.resolution ? { resolution: state.resolution } : {}),
  };
}

async function detailOf(stack: Stack, subject: Subject): Promise<DecisionDetail> {
  const sources = [...subject.sources, ...subject.followUps];
  const items = new Map((await stack.store.getItems([...new Set(sources.map((s) => s.itemId))])).map((i) => [i.id, i]));
  const mentioned = [subject.deciderId, subject.ownerId, ...sources.map((s) => s.authorId ?? null)];
  for (const item of items.values()) mentioned.push(item.authorId, ...item.segments.map((s) => s.speakerId ?? null));
  const people = new Map((await stack.store.peopleByIds([...new Set(mentioned.filter((p): p is string => !!p))])).map((p) => [p.id, p]));
  const { OUTSIDE_OPT_IN } = await import('../../../schemas/entities');
  const nameOf = (id: string | null | undefined): string | null => {
    if (!id) return null;
    const p = people.get(id);
    return p?.optedIn ? p.name : OUTSIDE_OPT_IN;
  };
  const who = (id: string | null): { id: string; name: string } | null => (id ? { id, name: nameOf(id) ?? id } : null);
  const source = (s: Source): z.input<typeof DecisionSourceOut> => {
    const item = items.get(s.itemId);
    const segment = item?.segments.find((x) => x.position === s.position);
    const locator =
      item && item.kind === 'transcript' && segment?.startMs !== undefined ? `${item.locator.replace(/#t=[\d.]+$/, '')}#t=${segment.startMs / 1000}` : (item?.locator ?? null);
    return {
      itemId: s.itemId,
      position: s.position,
      kind: item?.kind ?? null,
      locator,
      author: nameOf(s.authorId ?? segment?.speakerId ?? item?.authorId ?? null),
      occurredAt: item ? new Date(item.occurredAt.getTime() + (segment?.startMs ?? 0)) : null,
      quote: s.quote,
    };
  };
  return {
    kind: subject.kind,
    id: subject.id,
    statement: subject.statement,
    ...(subject.rationale ? { rationale: subject.rationale } : {}),
    status: subject.status,
    open: subject.open,
    ...(subject.topic ? { topic: subject.topic } : {}),
    decidedAt: subject.decidedAt,
    ...(subject.dueAt ? { dueAt: subject.dueAt } : {}),
    decider: who(subject.deciderId),
    owner: who(subject.ownerId),
    ...(subject.decisionId ? { decisionId: subject.decisionId } : {}),
    ...(subject.supersedesId ? { supersedesId: subject.supersedesId } : {}),
    ...(subject.supersededById ? { supersededById: subject.supersededById } : {}),
    sources: subject.sources.map(source),
    followUps: subject.followUps.map(source),
    followUp: await followUpOf(stack, subject),
  };
}

/** The subject and its follow-up workflow, which must be open to be acted on. */
async function openFollowUp(stack: Stack, id: string, as: string, verb: string) {
  const subject = await visibleSubject(stack, id, as, verb);
  const followUp = await followUpOf(stack, subject);
  if (!followUp?.open) {
    const why = followUp ? ` (its follow-up ${followUp.workflowId} is ${followUp.phase === 'closed' || followUp.status !== 'RUNNING' ? 'closed' : 'closing'})` : '';
    throw new ConflictError(`${verb}: ${subject.kind} ${subject.id} has no open follow-up${why}`);
  }
  return { subject, handle: stack.client.workflow.getHandle(followUp.workflowId) };
}

/** A signal or update that the follow-up could not take (it closed meanwhile, or refused it). */
async function reachFollowUp<T>(verb: string, subject: Subject, act: () => Promise<T>): Promise<T> {
  const { WorkflowNotFoundError, WorkflowUpdateFailedError } = await import('@temporalio/client');
  try {
    return await act();
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      throw new ConflictError(`${verb}: the follow-up of ${subject.kind} ${subject.id} refused it: ${cause}`);
    }
    if (error instanceof WorkflowNotFoundError) throw new ConflictError(`${verb}: ${subject.kind} ${subject.id} has no open follow-up (it closed meanwhile)`);
    throw error;
  }
}

export const decisionsShowOperation = defineOperation({
  name: 'decisions_show',
  description: 'One decision or action item as the asking person may see it: sources, evidence of completion, and its follow-up workflow (state and Temporal UI link).',
  scope: 'read',
  actsAs: true,
  http: { method: 'GET', path: '/v1/decisions/:id' },
  resource: { uriTemplate: 'mycelium://decisions/{id}', name: 'decision', description: 'A decision or action item with its sources and follow-up state' },
  input: Ref,
  output: DecisionDetailOut,
  async handler(context, input) {
    const stack = await context.stack();
    return detailOf(stack, await visibleSubject(stack, input.id, input.as!, 'decisions_show'));
  },
});

export const decisionsResolveOperation = defineOperation({
  name: 'decisions_resolve',
  description: 'Close a decision (done, rejected, superseded) or an action item (done, dropped) through its follow-up workflow, with an optional reason.',
  scope: 'write',
  actsAs: true,
  http: { method: 'POST', path: '/v1/decisions/:id/resolve' },
  input: Ref.extend({
    resolution: z.enum(['done', 'rejected', 'superseded', 'dropped']).describe('decision: done, rejected or superseded; action item: done or dropped'),
    reason: z.string().trim().min(1).max(1000).optional(),
  }),
  output: DecisionDetailOut,
  async handler(context, input) {
    const stack = await context.stack();
    const subject = await visibleSubject(stack, input.id, input.as!, 'decisions_resolve');
    const allowed: readonly string[] = RESOLUTIONS[subject.kind];
    if (!allowed.includes(input.resolution)) {
      throw new InvalidInputError(`decisions_resolve: a${subject.kind === 'action' ? 'n action item' : ' decision'} is resolved as ${allowed.join(', ')}; not "${input.resolution}"`, {
        issues: [{ field: 'resolution', message: `one of ${allowed.join(', ')} for a${subject.kind === 'action' ? 'n action item' : ' decision'}` }],
      });
    }
    const { handle } = await openFollowUp(stack, subject.id, input.as!, 'decisions_resolve');
    const { resolveUpdate } = await import('../../../workflows/follow-up-defs');
    await reachFollowUp('decisions_resolve', subject, () =>
      handle.executeUpdate(resolveUpdate, { args: [{ id: subject.id, status: input.resolution, ...(input.reason ? { reason: input.reason } : {}) }] }),
    );
    const detail = await detailOf(stack, await visibleSubject(stack, subject.id, input.as!, 'decisions_resolve'));
    return { ...detail, message: `${subject.kind} ${subject.id} resolved as ${input.resolution}; its follow-up is closed` };
  },
});

export const decisionsSnoozeOperation = defineOperation({
  name: 'decisions_snooze',
  description: "Postpone a decision's follow-up: no nudge or escalation before the given time.",
  scope: 'write',
  actsAs: true,
  http: { method: 'POST', path: '/v1/decisions/:id/snooze' },
  input: Ref.extend({
    until: z.coerce.date({ message: 'a date (ISO 8601)' }).describe('no follow-up message before this time'),
  }),
  output: DecisionDetailOut,
  async handler(context, input) {
    if (input.until.getTime() <= Date.now()) {
      throw new InvalidInputError('decisions_snooze: until must be in the future', { issues: [{ field: 'until', message: 'must be in the future' }] });
    }
    const stack = await context.stack();
    const { subject, handle } = await openFollowUp(stack, input.id, input.as!, 'decisions_snooze');
    const { snoozeSignal } = await import('../../../workflows/follow-up-defs');
    const until = input.until.toISOString();
    await reachFollowUp('decisions_snooze', subject, () => handle.signal(snoozeSignal, until));
    return { ...(await detailOf(stack, subject)), message: `${subject.kind} ${subject.id}: no follow-up before ${until}` };
  },
});

export const decisionsReassignOperation = defineOperation({
  name: 'decisions_reassign',
  description: 'Hand a decision or action item to someone else: they own it now, and its follow-up starts over for them.',
  scope: 'write',
  actsAs: true,
  http: { method: 'POST', path: '/v1/decisions/:id/reassign' },
  input: Ref.extend({ to: PersonId.describe('the new owner (their email)') }),
  output: DecisionDetailOut,
  async handler(context, input) {
    const stack = await context.stack();
    const subject = await visibleSubject(stack, input.id, input.as!, 'decisions_reassign');
    const person = await stack.store.getPerson(input.to);
    if (!person) {
      throw new InvalidInputError(`decisions_reassign: ${input.to} is not in the directory (add them with \`myc people add ${input.to}\`)`, {
        issues: [{ field: 'to', message: 'not in the directory' }],
      });
    }
    const { handle } = await openFollowUp(stack, subject.id, input.as!, 'decisions_reassign');
    const { reassignSignal } = await import('../../../workflows/follow-up-defs');
    await reachFollowUp('decisions_reassign', subject, () => handle.signal(reassignSignal, person.id));
    const note = person.optedIn ? '' : ` (${person.id} is not opted in, so the follow-up messages the decider instead)`;
    return { ...(await detailOf(stack, subject)), message: `${subject.kind} ${subject.id} is ${person.id}'s now; its follow-up starts over${note}` };
  },
});
