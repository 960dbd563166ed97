/**
 * `why <notificationId>`: "why was I notified?" — the topic, the role the routing gave the person and its reasons,
 * the medium and its reason, the sources (as the recipient may see them), the workflow run that planned it (with
 * its Temporal UI link), and where the notification is now: waiting in the agent, or delivered under which key.
 *
 * Only the recipient, or an admin token, may ask: to anyone else a notification does not exist.
 */
import { z } from 'zod';
import { NotificationStatus } from '../../../activities/memory/notifications';
import { OUTSIDE_OPT_IN } from '../../../schemas/entities';
import { Channel, Medium, StakeholderRole, Urgency } from '../../../schemas/routing';
import type { Stack } from '../../runtime';
import { NotFoundError } from '../errors';
import { defineOperation } from '../operation';
import { personAgentView } from './person-agent-view';

const When = z.coerce.date();

const SourceOut = z.object({
  itemId: z.string(),
  /** false: the recipient may not see this source, so nothing of it is shown */
  maySee: z.boolean(),
  kind: z.string().optional(),
  title: z.string().optional(),
  /** where to find it: a URL, or a file path with an anchor */
  locator: z.string().optional(),
  author: z.string().nullable().optional(),
  occurredAt: When.optional(),
});

export const WhyOut = z.object({
  notificationId: z.string(),
  recipient: z.object({ id: z.string(), name: z.string().nullable() }),
  subject: z.string(),
  topicKey: z.string(),
  /** what it is about: a decision, an action item, a question, a brief, free text */
  about: z.object({ kind: z.string(), id: z.string().optional() }),
  role: StakeholderRole,
  roleReasons: z.array(z.string()),
  medium: Medium,
  channel: Channel,
  mediumReason: z.string(),
  urgency: Urgency,
  sources: z.array(SourceOut),
  /** the notifyStakeholders run that planned it */
  workflow: z.object({ workflowId: z.string(), runId: z.string(), uiLink: z.string().optional() }),
  status: NotificationStatus,
  createdAt: When,
  deliverAt: When.optional(),
  sentAt: When.nullable(),
  /** the send that carried it (its own, or a digest's), when one began */
  delivery: z
    .object({
      key: z.string(),
      kind: z.enum(['notification', 'digest']),
      medium: z.string(),
      channelName: z.string(),
      status: z.enum(['sending', 'sent']),
      attempts: z.number().int(),
      providerRef: z.string().nullable(),
      sentAt: When.nullable(),
    })
    .nullable(),
  /** where it waits in the recipient's agent, and why, when it has not gone out yet */
  waiting: z.object({ placement: z.enum(['digest', 'held']), reason: z.string(), until: When.optional() }).optional(),
  /** the same, in sentences a person reads */
  explanation: z.array(z.string()),
});
type WhyOut = z.input<typeof WhyOut>;

async function sourcesOf(stack: Stack, notificationId: string, recipientId: string): Promise<z.input<typeof SourceOut>[]> {
  const lineage = await stack.store.lineageOf(notificationId);
  const ids = [...new Set(lineage.map((l) => l.itemId))];
  const items = new Map((await stack.store.getItems(ids)).map((i) => [i.id, i]));
  const authors = new Map(
    (await stack.store.peopleByIds([...new Set([...items.values()].flatMap((i) => (i.authorId ? [i.authorId] : [])))])).map((p) => [p.id, p]),
  );
  return ids.map((itemId) => {
    const item = items.get(itemId);
    // what the recipient may not see stays unseen here too: the notification carried none of it
    if (!item || !item.access.includes(recipientId)) return { itemId, maySee: false };
    const author = item.authorId ? authors.get(item.authorId) : undefined;
    return {
      itemId,
      maySee: true,
      kind: item.kind,
      title: item.title ?? snippet(item.body),
      locator: item.locator,
      author: item.authorId ? (author?.optedIn ? author.name : OUTSIDE_OPT_IN) : null,
      occurredAt: item.occurredAt,
    };
  });
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

function explain(w: Omit<WhyOut, 'explanation'>): string[] {
  const about = w.about.id ? `${w.about.kind} ${w.about.id}` : w.about.kind;
  const lines = [`"${w.subject}" (${about}, topic ${w.topicKey}) reached you to ${w.role}: ${w.roleReasons.length ? w.roleReasons.join('; ') : 'no reason was recorded'}.`];
  lines.push(`By ${w.medium} (${w.channel} channel, ${w.urgency} urgency): ${w.mediumReason}`);
  const hidden = w.sources.filter((s) => !s.maySee).length;
  if (w.sources.length > 0) lines.push(`Built from ${w.sources.length} source${w.sources.length === 1 ? '' : 's'}${hidden ? ` (${hidden} you may not see, so not shown)` : ''}.`);
  if (w.delivery?.status === 'sent') lines.push(`Sent ${w.delivery.kind === 'digest' ? 'in your digest' : 'on its own'} through ${w.delivery.channelName}, key ${w.delivery.key}.`);
  else if (w.delivery) lines.push(`Being sent through ${w.delivery.channelName} (key ${w.delivery.key}, attempt ${w.delivery.attempts}).`);
  else if (w.waiting) lines.push(`Waiting ${w.waiting.placement === 'digest' ? 'for your next digest' : 'in your agent'}: ${w.waiting.reason}.`);
  else lines.push('Planned; your agent has not placed it yet.');
  lines.push(`Planned by workflow ${w.workflow.workflowId}, run ${w.workflow.runId}${w.workflow.uiLink ? `: ${w.workflow.uiLink}` : ''}.`);
  return lines;
}

export const whyOperation = defineOperation({
  name: 'why',
  description:
    'Why was I notified? For one of your notifications: its topic, your role and the reasons, the medium and its reason, the sources, the workflow run that planned it (Temporal UI link) and its delivery.',
  scope: 'read',
  http: { method: 'GET', path: '/v1/notifications/:notificationId/why' },
  input: z.object({
    notificationId: z.string().trim().min(1, 'name the notification (its id, as `myc me` lists it)').max(200),
  }),
  output: WhyOut,
  async handler(context, input) {
    const stack = await context.stack();
    const { principal } = context;
    const n = await stack.notifications.get(input.notificationId);
    // another person's notification is as unknown as a missing one: its id tells nobody else anything
    if (!n || (n.recipientId !== principal.personId && principal.scope !== 'admin')) {
      const whose = principal.scope === 'admin' ? '' : ' of yours';
      throw new NotFoundError(`why: no notification ${input.notificationId}${whose} (\`myc me\` lists yours)`);
    }
    const [sources, recipient, delivery] = await Promise.all([
      sourcesOf(stack, n.id, n.recipientId),
      stack.store.getPerson(n.recipientId),
      n.deliveryKey ? stack.notifications.getDelivery(n.deliveryKey) : Promise.resolve(undefined),
    ]);
    let waiting: WhyOut['waiting'];
    if (n.status === 'planned') {
      const agent = await personAgentView(stack, n.recipientId);
      const queued = agent.state?.queue.find((q) => q.notificationId === n.id);
      if (queued) waiting = { placement: queued.placement, reason: queued.reason, ...(queued.until ? { until: queued.until } : {}) };
    }
    const why: Omit<WhyOut, 'explanation'> = {
      notificationId: n.id,
      recipient: { id: n.recipientId, name: recipient?.name ?? null },
      subject: n.subject,
      topicKey: n.topicKey,
      about: { kind: n.subjectKind, ...(n.subjectId ? { id: n.subjectId } : {}) },
      role: n.role,
      roleReasons: n.roleReasons,
      medium: n.medium,
      channel: n.channel,
      mediumReason: n.mediumReason,
      urgency: n.urgency,
      sources,
      workflow: { workflowId: n.workflowId, runId: n.runId, ...(stack.uiLink(n.workflowId, n.runId) ? { uiLink: stack.uiLink(n.workflowId, n.runId)! } : {}) },
      status: n.status,
      createdAt: n.createdAt,
      ...(n.deliverAt ? { deliverAt: n.deliverAt } : {}),
      sentAt: n.sentAt,
      delivery: delivery
        ? {
            key: delivery.idempotencyKey,
            kind: delivery.kind,
            medium: delivery.medium,
            channelName: delivery.channelName,
            status: delivery.status,
            attempts: delivery.attempts,
            providerRef: delivery.providerRef,
            sentAt: delivery.sentAt,
          }
        : null,
      ...(waiting ? { waiting } : {}),
    };
    return { ...why, explanation: explain(why) };
  },
});
