/**
 * Notifications and their deliveries (migration 008). notifyStakeholders records what it planned for each recipient,
 * with lineage; the recipient's agent delivers it, alone or in a digest, through the delivery ledger:
 *
 *   beginDelivery  inserts the send under its idempotency key ('sending') in one transaction, or reports what an
 *                  earlier attempt left (still 'sending': maybe sent; 'sent': the receipt)
 *   confirmDelivery marks it 'sent' with the provider's reference, and every notification it carried
 *
 * so a send is recorded before it happens and a retry never sends twice without first asking the provider.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Channel, Interval, Medium, StakeholderRole, Urgency } from '../../schemas/routing';
import type { Db, LineageEntry, Sql } from './ports';

export const NotificationStatus = z.enum(['planned', 'sending', 'sent']);
export type NotificationStatus = z.infer<typeof NotificationStatus>;

/** What notifyStakeholders plans for one recipient. */
export const PlannedNotification = z.object({
  topicKey: z.string().min(1),
  recipientId: z.string().min(1),
  role: StakeholderRole,
  roleReasons: z.array(z.string()).default([]),
  medium: Medium,
  mediumReason: z.string(),
  channel: Channel,
  urgency: Urgency,
  /** the title a person sees first (chat preview, email subject, digest line) */
  subject: z.string(),
  /** the content for this recipient (only what they may see) */
  markdown: z.string(),
  subjectKind: z.string().min(1),
  subjectId: z.string().optional(),
  /** the items it was built from → lineage */
  sourceItemIds: z.array(z.string()).default([]),
  workflowId: z.string().min(1),
  runId: z.string().min(1),
  /** not before this time (a medium policy's slot, the recipient's next working hours) */
  deliverAt: z.coerce.date().optional(),
  /** for chat_channel: the channel to post in */
  chatChannel: z.string().optional(),
  /** for call: the slot and who is invited (person ids) */
  call: z.object({ slot: Interval, attendeeIds: z.array(z.string()), organizerId: z.string() }).optional(),
});
export type PlannedNotification = z.input<typeof PlannedNotification>;

export interface NotificationRecord extends Omit<z.output<typeof PlannedNotification>, 'sourceItemIds'> {
  id: string;
  idempotencyKey: string;
  status: NotificationStatus;
  /** the delivery that carried it (its own key, or a digest's) */
  deliveryKey: string | null;
  providerRef: string | null;
  sentAt: Date | null;
  createdAt: Date;
}

export type DeliveryKind = 'notification' | 'digest';

export interface DeliveryRecord {
  idempotencyKey: string;
  kind: DeliveryKind;
  personId: string;
  medium: string;
  channelName: string;
  notificationIds: string[];
  status: 'sending' | 'sent';
  attempts: number;
  providerRef: string | null;
  foundSent: boolean;
  startedAt: Date;
  sentAt: Date | null;
}

/** What beginDelivery found: a fresh record (send now), an unconfirmed earlier attempt, or a confirmed send. */
export type DeliveryStart = { state: 'new'; delivery: DeliveryRecord } | { state: 'sending'; delivery: DeliveryRecord } | { state: 'sent'; delivery: DeliveryRecord };

/**
 * The key of one recipient's notification from one workflow with one content: `ntf-` + 28 hex digits of
 * sha256(workflow id, recipient, sha256(subject, markdown)). It is the notification's id and its sends' idempotency
 * key (ascii, 32 characters).
 */
export function notificationKey(n: { workflowId: string; recipientId: string; subject: string; markdown: string }): string {
  const content = createHash('sha256').update(`${n.subject}\u0000${n.markdown}`).digest('hex');
  const key = createHash('sha256').update(`${n.workflowId}\u0000${n.recipientId.trim().toLowerCase()}\u0000${content}`).digest('hex');
  return `ntf-${key.slice(0, 28)}`;
}

interface NotificationRow {
  id: string;
  topic_key: string;
  recipient_id: string;
  role: z.infer<typeof StakeholderRole>;
  role_reasons: string[];
  medium: Medium;
  medium_reason: string;
  channel: Channel;
  urgency: Urgency;
  subject: string;
  markdown: string;
  subject_kind: string;
  subject_id: string | null;
  target: { chatChannel?: string; call?: { slot: { start: string; end: string }; attendeeIds: string[]; organizerId: string } };
  workflow_id: string;
  run_id: string;
  idempotency_key: string;
  deliver_at: Date | string | null;
  status: NotificationStatus;
  delivery_key: string | null;
  provider_ref: string | null;
  sent_at: Date | string | null;
  created_at: Date | string;
}

interface DeliveryRow {
  idempotency_key: string;
  kind: DeliveryKind;
  person_id: string;
  medium: string;
  channel_name: string;
  notification_ids: string[];
  status: 'sending' | 'sent';
  attempts: number;
  provider_ref: string | null;
  found_sent: boolean;
  started_at: Date | string;
  sent_at: Date | string | null;
}

const NOTIFICATION_COLUMNS =
  'id, topic_key, recipient_id, role, role_reasons, medium, medium_reason, channel, urgency, subject, markdown, subject_kind, subject_id, target, workflow_id, run_id, idempotency_key, deliver_at, status, delivery_key, provider_ref, sent_at, created_at';
const DELIVERY_COLUMNS = 'idempotency_key, kind, person_id, medium, channel_name, notification_ids, status, attempts, provider_ref, found_sent, started_at, sent_at';

const maybeDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function notificationFromRow(r: NotificationRow): NotificationRecord {
  const call = r.target.call;
  return {
    id: r.id,
    topicKey: r.topic_key,
    recipientId: r.recipient_id,
    role: r.role,
    roleReasons: r.role_reasons,
    medium: r.medium,
    mediumReason: r.medium_reason,
    channel: r.channel,
    urgency: r.urgency,
    subject: r.subject,
    markdown: r.markdown,
    subjectKind: r.subject_kind,
    ...(r.subject_id !== null ? { subjectId: r.subject_id } : {}),
    ...(r.target.chatChannel ? { chatChannel: r.target.chatChannel } : {}),
    ...(call ? { call: { ...call, slot: { start: new Date(call.slot.start), end: new Date(call.slot.end) } } } : {}),
    workflowId: r.workflow_id,
    runId: r.run_id,
    idempotencyKey: r.idempotency_key,
    ...(r.deliver_at !== null ? { deliverAt: new Date(r.deliver_at) } : {}),
    status: r.status,
    deliveryKey: r.delivery_key,
    providerRef: r.provider_ref,
    sentAt: maybeDate(r.sent_at),
    createdAt: new Date(r.created_at),
  };
}

function deliveryFromRow(r: DeliveryRow): DeliveryRecord {
  return {
    idempotencyKey: r.idempotency_key,
    kind: r.kind,
    personId: r.person_id,
    medium: r.medium,
    channelName: r.channel_name,
    notificationIds: r.notification_ids,
    status: r.status,
    attempts: Number(r.attempts),
    providerRef: r.provider_ref,
    foundSent: r.found_sent,
    startedAt: new Date(r.started_at),
    sentAt: maybeDate(r.sent_at),
  };
}

export class NotificationStore {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  /**
   * Records planned notifications with their lineage, all in one transaction. Idempotent: an entry whose key
   * exists already records nothing (created: false), so a retried or replayed activity never plans twice.
   */
  async recordPlanned(entries: readonly PlannedNotification[]): Promise<{ id: string; idempotencyKey: string; created: boolean }[]> {
    const planned = entries.map((raw) => PlannedNotification.parse(raw));
    // one transaction for the plan: its notifications are recorded all together or not at all
    return this.#db.transaction(async (tx) => {
      const results: { id: string; idempotencyKey: string; created: boolean }[] = [];
      for (const e of planned) {
        const id = notificationKey(e);
        const target = { ...(e.chatChannel ? { chatChannel: e.chatChannel } : {}), ...(e.call ? { call: e.call } : {}) };
        const { rows } = await tx.query(
          `INSERT INTO notifications (id, topic_key, recipient_id, role, role_reasons, medium, medium_reason, channel, urgency, subject,
                                      markdown, subject_kind, subject_id, target, workflow_id, run_id, idempotency_key, deliver_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $1, $17)
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [
            id,
            e.topicKey,
            e.recipientId.trim().toLowerCase(),
            e.role,
            JSON.stringify(e.roleReasons),
            e.medium,
            e.mediumReason,
            e.channel,
            e.urgency,
            e.subject,
            e.markdown,
            e.subjectKind,
            e.subjectId ?? null,
            JSON.stringify(target),
            e.workflowId,
            e.runId,
            e.deliverAt ?? null,
          ],
        );
        const created = rows.length > 0;
        if (created) {
          const lineage: LineageEntry[] = [...new Set(e.sourceItemIds)].map((itemId) => ({
            artifactType: 'notification',
            artifactId: id,
            itemId,
            workflowId: e.workflowId,
            runId: e.runId,
            activity: 'recordPlanned',
          }));
          await insertLineage(tx, lineage);
        }
        results.push({ id, idempotencyKey: id, created });
      }
      return results;
    });
  }

  async get(id: string): Promise<NotificationRecord | undefined> {
    const { rows } = await this.#db.query<NotificationRow>(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1`, [id]);
    return rows[0] && notificationFromRow(rows[0]);
  }

  async getMany(ids: readonly string[]): Promise<NotificationRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#db.query<NotificationRow>(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = ANY($1::text[])`, [[...ids]]);
    const byId = new Map(rows.map((r) => [r.id, notificationFromRow(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** A person's notifications, newest first. */
  async listFor(personId: string, opts: { status?: NotificationStatus | NotificationStatus[]; limit?: number } = {}): Promise<NotificationRecord[]> {
    const statuses = opts.status === undefined ? NotificationStatus.options : Array.isArray(opts.status) ? opts.status : [opts.status];
    const { rows } = await this.#db.query<NotificationRow>(
      `SELECT ${NOTIFICATION_COLUMNS} FROM notifications
       WHERE recipient_id = $1 AND status = ANY($2::text[]) ORDER BY created_at DESC, id LIMIT $3`,
      [personId.trim().toLowerCase(), statuses, opts.limit ?? 50],
    );
    return rows.map(notificationFromRow);
  }

  /**
   * How a person has answered each medium: of their latest `limit` sent notifications, how many went by each medium
   * and how many of those they answered (among their latest `limit` answers). Counted by the database: the
   * notifications themselves are not read.
   */
  async mediumHistory(personId: string, limit: number): Promise<Map<Medium, { sent: number; answered: number }>> {
    const { rows } = await this.#db.query<{ medium: Medium; sent: number | string; answered: number | string }>(
      `SELECT n.medium, count(*) AS sent, count(r.notification_id) AS answered
       FROM (SELECT id, medium FROM notifications WHERE recipient_id = $1 AND status = 'sent' ORDER BY created_at DESC, id LIMIT $2) n
       LEFT JOIN (SELECT DISTINCT notification_id
                  FROM (SELECT notification_id FROM notification_responses WHERE person_id = $1 ORDER BY responded_at DESC, id DESC LIMIT $2) latest) r
         ON r.notification_id = n.id
       GROUP BY n.medium`,
      [personId.trim().toLowerCase(), limit],
    );
    return new Map(rows.map((r) => [r.medium, { sent: Number(r.sent), answered: Number(r.answered) }]));
  }

  // ---- the delivery ledger

  /**
   * Records a send before it happens. One transaction: insert the delivery under its key ('sending'), or find the
   * one an earlier attempt left and count this attempt. The notifications it carries move to 'sending'.
   */
  async beginDelivery(d: { idempotencyKey: string; kind: DeliveryKind; personId: string; medium: string; channelName: string; notificationIds: string[]; at: Date }): Promise<DeliveryStart> {
    return this.#db.transaction(async (tx) => {
      const inserted = await tx.query<DeliveryRow>(
        `INSERT INTO deliveries (idempotency_key, kind, person_id, medium, channel_name, notification_ids, status, started_at)
         VALUES ($1, $2, $3, $4, $5, $6::text[], 'sending', $7)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${DELIVERY_COLUMNS}`,
        [d.idempotencyKey, d.kind, d.personId, d.medium, d.channelName, d.notificationIds, d.at],
      );
      if (inserted.rows[0]) {
        await tx.query(
          `UPDATE notifications SET status = 'sending', delivery_key = $2 WHERE id = ANY($1::text[]) AND status = 'planned'`,
          [d.notificationIds, d.idempotencyKey],
        );
        return { state: 'new', delivery: deliveryFromRow(inserted.rows[0]) };
      }
      const { rows } = await tx.query<DeliveryRow>(
        `UPDATE deliveries SET attempts = attempts + (CASE WHEN status = 'sending' THEN 1 ELSE 0 END)
         WHERE idempotency_key = $1 RETURNING ${DELIVERY_COLUMNS}`,
        [d.idempotencyKey],
      );
      const delivery = deliveryFromRow(rows[0]!);
      return delivery.status === 'sent' ? { state: 'sent', delivery } : { state: 'sending', delivery };
    });
  }

  /** Confirms a send: the delivery and every notification it carried are 'sent', with the provider's reference. */
  async confirmDelivery(key: string, receipt: { ref: string; alreadySent?: boolean }, at: Date): Promise<DeliveryRecord> {
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<DeliveryRow>(
        `UPDATE deliveries SET status = 'sent', provider_ref = $2, found_sent = $3, sent_at = $4
         WHERE idempotency_key = $1 AND status = 'sending' RETURNING ${DELIVERY_COLUMNS}`,
        [key, receipt.ref, receipt.alreadySent === true, at],
      );
      const delivery = rows[0] ? deliveryFromRow(rows[0]) : await getDeliveryIn(tx, key);
      if (!delivery) throw new Error(`no delivery ${key} was recorded before its confirmation`);
      await tx.query(
        `UPDATE notifications SET status = 'sent', delivery_key = $2, provider_ref = $3, sent_at = $4
         WHERE id = ANY($1::text[]) AND status <> 'sent'`,
        [delivery.notificationIds, key, delivery.providerRef, delivery.sentAt],
      );
      return delivery;
    });
  }

  getDelivery(key: string): Promise<DeliveryRecord | undefined> {
    return getDeliveryIn(this.#db, key);
  }

  async deliveriesFor(personId: string): Promise<DeliveryRecord[]> {
    const { rows } = await this.#db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE person_id = $1 ORDER BY started_at, idempotency_key`, [personId]);
    return rows.map(deliveryFromRow);
  }
}

async function getDeliveryIn(sql: Sql, key: string): Promise<DeliveryRecord | undefined> {
  const { rows } = await sql.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE idempotency_key = $1`, [key]);
  return rows[0] && deliveryFromRow(rows[0]);
}

async function insertLineage(sql: Sql, lineage: readonly LineageEntry[]): Promise<void> {
  if (lineage.length === 0) return;
  await sql.query(
    `INSERT INTO lineage (artifact_type, artifact_id, item_id, position, workflow_id, run_id, activity)
     SELECT artifact_type, artifact_id, item_id, position, workflow_id, run_id, activity
     FROM jsonb_to_recordset($1::jsonb) AS l(artifact_type text, artifact_id text, item_id text, position integer,
                                             workflow_id text, run_id text, activity text)`,
    [
      JSON.stringify(
        lineage.map((l) => ({
          artifact_type: l.artifactType,
          artifact_id: l.artifactId,
          item_id: l.itemId,
          position: l.position ?? null,
          workflow_id: l.workflowId,
          run_id: l.runId,
          activity: l.activity,
        })),
      ),
    ],
  );
}
