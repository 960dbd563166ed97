/**
 * ensureMeetingHasContext — one run per meeting (id `meeting:<calendarId>:<eventId>`).
 *
 * Sleeps durably until the brief lead time before the meeting, then gathers context on behalf of the
 * attendees, persists a cited brief with lineage and delivers it. It stays alive until the meeting
 * starts so that calendar reconciles keep signalling the same run: a reschedule re-arms the timer
 * (and re-briefs if the brief was already out and the meeting moved), a cancel ends it.
 */
import { condition, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { temporalConfig } from '../temporal.config';
import { routedActivities } from './activity-queues';
import { durationMs } from './duration';
import {
  awaitBriefUpdate,
  cancelSignal,
  prepareNowSignal,
  rescheduleSignal,
  statusQuery,
  type MeetingPhase,
  type MeetingResult,
  type MeetingStatus,
  type MeetingWorkflowInput,
} from './meeting-defs';
import { AttendeesAttribute, MeetingIdAttribute, PersonIdsAttribute } from './search-attributes';

export * from './meeting-defs';

const { prepareBrief } = proxyActivities<Activities>({
  ...temporalConfig.activities.store,
  startToCloseTimeout: '2 minutes',
});
// a send (the outbox, then the attendees' agents are told): the delivery role's work
const { deliverBrief } = routedActivities<Activities>('delivery', temporalConfig.activities.delivery);

export async function ensureMeetingHasContext(input: MeetingWorkflowInput): Promise<MeetingResult> {
  const leadMs = durationMs(temporalConfig.meetings.briefLeadTime);
  let startsAt = input.startsAt;
  let attendeeIds = input.attendeeIds;
  let phase: MeetingPhase = 'waiting';
  let briefId: string | undefined;
  let briefForStart: string | undefined;
  let changed = false;
  let cancelled = false;
  let prepareNow = false;

  const prepareAt = (): string => new Date(Date.parse(startsAt) - leadMs).toISOString();
  const status = (): MeetingStatus => ({ meetingId: input.meetingId, phase, startsAt, prepareAt: prepareAt(), briefId });

  setHandler(rescheduleSignal, (change) => {
    if (change.startsAt === startsAt && sameMembers(change.attendeeIds, attendeeIds)) return;
    startsAt = change.startsAt;
    attendeeIds = change.attendeeIds;
    changed = true;
    // a brief for the old time no longer answers "is this meeting prepared?"
    if (phase === 'delivered' && briefForStart !== startsAt) phase = 'waiting';
  });
  setHandler(cancelSignal, () => {
    cancelled = true;
  });
  setHandler(prepareNowSignal, () => {
    // asking again for a brief that is already out is answered by the one out there
    if (briefForStart !== startsAt) prepareNow = true;
  });
  setHandler(statusQuery, status);
  setHandler(awaitBriefUpdate, async () => {
    await condition(() => phase === 'delivered' || phase === 'cancelled' || phase === 'done');
    return status();
  });

  tagRun(input.meetingId, attendeeIds);

  for (;;) {
    const needsBrief = briefForStart !== startsAt;
    const untilPrepare = Date.parse(prepareAt()) - Date.now();
    const untilStart = Date.parse(startsAt) - Date.now();

    if (needsBrief && (untilPrepare <= 0 || prepareNow)) {
      prepareNow = false;
      changed = false;
      phase = 'preparing';
      const brief = await prepareBrief({ meetingId: input.meetingId, startsAt });
      await deliverBrief({ briefId: brief.briefId });
      briefId = brief.briefId;
      briefForStart = startsAt;
      phase = 'delivered';
      log.info('brief delivered', { meetingId: input.meetingId, briefId, citations: brief.citationCount });
      continue;
    }
    if (!needsBrief && untilStart <= 0) break;

    // Wake at the next deadline, or at once when a signal changes the picture.
    const wakeIn = needsBrief ? untilPrepare : untilStart;
    await condition(() => cancelled || changed || (needsBrief && prepareNow), Math.max(wakeIn, 1));
    if (cancelled) {
      phase = 'cancelled';
      log.info('meeting cancelled; no brief', { meetingId: input.meetingId });
      return { meetingId: input.meetingId, outcome: 'cancelled', briefId };
    }
    if (changed) {
      tagRun(input.meetingId, attendeeIds);
      changed = false;
      log.info('meeting changed; timer re-armed', { meetingId: input.meetingId, startsAt });
    }
  }
  phase = 'done';
  return { meetingId: input.meetingId, outcome: 'delivered', briefId };
}

function tagRun(meetingId: string, attendeeIds: string[]): void {
  upsertSearchAttributes([
    { key: MeetingIdAttribute, value: meetingId },
    { key: AttendeesAttribute, value: [...attendeeIds].sort() },
    { key: PersonIdsAttribute, value: [...attendeeIds].sort() },
  ]);
}

function sameMembers(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}
