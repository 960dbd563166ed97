/**
 * watchCalendar — one reconcile of a calendar's upcoming events with their meeting workflows
 * (id `calendar-watch:<calendarId>`), run by its Temporal Schedule every `temporalConfig.schedules.watchCalendars`.
 * The work is one activity (activities/calendar.ts), the same one every sync ends with.
 */
import { log, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { temporalConfig } from '../temporal.config';
import type { WatchCalendarInput, WatchCalendarResult } from './calendar-watch-defs';
import { CalendarIdAttribute } from './search-attributes';

export * from './calendar-watch-defs';

const { reconcileCalendar } = proxyActivities<Activities>({
  ...temporalConfig.activities.store,
  // one signal per upcoming meeting: a busy calendar takes a while, and heartbeats say it is alive
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
});

export async function watchCalendar({ calendarId }: WatchCalendarInput): Promise<WatchCalendarResult> {
  upsertSearchAttributes([{ key: CalendarIdAttribute, value: calendarId }]);
  const result = await reconcileCalendar({ calendarId });
  log.info('calendar reconciled', { ...result });
  return result;
}
