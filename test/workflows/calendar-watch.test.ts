/**
 * watchCalendar on the real dev server with real meeting workflows: a calendar (.ics in a temp folder) is ingested,
 * then changed on disk and stored again without a sync; the watch finds the new, moved, cancelled and vanished
 * events and the meeting runs' status queries show it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryFrom, parseUnit } from '../../activities/connectors/files';
import { ingest } from '../../clients/operations';
import { CALENDAR_WATCH_WORKFLOW_TYPE, type WatchCalendar } from '../../workflows/calendar-watch-defs';
import { calendarWatchWorkflowId, meetingWorkflowId } from '../../workflows/ids';
import { statusQuery } from '../../workflows/meeting-defs';
import { openTestStack, type TestStack } from '../support/stack';

const DAY = 86_400_000;
let stack: TestStack;
let folder: string;
/** unique per run: workflow ids are business keys and the dev server outlives a test file */
const calendarName = `Watch ${Date.now().toString(36)}`;
const calendarId = calendarName.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const sourceId = 'watch';

/** iCal UTC time */
const ical = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

interface TestEvent {
  uid: string;
  startsAt: Date;
  status?: 'CANCELLED';
}

function calendarText(events: TestEvent[]): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Mycelium tests//EN', `X-WR-CALNAME:${calendarName}`];
  for (const e of events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${e.uid}@watch.test`,
      'DTSTAMP:20250101T000000Z',
      `DTSTART:${ical(e.startsAt)}`,
      `DTEND:${ical(new Date(e.startsAt.getTime() + 30 * 60_000))}`,
      `SUMMARY:Event ${e.uid}`,
      ...(e.status ? [`STATUS:${e.status}`] : []),
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.join('\r\n')}\r\n`;
}

/** Stores the calendar file as the connector reads it, without running a sync (so only the watch reconciles). */
async function storeCalendar(events: TestEvent[]): Promise<void> {
  await writeFile(join(folder, 'team.ics'), calendarText(events));
  const unit = await parseUnit(
    {
      sourceId,
      root: folder,
      timeShiftMs: 0,
      maxFileBytes: 1024 * 1024,
      directory: directoryFrom(await stack.store.listPeople()),
      now: new Date(),
      horizonDays: 14,
    },
    'team.ics',
  );
  await stack.store.storeUnit(sourceId, unit);
}

const meetingHandle = (uid: string) => stack.client.workflow.getHandle(meetingWorkflowId(`${calendarId}:${uid}@watch.test`));

function watch() {
  return stack.client.workflow.execute<WatchCalendar>(CALENDAR_WATCH_WORKFLOW_TYPE, {
    workflowId: calendarWatchWorkflowId(calendarId),
    taskQueue: stack.taskQueue,
    args: [{ calendarId }],
  });
}

/** polls a condition (visibility and signals settle asynchronously), bounded */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'calendar-watch' });
  folder = await mkdtemp(join(tmpdir(), 'mycelium-watch-'));
});

afterAll(async () => {
  await stack?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('watchCalendar', () => {
  const inTwoDays = new Date(Math.ceil((Date.now() + 2 * DAY) / 60_000) * 60_000);
  const inThreeDays = new Date(inTwoDays.getTime() + DAY);

  it('starts, reschedules and cancels the meeting workflows of a changed calendar', async () => {
    await writeFile(join(folder, 'team.ics'), calendarText([
      { uid: 'stays', startsAt: inTwoDays },
      { uid: 'moves', startsAt: inTwoDays },
      { uid: 'cancels', startsAt: inTwoDays },
      { uid: 'vanishes', startsAt: inTwoDays },
    ]));
    // the sync ends with the same reconcile: every event has its run
    const synced = await ingest(stack, { folder, sourceId });
    expect(synced.result.meetingsEnsured).toBe(4);
    expect((await meetingHandle('moves').query(statusQuery)).startsAt).toBe(inTwoDays.toISOString());

    await storeCalendar([
      { uid: 'stays', startsAt: inTwoDays },
      { uid: 'moves', startsAt: inThreeDays },
      { uid: 'cancels', startsAt: inTwoDays, status: 'CANCELLED' },
      { uid: 'new', startsAt: inThreeDays },
    ]);
    // a run that vanished from the store is found through visibility, which lags: run the watch until it is seen
    let vanished = 0;
    let first: Awaited<ReturnType<typeof watch>> | undefined;
    await eventually(
      async () => {
        const result = await watch();
        first ??= result;
        vanished += result.vanished;
        return vanished;
      },
      (n) => n === 1,
      'the vanished event to be cancelled',
    );
    expect(first).toMatchObject({ calendarId, ensured: 3, cancelled: 1 });

    expect(await meetingHandle('stays').query(statusQuery)).toMatchObject({ phase: 'waiting', startsAt: inTwoDays.toISOString() });
    expect(await meetingHandle('moves').query(statusQuery)).toMatchObject({ phase: 'waiting', startsAt: inThreeDays.toISOString() });
    expect(await meetingHandle('new').query(statusQuery)).toMatchObject({ phase: 'waiting', startsAt: inThreeDays.toISOString() });
    expect(await meetingHandle('cancels').result()).toMatchObject({ outcome: 'cancelled' });
    expect(await meetingHandle('cancels').query(statusQuery)).toMatchObject({ phase: 'cancelled' });
    expect(await meetingHandle('vanishes').result()).toMatchObject({ outcome: 'cancelled' });

    // nothing changed since: another watch ensures the same runs, and cancels nothing more
    expect(await watch()).toMatchObject({ ensured: 3, cancelled: 0, vanished: 0 });
  });
});
