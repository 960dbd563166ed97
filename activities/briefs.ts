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
    const context = await gatherMeetingContext(contextReads(deps.store, deps.decisions), meeting, deps.now());
    const people = await deps.store.peopleByIds(context.recipients.concat(collectAuthors(context)));
    const names = new Map(people.filter((p) => p.optedIn).map((p) => [p.id, p.name]));
    const nameOf = (id: PersonId | null | undefined): string => (id ? (names.get(id) ?? OUTSIDE_OPT_IN) : OUTSIDE_OPT_IN);

    const briefId = `brief_${createHash('sha256')
      .update(`${meetingId}\n${startsAt}\n${workflowExecution.workflowId}\n${workflowExecution.runId}`)
      .digest('hex')
      .slice(0, 20)}`;
    const brief = composeBrief(context, nameOf, {
      briefId,
      workflowId: workflowExecution.workflowId,
      runId: workflowExecution.runId,
      createdAt: deps.now(),
    });
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
