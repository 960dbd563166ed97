/**
 * followUpUnresolvedDecision — one long-lived run per open decision (id `decision:<decisionId>`) or action item
 * (`decision:action:<actionId>`) that nobody has followed up.
 *
 * Counting working days in the owner's timezone and hours (workflows/cadence.ts, temporalConfig.followUp), it nudges
 * the owner, then escalates to the decider, then closes the follow-up as stale with a summary. Every message goes
 * through the outbox under a deterministic artifact id (`followup_<dec|act>_<id>_<step>_<cycle>`), so retries and
 * continue-as-new never send one twice; the steps sent are kept in the run's state and in the follow_ups tables.
 * An owner outside the opt-in (or unknown) is never messaged: the decider hears instead.
 *
 * It ends early when someone resolves it (`resolve` update), when ingestion finds evidence of completion
 * (`addEvidence`, usually through signal-with-start: ensureFollowUp in activities/follow-up.ts), and re-plans on
 * `snooze` and `reassign`. State carried across continue-as-new is small: ids, timestamps, counters, steps sent.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Contact, FollowUpActivities } from '../activities/follow-up';
import { temporalConfig } from '../temporal.config';
import { routedActivities } from './activity-queues';
import { DecisionIdAttribute, PersonIdsAttribute } from './search-attributes';
import { CADENCE_STEPS, snoozedBase, stepDueAt, type CadenceBase, type CadenceStep, type WorkingCalendar } from './cadence';
import {
  ACTION_RESOLUTIONS,
  addEvidenceSignal,
  DECISION_RESOLUTIONS,
  reassignSignal,
  resolveUpdate,
  snoozeSignal,
  statusQuery,
  type Evidence,
  type FollowUpCarry,
  type FollowUpInput,
  type FollowUpOutcome,
  type FollowUpPhase,
  type FollowUpResult,
  type FollowUpState,
  type ResolveRequest,
  type StepRecord,
} from './follow-up-defs';

export * from './follow-up-defs';

const { openFollowUp, saveFollowUp, reassignFollowUp, closeFollowUp } = proxyActivities<FollowUpActivities>(
  temporalConfig.activities.store,
);
// the nudge itself (the outbox, then the recipients' agents are told): the delivery role's work
const { sendFollowUpStep } = routedActivities<FollowUpActivities>('delivery', temporalConfig.activities.delivery);

export async function followUpUnresolvedDecision(input: FollowUpInput): Promise<FollowUpResult> {
  const { kind, id } = input;
  const cadenceConfig = temporalConfig.followUp;
  const maxHistoryEvents = input.maxHistoryEvents ?? cadenceConfig.maxHistoryEvents;
  const { workflowId } = workflowInfo();
  const carried = input.carried;

  let phase: FollowUpPhase = 'loading';
  let cycle = carried?.cycle ?? 1;
  let cadence: CadenceBase | undefined = carried?.cadence;
  let snoozedUntil = carried?.snoozedUntil;
  let done: StepRecord[] = carried?.done ?? [];
  const totals = { ...(carried?.totals ?? { nudges: 0, escalations: 0, summaries: 0 }) };
  const runs = (carried?.runs ?? 0) + 1;
  /** whether this run has taken a step or acted on a request: a run continues as new only after progress */
  let progressed = false;
  let ownerId: string | null = null;
  let deciderId: string | null = null;
  let owner: Contact | null = null;
  let decider: Contact | null = null;
  let outcome: FollowUpOutcome | undefined;
  let resolution: FollowUpState['resolution'];

  // what the handlers ask for; the main loop acts on it
  let evidence: Evidence | undefined;
  let resolveRequest: ResolveRequest | undefined;
  let snoozeRequest: string | undefined;
  let reassignRequest: string | undefined;
  const hasRequests = (): boolean =>
    evidence !== undefined || resolveRequest !== undefined || snoozeRequest !== undefined || reassignRequest !== undefined;

  const ownerReachable = (): boolean => owner?.optedIn === true;
  const deciderReachable = (): boolean => decider?.optedIn === true;
  /** the working time of the person the cadence messages first */
  const calendar = (): WorkingCalendar =>
    (ownerReachable() ? owner?.calendar : (decider?.calendar ?? owner?.calendar)) ?? cadenceConfig.defaultCalendar;
  const nextStep = (): CadenceStep | undefined => CADENCE_STEPS.find((s) => !done.some((d) => d.step === s));
  const dueAt = (step: CadenceStep): Date => stepDueAt(step, cadence ?? { base: new Date().toISOString(), baseOffset: 0 }, cadenceConfig, calendar());

  const state = (): FollowUpState => {
    const step = cadence && phase !== 'closed' ? nextStep() : undefined;
    return {
      kind,
      id,
      workflowId,
      phase,
      ownerId,
      deciderId,
      ownerReachable: ownerReachable(),
      deciderReachable: deciderReachable(),
      timezone: calendar().timezone,
      cycle,
      next: step ? { step, dueAt: dueAt(step).toISOString() } : undefined,
      snoozedUntil,
      done,
      totals,
      runs,
      evidence,
      resolution,
      outcome,
    };
  };

  setHandler(addEvidenceSignal, (e) => {
    if (!isEvidence(e)) {
      log.warn('addEvidence ignored: expected { itemId, position }', { kind, id });
      return;
    }
    evidence ??= { itemId: e.itemId, position: e.position };
  });
  setHandler(snoozeSignal, (until) => {
    if (typeof until !== 'string' || Number.isNaN(Date.parse(until))) {
      log.warn('snooze ignored: expected an ISO time', { kind, id });
      return;
    }
    snoozeRequest = new Date(until).toISOString();
  });
  setHandler(reassignSignal, (to) => {
    const normalized = typeof to === 'string' ? to.trim().toLowerCase() : '';
    if (!/^[^\s@]+@[^\s@]+$/.test(normalized) || normalized.length > 320) {
      log.warn('reassign ignored: expected a person id (an email address)', { kind, id });
      return;
    }
    reassignRequest = normalized;
  });
  setHandler(statusQuery, state);
  setHandler(
    resolveUpdate,
    async (request) => {
      resolveRequest = { id: request.id, status: request.status, ...(request.reason ? { reason: request.reason } : {}) };
      await condition(() => phase === 'closed');
      return state();
    },
    {
      validator: (request) => {
        if (phase === 'closing' || phase === 'closed') throw new Error(`the follow-up of ${kind} ${id} is already closed`);
        if (resolveRequest) throw new Error(`the follow-up of ${kind} ${id} is being resolved already`);
        if (typeof request !== 'object' || request === null) throw new Error('expected { id, status, reason? }');
        if (request.id !== id) throw new Error(`unknown ${kind} "${String(request.id)}": this follow-up is for ${kind} ${id}`);
        const allowed: readonly string[] = kind === 'decision' ? DECISION_RESOLUTIONS : ACTION_RESOLUTIONS;
        if (!allowed.includes(request.status)) {
          throw new Error(`a ${kind} is resolved as ${allowed.join(', ')}; not "${String(request.status)}"`);
        }
        if (request.reason !== undefined && (typeof request.reason !== 'string' || request.reason.length > 1000)) {
          throw new Error('reason must be a string of at most 1000 characters');
        }
      },
    },
  );

  /** lets the Web UI find the run by decision and by person (owner, decider) */
  const tagRun = (): void => {
    // (runs started before the attributes existed replay without these commands)
    if (input.searchAttributes === false || !patched('follow-up-search-attributes')) return;
    const people = [...new Set([ownerId, deciderId].filter((p): p is string => p !== null))].sort();
    upsertSearchAttributes([
      ...(kind === 'decision' ? [{ key: DecisionIdAttribute, value: id }] : []),
      { key: PersonIdsAttribute, value: people },
    ]);
  };

  const finish = async (o: FollowUpOutcome, reason: string, subjectStatus?: string): Promise<FollowUpResult> => {
    phase = 'closing';
    await closeFollowUp({
      kind,
      id,
      workflowId,
      outcome: o,
      ...(subjectStatus ? { subjectStatus } : {}),
      reason,
      at: new Date().toISOString(),
      ownerId,
      deciderId,
      cycle,
    });
    outcome = o;
    phase = 'closed';
    log.info('follow-up closed', { kind, id, outcome: o, reason });
    await condition(allHandlersFinished); // let a waiting `resolve` return the final state
    return { kind, id, outcome: o, cycle, done, totals };
  };

  const save = (): Promise<void> => {
    const step = nextStep();
    return saveFollowUp({
      kind,
      id,
      workflowId,
      ownerId,
      deciderId,
      cycle,
      nextStep: step ?? null,
      nextDueAt: step ? dueAt(step).toISOString() : null,
      snoozedUntil: snoozedUntil ?? null,
      at: new Date().toISOString(),
    });
  };

  // ---- load

  const opened = await openFollowUp({ kind, id });
  if (!opened.found) return finish('missing', `${kind} ${id} is not in the store`);
  ownerId = opened.ownerId;
  deciderId = opened.deciderId;
  owner = opened.owner;
  decider = opened.decider;
  tagRun();
  // merged into another decision: that one's follow-up (decision:<its id>) is the one that counts
  if (opened.id !== id) return finish('already-closed', `merged into ${kind} ${opened.id}`);
  if (opened.evidence) evidence ??= opened.evidence;
  if (!opened.open) return finish('already-closed', `${kind} ${id} is ${opened.status}`);
  if (!carried && opened.previous) {
    // A fresh run for a subject followed up before (restarted by ensureFollowUp after a crash, a termination or a
    // stale close): never repeat what an earlier run sent, and do not reopen a closed follow-up without news.
    if (opened.previous.status !== 'open' && evidence === undefined && !resolveRequest) {
      return finish('already-closed', `its follow-up was closed as ${opened.previous.status}`);
    }
    cycle = opened.previous.cycle;
    done = opened.previous.done;
  }
  cadence ??= { base: opened.anchorAt, baseOffset: 0 };
  await save();
  phase = 'waiting';

  // ---- the cadence

  for (;;) {
    if (resolveRequest) {
      resolution = { status: resolveRequest.status, ...(resolveRequest.reason ? { reason: resolveRequest.reason } : {}) };
      return finish('resolved', resolveRequest.reason ?? `resolved as ${resolveRequest.status}`, resolveRequest.status);
    }
    if (evidence) {
      return finish('done', `evidence of completion: item ${evidence.itemId} #${evidence.position}`, 'done');
    }
    if (reassignRequest !== undefined) {
      const to = reassignRequest;
      reassignRequest = undefined;
      if (to === ownerId) continue;
      const reassigned = await reassignFollowUp({ kind, id, ownerId: to });
      ownerId = to;
      owner = reassigned.owner;
      tagRun();
      cycle += 1;
      done = [];
      snoozedUntil = undefined;
      cadence = { base: new Date().toISOString(), baseOffset: 0 };
      log.info('follow-up reassigned; the cadence starts over', { kind, id, ownerId, cycle });
      await save();
      progressed = true;
      continue;
    }
    if (snoozeRequest !== undefined) {
      const until = snoozeRequest;
      snoozeRequest = undefined;
      const step = nextStep();
      if (!step) continue;
      const moved = snoozedBase(cadence, step, Date.parse(until), cadenceConfig, calendar());
      if (moved === cadence) {
        log.info('snooze ends before the next step is due; nothing to postpone', { kind, id, until });
        continue;
      }
      cadence = moved;
      snoozedUntil = until;
      await save();
      progressed = true;
      continue;
    }

    const step = nextStep();
    if (!step) return finish('stale', 'every step of the cadence is done'); // (a stale close ends the loop first)
    const due = dueAt(step);
    if (Date.now() >= due.getTime()) {
      const interrupted = await perform(step, due);
      if (interrupted?.closed) return finish('already-closed', `${kind} ${id} was closed meanwhile (${interrupted.closed})`);
      if (interrupted) continue; // evidence: closed as done at the top of the loop
      if (step === 'stale') {
        return finish('stale', `no follow-up after ${cadenceConfig.closeStaleAfter.workingDays} working days`);
      }
      await save();
      progressed = true;
      continue;
    }

    const info = workflowInfo();
    // (a run that has done nothing yet never continues as new: its start-up alone may exceed a small bound)
    if (progressed && (info.continueAsNewSuggested || info.historyLength >= maxHistoryEvents)) {
      // (a `resolve` in progress waits for the loop, so it counts as a request, not as a handler to wait for)
      await condition(() => allHandlersFinished() || hasRequests());
      if (!hasRequests()) {
        log.info('continuing as new', { kind, id, historyLength: info.historyLength, runs });
        const carry: FollowUpCarry = { cycle, cadence, done, totals, runs, ...(snoozedUntil ? { snoozedUntil } : {}) };
        return continueAsNew<typeof followUpUnresolvedDecision>({
          kind,
          id,
          carried: carry,
          ...(input.maxHistoryEvents !== undefined ? { maxHistoryEvents: input.maxHistoryEvents } : {}),
          ...(input.searchAttributes === false ? { searchAttributes: false } : {}),
        });
      }
      continue;
    }
    // a durable timer until the step is due; any request ends the wait at once
    await condition(hasRequests, due.getTime() - Date.now());
  }

  /**
   * Sends one step to whoever in the opt-in should get it, or records it as skipped. Returns why it was interrupted
   * when the store says the subject is closed or done already (nothing was sent then).
   */
  async function perform(step: CadenceStep, due: Date): Promise<{ closed?: string } | undefined> {
    phase = 'sending';
    const records: StepRecord[] = [];
    let interrupted: { closed?: string } | undefined;
    const send = async (as: CadenceStep, recipients: string[], note?: string): Promise<void> => {
      const at = new Date().toISOString();
      if (recipients.length === 0) {
        records.push({ step: as, cycle, artifactId: null, recipients, dueAt: due.toISOString(), sentAt: at, ...(note ? { note } : {}) });
        return;
      }
      const sent = await sendFollowUpStep({
        kind,
        id,
        workflowId,
        step: as,
        cycle,
        recipients,
        dueAt: due.toISOString(),
        at,
        ...(note ? { note } : {}),
        timeline: [...done, ...records],
      });
      if (sent.subjectClosed || sent.evidence) {
        if (sent.evidence) evidence ??= sent.evidence;
        interrupted = sent.subjectClosed ? { closed: sent.subjectClosed } : {};
        return;
      }
      records.push({
        step: as,
        cycle,
        artifactId: sent.artifactId,
        recipients: sent.recipients,
        dueAt: due.toISOString(),
        sentAt: at,
        ...(note ? { note } : {}),
      });
      if (!sent.artifactId) return;
      if (as === 'nudge') totals.nudges += 1;
      else if (as === 'escalate') totals.escalations += 1;
      else totals.summaries += 1;
    };
    const escalated = done.some((d) => d.step === 'escalate');

    if (step === 'nudge') {
      if (ownerReachable() && ownerId) {
        await send('nudge', [ownerId]);
      } else {
        const why = ownerId ? 'the owner is outside the opt-in' : 'nobody owns it';
        records.push({ step: 'nudge', cycle, artifactId: null, recipients: [], dueAt: due.toISOString(), sentAt: new Date().toISOString(), note: `${why}: escalated instead` });
        if (!escalated) await send('escalate', deciderReachable() && deciderId ? [deciderId] : [], `in place of a nudge: ${why}`);
      }
    } else if (step === 'escalate') {
      await send('escalate', deciderReachable() && deciderId ? [deciderId] : [], deciderReachable() ? undefined : 'the decider is outside the opt-in');
    } else {
      const recipients = [...new Set([ownerReachable() ? ownerId : null, deciderReachable() ? deciderId : null])].filter(
        (p): p is string => p !== null,
      );
      await send('stale', recipients, recipients.length === 0 ? 'nobody in the opt-in to tell' : undefined);
    }
    phase = 'waiting';
    if (interrupted) return interrupted;
    done = [...done, ...records];
    return undefined;
  }
}

function isEvidence(e: unknown): e is Evidence {
  if (typeof e !== 'object' || e === null) return false;
  const { itemId, position } = e as Partial<Evidence>;
  return typeof itemId === 'string' && itemId.length > 0 && Number.isInteger(position) && (position as number) >= 0;
}
