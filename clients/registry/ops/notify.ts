/**
 * `notify`: tell the right people about a decision or a piece of text, through notifyStakeholders. The plan —
 * recipients, role, medium and the reasons for both, and who should know but may not see the source — is the
 * same whether it is only shown (`--dry-run`) or sent.
 */
import { z } from 'zod';
import { Channel, Medium, MessageKind, StakeholderRole, Urgency } from '../../../schemas/routing';
import { NotFoundError } from '../errors';
import { defineOperation } from '../operation';
import { As, Count, Flag } from './fields';

const PlannedMessageOut = z.object({
  personId: z.string(),
  name: z.string(),
  role: StakeholderRole,
  roleReasons: z.array(z.string()),
  score: z.number(),
  medium: Medium,
  channel: Channel,
  mediumReason: z.string(),
  deliverAt: z.string().optional(),
  subject: z.string(),
  markdown: z.string(),
  sourceItemIds: z.array(z.string()),
  call: z.object({ start: z.string(), end: z.string(), attendeeIds: z.array(z.string()), organizerId: z.string() }).optional(),
});

export const NotifyPlanOut = z.object({
  topicKey: z.string(),
  subjectKind: z.enum(['decision', 'text', 'brief', 'follow-up']),
  subjectId: z.string().optional(),
  title: z.string(),
  kind: MessageKind,
  urgency: Urgency,
  askerId: z.string(),
  recipients: z.array(PlannedMessageOut),
  withheld: z.array(z.object({ personId: z.string(), name: z.string(), note: z.string() })),
  notes: z.array(z.string()),
  considered: z.number(),
});

export const notifyOperation = defineOperation({
  name: 'notify',
  description:
    'Tell the people who need to know about a decision (its id) or a piece of text: who (decide, consult, inform), through which medium, and why; --dry-run only shows the plan.',
  scope: 'write',
  actsAs: true,
  needsWorker: true,
  http: { method: 'POST', path: '/v1/notify' },
  input: z.object({
    as: As.describe('who is telling (an email); only an admin token may name someone else'),
    about: z.string().trim().min(1, 'say what to tell: a decision id (see `myc decisions`) or the text itself').max(20_000, 'at most 20,000 characters'),
    title: z.string().trim().max(200).optional().describe('a subject line for free text'),
    urgency: Urgency.optional().describe('how urgent free text is (default: read from the text)'),
    dryRun: Flag.default(false).describe('print the plan and send nothing'),
    timeoutMs: Count({ min: 1000, max: 600_000 }).default(120_000).describe('how long to wait for the plan to be dispatched'),
  }),
  output: z.object({
    dryRun: z.boolean(),
    plan: NotifyPlanOut,
    notifications: z.array(z.object({ personId: z.string(), notificationId: z.string(), created: z.boolean() })),
    workflowId: z.string().optional(),
    runId: z.string().optional(),
    uiLink: z.string().optional(),
  }),
  async handler(context, input) {
    const stack = await context.stack();
    const personId = input.as!;
    const { notifyRequest, previewNotification, sendNotification } = await import('../../notify');
    const decision = await stack.decisions.getDecision(input.about, { visibleTo: [personId] });
    if (!decision && /^dec_[0-9a-f]{24}$/.test(input.about)) throw new NotFoundError(`no decision "${input.about}" that you may see (list them with \`myc decisions\`)`);
    const request = notifyRequest(personId, decision ? { decisionId: decision.id } : { text: input.about, ...(input.title ? { title: input.title } : {}), ...(input.urgency ? { urgency: input.urgency } : {}) });
    if (input.dryRun) return { dryRun: true, plan: await previewNotification(stack, request), notifications: [] };
    const result = await sendNotification(stack, request, input.timeoutMs);
    return { dryRun: false, plan: result.plan, notifications: result.notifications, workflowId: result.workflowId, runId: result.runId, uiLink: stack.uiLink(result.workflowId, result.runId) };
  },
});
