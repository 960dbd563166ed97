/**
 * Brief activities: prepare (gather → compose → persist with lineage) and deliver (outbox).
 * Both are idempotent: the brief id is derived from the meeting and the workflow run, and the outbox
 * write is skipped when the same brief is already there.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PersonId } from '../schemas/entities';
import { OUTSIDE_OPT_IN } from '../schemas/entities';
import type { ActivityDeps } from './deps';
import { composeBrief } from './intelligence/brief';
import { collectAuthors, contextReads, gatherMeetingContext } from './intelligence/meeting-context';
import { composePersonalBrief, meetingAttendees, optedInNames } from './intelligence/personal-brief';
import { sharedContextReads } from './intelligence/shared-context-reads';
import type { PersonalBrief } from './memory/store';
import { startNotify } from './notify-requests';

export interface PrepareBriefInput {
  meetingId: string;
  /** the meeting time this brief is for, as the workflow knows it (a brief per time the meeting is at) */
  startsAt: string;
}

export interface PrepareBriefResult {
  briefId: string;
  citationCount: number;
  recipientCount: number;
}

export function createBriefActivities(deps: ActivityDeps) {
  async function prepareBrief({ meetingId, startsAt }: PrepareBriefInput): Promise<PrepareBriefResult> {
    const { workflowExecution } = Context.current().info;
    if (!workflowExecution) throw ApplicationFailure.nonRetryable('prepareBrief runs only inside a workflow', 'NoWorkflow');
    const meeting = await deps.store.getMeeting(meetingId);
    if (!meeting) {
      throw ApplicationFailure.nonRetryable(`meeting ${meetingId} is not in the store`, 'MeetingNotFound');
    }
    const now = deps.now();
    const namesOf = optedInNames((ids) => deps.store.peopleByIds(ids));
    // each opted-in attendee gets a brief of their own (what they alone may see), sent by the brief's telling: made
    // here with the shared one, from one read for all of them
    const attendees = meetingAttendees(meeting);
    const ownBriefFor = [...(await namesOf(attendees)).keys()];
    const views = [...(meeting.attendeeIds.length > 0 ? [meeting.attendeeIds] : []), ...ownBriefFor.map((p) => [p])];
    const reads = views.length > 0 ? sharedContextReads(deps.store, deps.decisions, views) : contextReads(deps.store, deps.decisions);
    const context = await gatherMeetingContext(reads, meeting, now);
    const names = await namesOf(context.recipients.concat(collectAuthors(context)));
    const nameOf = (id: PersonId | null | undefined): string => (id ? (names.get(id) ?? OUTSIDE_OPT_IN) : OUTSIDE_OPT_IN);

    const briefId = `brief_${createHash('sha256')
      .update(`${meetingId}\n${startsAt}\n${workflowExecution.workflowId}\n${workflowExecution.runId}`)
      .digest('hex')
      .slice(0, 20)}`;
    const brief = composeBrief(context, nameOf, {
      briefId,
      workflowId: workflowExecution.workflowId,
      runId: workflowExecution.runId,
      createdAt: now,
    });
    const personal: PersonalBrief[] = [];
    for (const recipientId of ownBriefFor) personal.push(await composePersonalBrief(reads, namesOf, briefId, meeting, recipientId, now));
    await deps.store.saveBrief(
      brief,
      brief.citations.map((c) => ({
        artifactType: 'brief' as const,
        artifactId: brief.id,
        itemId: c.itemId,
        position: c.position,
        workflowId: workflowExecution.workflowId,
        runId: workflowExecution.runId,
        activity: 'prepareBrief',
      })),
      personal,
    );
    deps.log.info({ meetingId, briefId, citations: brief.citations.length }, 'brief prepared');
    return { briefId, citationCount: brief.citations.length, recipientCount: brief.recipients.length };
  }

  async function deliverBrief({ briefId }: { briefId: string }): Promise<{ delivered: string[] }> {
    const brief = await deps.store.getBrief(briefId);
    if (!brief) throw ApplicationFailure.nonRetryable(`brief ${briefId} is not in the store`, 'BriefNotFound');
    const delivered = await deps.outbox.deliver({
      artifactId: brief.id,
      topic: `meeting ${brief.meetingId}`,
      recipients: brief.recipients,
      markdown: brief.markdown,
    });
    // the shared brief above is the meeting's record; each attendee is told through their agent, with their own brief
    await startNotify(deps.temporal.client, deps.temporal.taskQueue, { topicKey: `brief:${brief.id}`, about: { kind: 'brief', briefId: brief.id } });
    return { delivered };
  }

  return { prepareBrief, deliverBrief };
}
