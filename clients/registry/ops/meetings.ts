/** Meetings and their briefs. */
import { z } from 'zod';
import { BriefOut, MeetingOut } from '../../../schemas/api';
import { NotFoundError } from '../errors';
import { defineOperation, type OperationContext } from '../operation';
import { Count, Flag } from './fields';

export const meetingsOperation = defineOperation({
  name: 'meetings',
  description: 'Upcoming meetings, soonest first (only those the asking person attends, unless the token is an admin).',
  scope: 'read',
  http: { method: 'GET', path: '/v1/meetings' },
  input: z.object({
    from: z.coerce.date({ message: 'a date (ISO 8601)' }).optional(),
    limit: Count({ max: 500 }).default(20),
    includeCancelled: Flag.default(false),
  }),
  output: z.array(MeetingOut),
  async handler(context, input) {
    const { meetings } = await import('../../operations');
    const found = await meetings(await context.stack(), { ...input, limit: 500 });
    return found.filter((m) => mayReadMeeting(context, m)).slice(0, input.limit);
  },
});

const MeetingRef = z.object({
  meetingId: z.string().trim().min(1, 'name the meeting (its id, as `myc meetings` lists it)'),
});

export const briefPrepareOperation = defineOperation({
  name: 'brief_prepare',
  description: "Prepare the meeting's brief now (whatever the lead time) through its ensureMeetingHasContext workflow, and return it with its sources.",
  scope: 'write',
  needsWorker: true,
  http: { method: 'POST', path: '/v1/meetings/:meetingId/brief' },
  input: MeetingRef.extend({
    timeoutMs: Count({ min: 1000, max: 600_000 }).default(120_000).describe('how long to wait for the brief'),
  }),
  output: BriefOut,
  async handler(context, input) {
    const stack = await context.stack();
    await readableMeeting(context, input.meetingId);
    const { brief } = await import('../../operations');
    return brief(stack, input);
  },
});

export const briefShowOperation = defineOperation({
  name: 'brief_show',
  description: "The meeting's latest brief, as delivered (no new one is prepared).",
  scope: 'read',
  http: { method: 'GET', path: '/v1/meetings/:meetingId/brief' },
  resource: { uriTemplate: 'mycelium://briefs/{meetingId}', name: 'brief', description: "A meeting's latest brief as JSON: sections, citations and the Markdown text" },
  input: MeetingRef,
  output: BriefOut,
  async handler(context, input) {
    const stack = await context.stack();
    const meeting = await readableMeeting(context, input.meetingId);
    const brief = await stack.store.latestBrief(meeting.id);
    if (!brief) throw new NotFoundError(`brief_show: meeting "${meeting.title}" has no brief yet (prepare one with \`myc brief ${meeting.id}\`)`);
    return { meeting, brief, workflowId: brief.workflowId, runId: brief.runId, uiLink: stack.uiLink(brief.workflowId, brief.runId) };
  },
});

/** Admins see every meeting; anyone else the meetings they attend or organize. */
export function mayReadMeeting(context: OperationContext, meeting: { attendeeIds: string[]; organizerId: string | null }): boolean {
  const { principal } = context;
  return principal.scope === 'admin' || meeting.attendeeIds.includes(principal.personId) || meeting.organizerId === principal.personId;
}

async function readableMeeting(context: OperationContext, meetingId: string) {
  const stack = await context.stack();
  const meeting = await stack.store.getMeeting(meetingId);
  // a meeting someone may not read does not exist, for them
  if (!meeting || !mayReadMeeting(context, meeting)) throw new NotFoundError(`no meeting "${meetingId}" (list them with \`myc meetings\`)`);
  return meeting;
}
