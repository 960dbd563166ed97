/**
 * A person's agent (`person:<personId>`) as `me` and `why` show it: its live state by query, or why there is none.
 * Reading never starts an agent: it starts with the person's first notification, and a person who has none yet
 * should hear that, not find an idle workflow made for them.
 */
import { z } from 'zod';
import { Channel, Medium, Urgency } from '../../../schemas/routing';
import type { Stack } from '../../runtime';

const When = z.coerce.date();
const HhMmRange = z.object({ start: z.string(), end: z.string() });

/** What the agent works with: the directory's working time with the person's settings over it. */
export const EffectiveSettingsOut = z.object({
  timezone: z.string(),
  workingHours: HhMmRange,
  workingDays: z.array(z.number().int()).readonly().optional(),
  quietHours: HhMmRange.optional(),
  dndUntil: When.optional(),
  budgetPerDay: z.number().int(),
  digestTime: z.string(),
  preferredMediums: z.array(Medium),
  avoidedMediums: z.array(Medium),
});

export const QueuedOut = z.object({
  notificationId: z.string(),
  /** the notification's subject, when the store still has it */
  subject: z.string().optional(),
  urgency: Urgency,
  medium: Medium,
  channel: Channel,
  /** digest: waits for the next digest; held: goes out on its own at `until` */
  placement: z.enum(['digest', 'held']),
  until: When.optional(),
  receivedAt: When,
  reason: z.string(),
});

export const AgentStateOut = z.object({
  settings: EffectiveSettingsOut.optional(),
  queue: z.array(QueuedOut),
  /** notices taken but not placed yet */
  arriving: z.number().int(),
  /** interruptions left today (the person's local day); null before the agent read the settings */
  budgetLeft: z.number().int().nullable(),
  nextDigestAt: When.optional(),
  answersByMedium: z.record(z.string(), z.number().int()),
  recentlyDelivered: z.array(z.object({ notificationId: z.string(), via: z.enum(['direct', 'digest']), deliveryKey: z.string(), at: When })),
  /** runs so far (continue-as-new keeps its history small) */
  runs: z.number().int(),
});

export const AgentOut = z.object({
  workflowId: z.string(),
  /** a run is there to answer */
  running: z.boolean(),
  runId: z.string().optional(),
  /** the Temporal execution status of the latest run: RUNNING, COMPLETED, TERMINATED, … */
  status: z.string().optional(),
  uiLink: z.string().optional(),
  /** why there is no state to show */
  message: z.string().optional(),
  state: AgentStateOut.optional(),
});
export type AgentOut = z.input<typeof AgentOut>;

/** How long a state query may take: with no worker polling, a query would otherwise wait indefinitely. */
const QUERY_DEADLINE_MS = 10_000;

export async function personAgentView(stack: Stack, personId: string): Promise<AgentOut> {
  const [{ personWorkflowId }, { stateQuery }, { WorkflowNotFoundError }] = await Promise.all([
    import('../../../workflows/ids'),
    import('../../../workflows/person-defs'),
    import('@temporalio/client'),
  ]);
  const workflowId = personWorkflowId(personId);
  const handle = stack.client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      return { workflowId, running: false, message: 'no agent yet: it starts with your first notification, and reads your settings then' };
    }
    throw error;
  }
  const runId = description.runId;
  const status = description.status.name;
  const base = { workflowId, runId, status, uiLink: stack.uiLink(workflowId, runId) };
  if (status !== 'RUNNING') {
    return { ...base, running: false, message: `the agent's latest run is ${status.toLowerCase()}; your next notification starts it again` };
  }
  let state;
  try {
    state = await stack.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(stateQuery));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ...base, running: true, message: `the agent did not answer its state query (${reason}); is a worker running (myc serve)?` };
  }
  const subjects = new Map((await stack.notifications.getMany(state.queue.map((q) => q.notificationId))).map((n) => [n.id, n.subject]));
  return {
    ...base,
    running: true,
    state: {
      ...(state.settings ? { settings: state.settings } : {}),
      queue: state.queue.map((q) => ({
        notificationId: q.notificationId,
        ...(subjects.has(q.notificationId) ? { subject: subjects.get(q.notificationId)! } : {}),
        urgency: q.urgency,
        medium: q.medium,
        channel: q.channel,
        placement: q.placement,
        ...(q.until ? { until: q.until } : {}),
        receivedAt: q.receivedAt,
        reason: q.reason,
      })),
      arriving: state.arriving.length,
      budgetLeft: state.budgetLeft,
      ...(state.nextDigestAt ? { nextDigestAt: state.nextDigestAt } : {}),
      answersByMedium: state.answersByMedium,
      recentlyDelivered: state.recentlyDelivered,
      runs: state.runs,
    },
  };
}
