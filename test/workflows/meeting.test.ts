/**
 * ensureMeetingHasContext on the real Temporal dev server with the real activities and store:
 * the lead-time timer, reschedule, cancel, prepare-now, and idempotent "ensure".
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Meeting, ParsedUnit, Person } from '../../schemas/entities';
import { temporalConfig } from '../../temporal.config';
import { durationMs } from '../../workflows/duration';
import { meetingWorkflowId } from '../../workflows/ids';
import { AttendeesAttribute, MeetingIdAttribute } from '../../workflows/search-attributes';
import {
  awaitBriefUpdate,
  cancelSignal,
  ensureMeetingHasContext,
  prepareNowSignal,
  rescheduleSignal,
  statusQuery,
} from '../../workflows/meeting';
import { openTestStack, type TestStack } from '../support/stack';

const LEAD_MS = durationMs(temporalConfig.meetings.briefLeadTime);
const people: Person[] = [
  { id: 'ana@wf.test', name: 'Ana Wu', timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [] },
  { id: 'ben@wf.test', name: 'Ben Ode', timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [] },
];

let stack: TestStack;
let calendar: string;

beforeAll(async () => {
  stack = await openTestStack({ name: 'meeting-wf' });
  // ids are business keys: a calendar per test run keeps reruns against one server apart
  calendar = `wf${Date.now().toString(36)}`;
  await stack.store.upsertSource({ id: 'wf', kind: 'files', config: { root: '/nonexistent' } });
});

afterAll(async () => {
  await stack?.close();
});

async function storeMeeting(eventId: string, startsAt: Date): Promise<Meeting> {
  const meeting: Meeting = {
    id: `${calendar}:${eventId}`,
    calendarId: calendar,
    eventId,
    title: `Planning ${eventId}`,
    description: 'Quarterly planning',
    startsAt,
    endsAt: new Date(startsAt.getTime() + 30 * 60_000),
    organizerId: 'ana@wf.test',
    attendeeIds: people.map((p) => p.id),
    outsideOptInCount: 0,
    status: 'confirmed',
    sourceId: 'wf',
  };
  const unit: ParsedUnit = { path: `cal/${eventId}.ics`, fileHash: eventId, people, items: [], meetings: [meeting] };
  await stack.store.storeUnit('wf', unit);
  return meeting;
}

function start(meeting: Meeting) {
  return stack.client.workflow.start(ensureMeetingHasContext, {
    workflowId: meetingWorkflowId(meeting.id),
    taskQueue: stack.taskQueue,
    args: [{ meetingId: meeting.id, startsAt: meeting.startsAt.toISOString(), attendeeIds: meeting.attendeeIds }],
  });
}

const briefFiles = async () => (await readdir(stack.outboxDir)).filter((f) => f.endsWith('.md'));

describe('ensureMeetingHasContext', () => {
  it('sleeps until the lead time before the meeting, then prepares, persists and delivers the brief', async () => {
    const meeting = await storeMeeting('timer', new Date(Date.now() + LEAD_MS + 4_000));
    const handle = await start(meeting);
    const waiting = await handle.query(statusQuery);
    expect(waiting.phase).toBe('waiting');
    // the run is findable in the Web UI by meeting and by attendee
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(MeetingIdAttribute)).toBe(meeting.id);
    expect(described.typedSearchAttributes.get(AttendeesAttribute)).toEqual(['ana@wf.test', 'ben@wf.test']);
    expect(Date.parse(waiting.prepareAt)).toBe(meeting.startsAt.getTime() - LEAD_MS);

    const startedWaiting = Date.now();
    const done = await handle.executeUpdate(awaitBriefUpdate);
    expect(Date.now() - startedWaiting).toBeGreaterThan(2_000);
    expect(done.phase).toBe('delivered');
    const brief = await stack.store.getBrief(done.briefId!);
    expect(brief?.meetingId).toBe(meeting.id);
    expect(brief?.workflowId).toBe(handle.workflowId);
    expect(brief?.runId).toBe(handle.firstExecutionRunId);
    expect(await briefFiles()).toContain(`${done.briefId}.md`);
    await handle.terminate('test done');
  });

  it('re-arms the timer when the meeting is rescheduled', async () => {
    const meeting = await storeMeeting('moved', new Date(Date.now() + LEAD_MS + 3_600_000));
    const handle = await start(meeting);
    const before = await handle.query(statusQuery);
    expect(before.phase).toBe('waiting');

    const newStart = new Date(Date.now() + LEAD_MS + 2_000).toISOString();
    await handle.signal(rescheduleSignal, { startsAt: newStart, attendeeIds: meeting.attendeeIds });
    const after = await handle.query(statusQuery);
    expect(after.startsAt).toBe(newStart);
    expect(Date.parse(after.prepareAt)).toBe(Date.parse(newStart) - LEAD_MS);

    // without the reschedule this would wait an hour; the test's timeout is a minute
    const done = await handle.executeUpdate(awaitBriefUpdate);
    expect(done.phase).toBe('delivered');
    expect(done.briefId).toBeDefined();
    await handle.terminate('test done');
  });

  it('ends without a brief when the meeting is cancelled', async () => {
    const meeting = await storeMeeting('cancelled', new Date(Date.now() + LEAD_MS + 3_600_000));
    const handle = await start(meeting);
    await handle.signal(cancelSignal);
    const result = await handle.result();
    expect(result).toEqual({ meetingId: meeting.id, outcome: 'cancelled', briefId: undefined });
    expect(await stack.store.latestBrief(meeting.id)).toBeUndefined();
  });

  it('prepares at once when asked, whatever the lead time', async () => {
    const meeting = await storeMeeting('now', new Date(Date.now() + 5 * 3_600_000));
    const handle = await start(meeting);
    await handle.signal(prepareNowSignal);
    const done = await handle.executeUpdate(awaitBriefUpdate);
    expect(done.phase).toBe('delivered');
    expect((await stack.store.latestBrief(meeting.id))?.id).toBe(done.briefId);

    // Asking again is answered by the brief already out: no second brief, and the run stays healthy
    // (this once spun the workflow in a busy loop until the deadlock detector killed it).
    await handle.signal(prepareNowSignal);
    const again = await handle.executeUpdate(awaitBriefUpdate);
    expect(again.briefId).toBe(done.briefId);
    expect(await handle.query(statusQuery)).toMatchObject({ phase: 'delivered', briefId: done.briefId });

    // A moved meeting needs a new brief, and gets one when asked.
    const moved = new Date(meeting.startsAt.getTime() + 3_600_000).toISOString();
    await handle.signal(rescheduleSignal, { startsAt: moved, attendeeIds: meeting.attendeeIds });
    expect((await handle.query(statusQuery)).phase).toBe('waiting');
    await handle.signal(prepareNowSignal);
    const rebriefed = await handle.executeUpdate(awaitBriefUpdate);
    expect(rebriefed.briefId).toBeDefined();
    expect(rebriefed.briefId).not.toBe(done.briefId);
    await handle.terminate('test done');
  });

  it('is idempotent: the workflow id is the meeting, so a second "ensure" finds the running one', async () => {
    const meeting = await storeMeeting('ensure', new Date(Date.now() + 5 * 3_600_000));
    const handle = await start(meeting);
    await expect(start(meeting)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const again = await stack.client.workflow.signalWithStart(ensureMeetingHasContext, {
      workflowId: meetingWorkflowId(meeting.id),
      taskQueue: stack.taskQueue,
      args: [{ meetingId: meeting.id, startsAt: meeting.startsAt.toISOString(), attendeeIds: meeting.attendeeIds }],
      signal: rescheduleSignal,
      signalArgs: [{ startsAt: meeting.startsAt.toISOString(), attendeeIds: meeting.attendeeIds }],
    });
    expect(again.signaledRunId).toBe(handle.firstExecutionRunId);
    await handle.terminate('test done');
  });
});
