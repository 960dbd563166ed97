/**
 * Each attendee's own brief of a meeting: gathered on their behalf alone (viewers = them), so nothing only others
 * may see is in it. Made beside the meeting's shared brief from the same reads (prepareBrief), and by the brief's
 * telling for an attendee who has none stored.
 */
import { createHash } from 'node:crypto';
import { OUTSIDE_OPT_IN, type Meeting, type Person, type PersonId } from '../../schemas/entities';
import type { PersonalBrief } from '../memory/store';
import { composeBrief } from './brief';
import { collectAuthors, gatherMeetingContext, type MeetingContextReads } from './meeting-context';

/** Names of opted-in people, read once each (the people's store read behind it is the caller's). */
export function optedInNames(peopleByIds: (ids: PersonId[]) => Promise<Person[]>): (ids: PersonId[]) => Promise<Map<PersonId, string>> {
  const known = new Map<PersonId, string | undefined>();
  return async (ids) => {
    const missing = [...new Set(ids)].filter((id) => !known.has(id));
    if (missing.length > 0) {
      const found = new Map((await peopleByIds(missing)).map((p) => [p.id, p]));
      for (const id of missing) known.set(id, found.get(id)?.optedIn ? found.get(id)!.name : undefined);
    }
    return new Map(ids.flatMap((id) => (known.get(id) === undefined ? [] : [[id, known.get(id)!] as const])));
  };
}

export async function composePersonalBrief(
  reads: MeetingContextReads,
  namesOf: (ids: PersonId[]) => Promise<Map<PersonId, string>>,
  briefId: string,
  meeting: Meeting,
  recipientId: PersonId,
  now: Date,
): Promise<PersonalBrief> {
  const context = await gatherMeetingContext(reads, meeting, now, undefined, [recipientId]);
  const names = await namesOf(collectAuthors(context));
  const brief = composeBrief({ ...context, recipients: [recipientId] }, (id) => (id ? (names.get(id) ?? OUTSIDE_OPT_IN) : OUTSIDE_OPT_IN), {
    briefId: `${briefId}-${createHash('sha256').update(recipientId).digest('hex').slice(0, 8)}`,
    workflowId: 'notify',
    runId: 'per-recipient',
    createdAt: now,
  });
  return { recipientId, markdown: brief.markdown, sourceItemIds: [...new Set(brief.citations.map((c) => c.itemId))] };
}

/** Who a meeting's brief goes to: its organizer and attendees. */
export function meetingAttendees(meeting: Pick<Meeting, 'organizerId' | 'attendeeIds'>): PersonId[] {
  return [...new Set([...(meeting.organizerId ? [meeting.organizerId] : []), ...meeting.attendeeIds])];
}
