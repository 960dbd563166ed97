/**
 * Workflow ids are business keys: starting "the same" workflow twice finds the running one,
 * which is what makes every "ensure" idempotent. One builder per workflow, used by every caller.
 */
export const meetingWorkflowId = (meetingId: string): string => `meeting:${meetingId}`;
export const syncWorkflowId = (sourceId: string): string => `sync:${sourceId}`;
/** The schedule's tick for a source: it only asks `sync:<sourceId>` for a pass (Temporal appends the tick's time). */
export const scheduledSyncWorkflowId = (sourceId: string): string => `sync-request:${sourceId}`;
/** The push upkeep's tick for a source (Temporal appends the tick's time). */
export const pushUpkeepWorkflowId = (sourceId: string): string => `push:${sourceId}`;
export const decisionWorkflowId = (decisionId: string): string => `decision:${decisionId}`;
/** An action item's follow-up lives beside the decisions': `decision:action:<actionId>`. */
export const actionFollowUpWorkflowId = (actionId: string): string => `decision:action:${actionId}`;
export const followUpWorkflowId = (kind: 'decision' | 'action', id: string): string =>
  kind === 'decision' ? decisionWorkflowId(id) : actionFollowUpWorkflowId(id);
export const notifyWorkflowId = (topicKey: string): string => `notify:${topicKey}`;
/** A person's own agent: their digest queue, quiet hours and attention budget. */
export const personWorkflowId = (personId: string): string => `person:${personId.trim().toLowerCase()}`;
export const calendarWatchWorkflowId = (calendarId: string): string => `calendar-watch:${calendarId}`;

/** A meeting id is `${calendarId}:${eventId}`; the calendar id never contains ':'. */
export function meetingIdOf(calendarId: string, eventId: string): string {
  if (calendarId.includes(':')) throw new Error(`calendar id "${calendarId}" must not contain ':'`);
  return `${calendarId}:${eventId}`;
}

/** The calendar a meeting id belongs to (the part before the first ':'). */
export function calendarIdOf(meetingId: string): string {
  return meetingId.slice(0, Math.max(0, meetingId.indexOf(':')));
}
