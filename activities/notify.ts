/**
 * notifyStakeholders' activities: make the plan (activities/intelligence/routing/plan.ts), then record each
 * recipient's notification with its lineage and hand it to their agent (`person:<personId>`), which decides when it
 * goes out. Both are idempotent: the plan is a read; recording is keyed by workflow id + recipient + content, and
 * an agent ignores a notice it already holds.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { NotifyInput, NotifyPlan, NotifyResult } from '../workflows/notify-defs';
import type { DeliveryChannels } from './delivery/channels';
import type { ActivityDeps } from './deps';
import { planNotification, UnknownSubjectError, type PlanWorld } from './intelligence/routing/plan';
import { signalPersonAgent, type PersonAgentOptions } from './person-requests';

export type NotifyActivityDeps = Pick<ActivityDeps, 'store' | 'decisions' | 'notifications' | 'personSettings' | 'coordination' | 'delivery' | 'temporal' | 'log' | 'now'> & {
  /** agents started on a server without search attributes (the time-skipping test server) */
  personAgents?: PersonAgentOptions;
};

/** The plan's read side over the stores (the `myc notify --dry-run` op builds the same). */
export function planWorldOf(deps: Pick<ActivityDeps, 'store' | 'decisions' | 'notifications' | 'personSettings' | 'coordination' | 'delivery'>): PlanWorld {
  // the calendar provider's free/busy, when one is configured; else the plan reads the stored meetings
  const freeBusy = deps.delivery && 'freeBusy' in deps.delivery ? (deps.delivery as Pick<DeliveryChannels, 'freeBusy'>).freeBusy() : undefined;
  return { store: deps.store, decisions: deps.decisions, notifications: deps.notifications, personSettings: deps.personSettings, ...deps.coordination, ...(freeBusy ? { freeBusy } : {}) };
}

export function createNotifyActivities(deps: NotifyActivityDeps) {
  const world = planWorldOf(deps);

  async function planStakeholderNotification(input: NotifyInput): Promise<NotifyPlan> {
    try {
      return await planNotification(world, input, deps.now());
    } catch (error) {
      if (error instanceof UnknownSubjectError) throw ApplicationFailure.nonRetryable(error.message, 'UnknownSubject');
      throw error;
    }
  }

  async function dispatchNotifications({ plan, workflowId, runId }: { plan: NotifyPlan; workflowId: string; runId: string }): Promise<NotifyResult['notifications']> {
    const recorded = await deps.notifications.recordPlanned(
      plan.recipients.map((r) => ({
        topicKey: plan.topicKey,
        recipientId: r.personId,
        role: r.role,
        roleReasons: r.roleReasons,
        medium: r.medium,
        mediumReason: r.mediumReason,
        channel: r.channel,
        urgency: plan.urgency,
        subject: r.subject,
        markdown: r.markdown,
        subjectKind: plan.subjectKind,
        ...(plan.subjectId ? { subjectId: plan.subjectId } : {}),
        sourceItemIds: r.sourceItemIds,
        workflowId,
        runId,
        ...(r.deliverAt ? { deliverAt: new Date(r.deliverAt) } : {}),
        ...(r.call ? { call: { slot: { start: new Date(r.call.start), end: new Date(r.call.end) }, attendeeIds: r.call.attendeeIds, organizerId: r.call.organizerId } } : {}),
      })),
    );
    const { client, taskQueue } = deps.temporal;
    const out: NotifyResult['notifications'] = [];
    for (const [i, r] of plan.recipients.entries()) {
      const n = recorded[i]!;
      Context.current().heartbeat(r.personId);
      await signalPersonAgent(
        client,
        taskQueue,
        r.personId,
        { notificationId: n.id, urgency: plan.urgency, medium: r.medium, channel: r.channel, ...(r.deliverAt ? { deliverAt: r.deliverAt } : {}) },
        deps.personAgents,
      );
      out.push({ personId: r.personId, notificationId: n.id, created: n.created });
    }
    deps.log.info({ topicKey: plan.topicKey, recipients: out.length, withheld: plan.withheld.length }, 'notifications handed to the person agents');
    return out;
  }

  return { planStakeholderNotification, dispatchNotifications };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
