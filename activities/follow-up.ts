/**
 * Follow-up activities (workflow followUpUnresolvedDecision) and ensureFollowUp, the client-side way to make sure a
 * follow-up exists and to hand it evidence of completion (signal-with-start).
 *
 * Every activity is idempotent: state writes are upserts, and a message step is delivered under a deterministic
 * artifact id (the outbox skips an artifact it already holds with the same content) and recorded once by that id.
 * Times come from the workflow (its clock is the one the cadence runs on), never from this process's clock.
 */
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Person } from '../schemas/entities';
import { temporalConfig } from '../temporal.config';
import { isoWeekday, isValidTimeZone, localDateTime, type CadenceStep, type WorkingCalendar } from '../workflows/cadence';
import {
  addEvidenceSignal,
  FOLLOW_UP_WORKFLOW_TYPE,
  followUpArtifactId,
  type Evidence,
  type FollowUpOutcome,
  type FollowUpUnresolvedDecision,
  type StepRecord,
} from '../workflows/follow-up-defs';
import { followUpWorkflowId } from '../workflows/ids';
import { DecisionIdAttribute } from '../workflows/search-attributes';
import type { Outbox } from './delivery/outbox';
import type { FollowUpStatus, FollowUpStore, FollowUpSubjects, Subject, SubjectKind } from './memory/follow-ups';
import { startNotify } from './notify-requests';

/** What the follow-up activities need from the world. */
export interface FollowUpActivityDeps {
  /** decisions and action items (DecisionSubjects over the DecisionStore) */
  subjects: FollowUpSubjects;
  followUps: FollowUpStore;
  /** the directory: opt-in, timezone and working hours (MemoryStore) */
  people: { getPerson(id: string): Promise<Person | undefined>; peopleByIds(ids: string[]): Promise<Person[]> };
  outbox: Outbox;
  log: Logger;
  /** when given, each step also goes to its recipients' agents through notifyStakeholders (`notify:<artifactId>`) */
  notify?: { client: Client; taskQueue: string };
}

/** A person as the cadence sees them: may they be messaged, and when is their working time. */
export interface Contact {
  id: string;
  optedIn: boolean;
  calendar: WorkingCalendar;
}

export type OpenedFollowUp =
  | { found: false }
  | {
      found: true;
      /** the subject's own id: differs from the one asked for when that one was merged into it */
      id: string;
      open: boolean;
      /** evidence of completion the store already holds */
      evidence?: Evidence;
      status: string;
      ownerId: string | null;
      deciderId: string | null;
      /** ISO: when the cadence starts counting */
      anchorAt: string;
      /** null: no such person in the directory (or no owner) */
      owner: Contact | null;
      decider: Contact | null;
      /** what an earlier workflow run recorded for this subject */
      previous: { status: FollowUpStatus; cycle: number; done: StepRecord[] } | null;
    };

export interface SendStepInput {
  kind: SubjectKind;
  id: string;
  workflowId: string;
  step: CadenceStep;
  cycle: number;
  recipients: string[];
  /** ISO: when the step was due (workflow time) */
  dueAt: string;
  /** ISO: when it is sent (workflow time) */
  at: string;
  note?: string;
  /** the steps done before this one in the cycle (for the stale summary) */
  timeline: StepRecord[];
}

export interface SendStepResult {
  /** null: nothing sent (nobody left in the opt-in, or the subject is closed) */
  artifactId: string | null;
  recipients: string[];
  /** set when the subject was closed (its status) or removed ('missing') before the step went out */
  subjectClosed?: string;
  /** set when the store holds evidence of completion the workflow has not heard of: nothing was sent */
  evidence?: Evidence;
}

export interface SaveFollowUpInput {
  kind: SubjectKind;
  id: string;
  workflowId: string;
  ownerId: string | null;
  deciderId: string | null;
  cycle: number;
  nextStep: CadenceStep | null;
  nextDueAt: string | null;
  snoozedUntil: string | null;
  at: string;
}

export interface CloseFollowUpInput {
  kind: SubjectKind;
  id: string;
  workflowId: string;
  outcome: FollowUpOutcome;
  /** the subject's own new status, when closing changes it (resolve, evidence) */
  subjectStatus?: string;
  reason: string;
  at: string;
  ownerId: string | null;
  deciderId: string | null;
  cycle: number;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export function createFollowUpActivities(deps: FollowUpActivityDeps) {
  const defaultCalendar = temporalConfig.followUp.defaultCalendar;

  function calendarOf(person: Person): WorkingCalendar {
    const timezone = isValidTimeZone(person.timezone) ? person.timezone : defaultCalendar.timezone;
    const { start, end } = person.workingHours;
    const workingHours = HHMM.test(start) && HHMM.test(end) && start !== '24:00' ? { start, end } : { ...defaultCalendar.workingHours };
    if (timezone !== person.timezone || workingHours.start !== start || workingHours.end !== end) {
      deps.log.warn({ personId: person.id, timezone: person.timezone, workingHours: person.workingHours }, 'unusable working time; using the default');
    }
    return { timezone, workingHours };
  }

  async function contact(id: string | null): Promise<Contact | null> {
    if (!id) return null;
    const person = await deps.people.getPerson(id);
    return person ? { id: person.id, optedIn: person.optedIn, calendar: calendarOf(person) } : null;
  }

  function runId(): string {
    const run = Context.current().info.workflowExecution?.runId;
    if (!run) throw ApplicationFailure.nonRetryable('follow-up activities run only inside a workflow', 'NoWorkflow');
    return run;
  }

  async function openFollowUp({ kind, id }: { kind: SubjectKind; id: string }): Promise<OpenedFollowUp> {
    const subject = await deps.subjects.load(kind, id);
    if (!subject) return { found: false };
    const [owner, decider, record] = await Promise.all([contact(subject.ownerId), contact(subject.deciderId), deps.followUps.get(kind, id)]);
    let previous: Extract<OpenedFollowUp, { found: true }>['previous'] = null;
    if (record) {
      const steps = (await deps.followUps.steps(kind, id)).filter((s) => s.cycle === record.cycle);
      previous = {
        status: record.status,
        cycle: record.cycle,
        done: steps.map((s) => ({
          step: s.step,
          cycle: s.cycle,
          artifactId: s.artifactId,
          recipients: s.recipients,
          dueAt: s.dueAt.toISOString(),
          sentAt: s.sentAt.toISOString(),
          ...(s.note ? { note: s.note } : {}),
        })),
      };
    }
    return {
      found: true,
      id: subject.id,
      open: subject.open,
      ...(subject.evidence ? { evidence: subject.evidence } : {}),
      status: subject.status,
      ownerId: subject.ownerId,
      deciderId: subject.deciderId,
      anchorAt: subject.anchorAt.toISOString(),
      owner,
      decider,
      previous,
    };
  }

  async function saveFollowUp(input: SaveFollowUpInput): Promise<void> {
    await deps.followUps.save({
      kind: input.kind,
      subjectId: input.id,
      workflowId: input.workflowId,
      runId: runId(),
      status: 'open',
      ownerId: input.ownerId,
      deciderId: input.deciderId,
      cycle: input.cycle,
      nextStep: input.nextStep,
      nextDueAt: input.nextDueAt ? new Date(input.nextDueAt) : null,
      snoozedUntil: input.snoozedUntil ? new Date(input.snoozedUntil) : null,
      reason: null,
      at: new Date(input.at),
    });
  }

  /**
   * Delivers one step through the outbox, exactly once per artifact id, and records it. The subject and the
   * recipients are checked again: nothing goes out for a subject closed meanwhile, and someone who left the opt-in
   * since the workflow looked is dropped.
   */
  async function sendFollowUpStep(input: SendStepInput): Promise<SendStepResult> {
    const artifactId = followUpArtifactId(input.kind, input.id, input.step, input.cycle);
    const subject = await deps.subjects.load(input.kind, input.id);
    // closed (or gone) since the workflow looked: nobody needs reminding
    if (!subject?.open) return { artifactId: null, recipients: [], subjectClosed: subject ? subject.status : 'missing' };
    if (subject.evidence) return { artifactId: null, recipients: [], evidence: subject.evidence };
    const involved = [...new Set([...input.recipients, subject?.ownerId, subject?.deciderId].filter((p): p is string => !!p))];
    const people = new Map((await deps.people.peopleByIds(involved)).map((p) => [p.id, p]));
    const recipients = input.recipients.filter((r) => people.get(r)?.optedIn === true);
    if (recipients.length < input.recipients.length) {
      deps.log.warn({ artifactId, dropped: input.recipients.filter((r) => !recipients.includes(r)) }, 'follow-up recipients outside the opt-in dropped');
    }
    if (recipients.length === 0) return { artifactId: null, recipients: [] };

    const primary = people.get(recipients[0] as string) as Person;
    const markdown = composeFollowUp({ ...input, subject, people, recipients, calendar: calendarOf(primary) });
    await deps.outbox.deliver({ artifactId, topic: `follow-up of ${input.kind} ${input.id}`, recipients, markdown });
    const recorded = await deps.followUps.recordStep({
      artifactId,
      kind: input.kind,
      subjectId: input.id,
      step: input.step,
      cycle: input.cycle,
      recipients,
      note: input.note ?? null,
      dueAt: new Date(input.dueAt),
      sentAt: new Date(input.at),
      workflowId: input.workflowId,
      runId: runId(),
    });
    if (deps.notify) {
      const reasonOf = (r: string): string =>
        r === subject.ownerId ? `owns this ${input.kind === 'decision' ? 'decision' : 'action item'}` : r === subject.deciderId ? `decided it` : 'asked to follow it up';
      await startNotify(deps.notify.client, deps.notify.taskQueue, {
        topicKey: artifactId,
        about: {
          kind: 'follow-up',
          subjectKind: input.kind,
          subjectId: input.id,
          step: input.step,
          artifactId,
          title: markdown.split('\n')[0]!.replace(/^#\s*/, ''),
          markdown,
          recipients: recipients.map((personId) => ({ personId, reason: reasonOf(personId) })),
          sourceItemIds: [...new Set(subject.sources.map((s) => s.itemId))],
        },
      });
    }
    deps.log.info({ artifactId, recipients, recorded }, 'follow-up step delivered');
    return { artifactId, recipients };
  }

  async function reassignFollowUp({ kind, id, ownerId }: { kind: SubjectKind; id: string; ownerId: string }): Promise<{ owner: Contact | null }> {
    await deps.subjects.reassign(kind, id, ownerId);
    return { owner: await contact(ownerId) };
  }

  async function closeFollowUp(input: CloseFollowUpInput): Promise<void> {
    if (input.subjectStatus) {
      const subject = await deps.subjects.load(input.kind, input.id);
      if (subject && subject.status !== input.subjectStatus) {
        await deps.subjects.close(input.kind, input.id, input.subjectStatus, input.reason);
      }
    }
    if (input.outcome === 'already-closed') {
      // a closed record says more (stale, done…) than "it was closed already"
      const existing = await deps.followUps.get(input.kind, input.id);
      if (existing && existing.status !== 'open') return;
    }
    await deps.followUps.save({
      kind: input.kind,
      subjectId: input.id,
      workflowId: input.workflowId,
      runId: runId(),
      status: input.outcome,
      ownerId: input.ownerId,
      deciderId: input.deciderId,
      cycle: input.cycle,
      nextStep: null,
      nextDueAt: null,
      snoozedUntil: null,
      reason: input.reason,
      at: new Date(input.at),
    });
  }

  return { openFollowUp, saveFollowUp, sendFollowUpStep, reassignFollowUp, closeFollowUp };
}

export type FollowUpActivities = ReturnType<typeof createFollowUpActivities>;

// ---- messages

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "Wed 2024-06-05 09:00 (Europe/Berlin)": the same text on every ICU build. */
export function formatLocalTime(at: Date | string, timeZone: string): string {
  const l = localDateTime(new Date(at), timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  const weekday = WEEKDAYS[isoWeekday(l) - 1];
  return `${weekday} ${l.year}-${pad(l.month)}-${pad(l.day)} ${pad(l.hour)}:${pad(l.minute)} (${timeZone})`;
}

function composeFollowUp(o: SendStepInput & { subject: Subject | undefined; people: Map<string, Person>; recipients: string[]; calendar: WorkingCalendar }): string {
  const { subject, calendar } = o;
  const noun = o.kind === 'decision' ? 'decision' : 'action item';
  const nameOf = (id: string | null | undefined): string => {
    if (!id) return 'nobody';
    const p = o.people.get(id);
    return p?.optedIn ? p.name : 'someone outside the opt-in';
  };
  const when = (t: Date | string) => formatLocalTime(t, calendar.timezone);
  // a message shows the subject's content only when every recipient may see it
  const visible = !!subject && o.recipients.every((r) => subject.access.includes(r));
  const title = visible && subject ? truncate(subject.text, 100) : `${noun} ${o.id}`;
  const lines: string[] = [];
  const greet = (ids: string[]) => `Hi ${ids.map((id) => nameOf(id).split(' ')[0]).join(' and ')},`;

  if (o.step === 'nudge') {
    lines.push(`# Follow-up: ${title}`, '', greet(o.recipients));
    lines.push('', `you own this ${noun}, and nothing has shown it moving since ${subject ? when(subject.anchorAt) : 'it was recorded'}.`);
  } else if (o.step === 'escalate') {
    lines.push(`# Follow-up needed: ${title}`, '', greet(o.recipients));
    lines.push(
      '',
      o.note?.startsWith('in place of a nudge')
        ? `this ${noun} has no follow-up, and ${subject?.ownerId ? `its owner (${nameOf(subject.ownerId)}) cannot be reminded` : 'nobody owns it'}: you decided it, so you hear about it instead.`
        : `${nameOf(subject?.ownerId)} was reminded about this ${noun} and nothing has shown it moving since ${subject ? when(subject.anchorAt) : 'it was recorded'}.`,
    );
  } else {
    lines.push(`# Closed as stale: ${title}`, '', greet(o.recipients));
    lines.push('', `this ${noun} had no follow-up for ${temporalConfig.followUp.closeStaleAfter.workingDays} working days, so Mycelium stops following it up.`);
  }

  lines.push('');
  if (visible && subject) {
    lines.push(`> ${subject.text.replace(/\n/g, '\n> ')}`, '');
  } else {
    lines.push('_Its content is not shown: not every recipient of this message may see where it comes from._', '');
  }
  lines.push(`- ${o.kind === 'decision' ? 'Decided by' : 'Decision by'}: ${nameOf(subject?.deciderId)}`);
  lines.push(`- Owner: ${nameOf(subject?.ownerId)}`);
  if (subject) lines.push(`- Status: ${subject.status}`);
  if (subject?.dueAt) lines.push(`- Due: ${when(subject.dueAt)}`);
  lines.push(`- Follow-up step due: ${when(o.dueAt)}`);
  if (o.step === 'stale') {
    lines.push('', '## What happened', '');
    const sent = o.timeline.filter((t) => t.artifactId);
    if (sent.length === 0) lines.push('- No reminder could be sent to anyone in the opt-in.');
    for (const t of o.timeline) {
      lines.push(
        t.artifactId
          ? `- ${when(t.sentAt)}: ${t.step === 'nudge' ? 'reminded' : 'escalated to'} ${t.recipients.map(nameOf).join(', ')}`
          : `- ${when(t.dueAt)}: ${t.step} skipped${t.note ? ` (${t.note})` : ''}`,
      );
    }
  }
  if (visible && subject && subject.sources.length > 0) {
    lines.push('', '## Sources', '');
    for (const s of subject.sources) lines.push(`- \`${s.itemId}\` #${s.position}: "${truncate(s.quote, 160)}"`);
  }
  lines.push(
    '',
    o.step === 'stale'
      ? '_If it did happen, nothing to do: evidence of it found later still closes it as done._'
      : '_Done already? Nothing to do: Mycelium closes this when it sees the evidence. Or resolve, snooze or reassign it._',
  );
  return lines.join('\n');
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

// ---- ensure (clients, sync activities)

export interface EnsureFollowUpOptions {
  kind: SubjectKind;
  id: string;
  taskQueue: string;
  /** evidence of completion found by ingestion: closes the follow-up as done (starting a run for it if need be) */
  evidence?: Evidence;
  /** false: no search attributes (a server that cannot register them: the time-skipping test server) */
  searchAttributes?: boolean;
}

/**
 * Makes sure the follow-up of a decision or action item exists. With evidence: signal-with-start of `addEvidence`,
 * so a running follow-up closes and a missing one starts, sees the evidence and closes (or ends at once when the
 * subject is closed already). Without: starts it unless it is running or completed (a closed follow-up is not
 * restarted without news — the workflow checks the follow_ups table too, for after the server's retention); a run
 * that failed or was terminated is started again and carries on where the follow_ups tables say it was.
 */
export async function ensureFollowUp(
  client: Client,
  { kind, id, taskQueue, evidence, searchAttributes = true }: EnsureFollowUpOptions,
): Promise<{ workflowId: string; runId: string | undefined; outcome: 'signalled' | 'started' | 'exists' }> {
  const workflowId = followUpWorkflowId(kind, id);
  const args: Parameters<FollowUpUnresolvedDecision> = [{ kind, id, ...(searchAttributes ? {} : { searchAttributes: false }) }];
  // (the run adds the people it concerns once it has read them from the store)
  const typedSearchAttributes = searchAttributes && kind === 'decision' ? [{ key: DecisionIdAttribute, value: id }] : [];
  if (evidence) {
    const handle = await client.workflow.signalWithStart<FollowUpUnresolvedDecision, [Evidence]>(FOLLOW_UP_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args,
      typedSearchAttributes,
      signal: addEvidenceSignal,
      signalArgs: [{ itemId: evidence.itemId, position: evidence.position }],
    });
    return { workflowId, runId: handle.signaledRunId, outcome: 'signalled' };
  }
  try {
    const handle = await client.workflow.start<FollowUpUnresolvedDecision>(FOLLOW_UP_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args,
      typedSearchAttributes,
      // a completed follow-up is not restarted without news; a failed or terminated one is, and resumes from the
      // follow_ups tables without repeating a step
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    return { workflowId, runId: handle.firstExecutionRunId, outcome: 'started' };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, runId: undefined, outcome: 'exists' };
    throw error;
  }
}
