/**
 * The no-op activities of P1's baseline: each returns at once and touches no store. The two that hand work on do
 * what ours do with Temporal, and nothing else: noopDeliver starts the telling's run (as deliverBrief starts
 * notifyStakeholders), noopDispatch signals each recipient's agent with signal-with-start (as dispatchNotifications
 * does). Built from the client and queue they start on, like the app's activities.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { noopNoticeSignal, noopNotifyWorkflowId, noopPersonWorkflowId, type NoopNotifyInput, type NoopPersonInput } from './defs';

export interface NoopDeps {
  client: Client;
  taskQueue: string;
  /** the agents' budget of sends a day, as the bench's people have it */
  budgetPerDay: number;
  /** keeps this run's ids apart from any earlier run's on the same server */
  runTag: string;
  /** notices sent (noopDeliverNotice calls), for the activity count */
  sent: { count: number };
}

export function createNoopActivities(deps: NoopDeps) {
  return {
    async noopPrepare({ meetingId }: { meetingId: string }): Promise<{ briefId: string }> {
      return { briefId: `noop-${meetingId}` };
    },
    async noopDeliver({ briefId, attendeeIds }: { briefId: string; attendeeIds: string[] }): Promise<{ delivered: string[] }> {
      await deps.client.workflow.start('noopNotify', {
        workflowId: noopNotifyWorkflowId(deps.runTag, briefId),
        taskQueue: deps.taskQueue,
        args: [{ briefId, attendeeIds } satisfies NoopNotifyInput],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      return { delivered: [briefId] };
    },
    async noopPlan({ attendeeIds }: NoopNotifyInput): Promise<{ recipients: string[] }> {
      return { recipients: attendeeIds };
    },
    async noopDispatch({ briefId, recipients }: { briefId: string; recipients: string[] }): Promise<number> {
      for (const personId of recipients) {
        Context.current().heartbeat(personId);
        await deps.client.workflow.signalWithStart('noopPerson', {
          workflowId: noopPersonWorkflowId(deps.runTag, personId),
          taskQueue: deps.taskQueue,
          args: [{ personId } satisfies NoopPersonInput],
          signal: noopNoticeSignal,
          signalArgs: [`${briefId}:${personId}`],
        });
      }
      return recipients.length;
    },
    async noopLoadSettings(_personId: string): Promise<{ budgetPerDay: number }> {
      return { budgetPerDay: deps.budgetPerDay };
    },
    async noopDeliverNotice(noticeId: string): Promise<{ deliveryKey: string }> {
      deps.sent.count++;
      return { deliveryKey: noticeId };
    },
  };
}

export type NoopActivities = ReturnType<typeof createNoopActivities>;
