/**
 * The contract of watchCalendar (workflows/calendar-watch.ts). Imports nothing but types, so schedules and clients
 * start it by name.
 */
export const CALENDAR_WATCH_WORKFLOW_TYPE = 'watchCalendar';

export interface WatchCalendarInput {
  calendarId: string;
}

export interface WatchCalendarResult {
  calendarId: string;
  /** upcoming meetings whose run was started or told their current time and attendees */
  ensured: number;
  cancelled: number;
  vanished: number;
}

export type WatchCalendar = (input: WatchCalendarInput) => Promise<WatchCalendarResult>;
