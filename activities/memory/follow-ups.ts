/**
 * Follow-ups of open decisions and action items (migration 003): where each one's cadence stands and every message
 * step it sent, for inspection and so that a new run of the workflow never repeats a step an earlier one sent.
 *
 * Also the port the follow-up activities read and change their subjects through (FollowUpSubjects), so they do not
 * depend on how decisions and action items are stored.
 */
import { ActionStatus, DecisionStatus, type ActionItem, type Decision, type SourceSpan } from '../../schemas/memory';
import type { Db, Sql } from './ports';

// (defined in schemas/ so that workflows can name it without importing the store)
import type { SubjectKind } from '../../schemas/memory';
export type { SubjectKind };
export type FollowUpStatus = 'open' | 'done' | 'resolved' | 'stale' | 'missing' | 'already-closed';
export type FollowUpStepName = 'nudge' | 'escalate' | 'stale';

/** What a follow-up is about: a decision or an action item, as far as following it up needs. */
export interface Subject {
  kind: SubjectKind;
  id: string;
  /** the decision's statement, or what the action item asks for */
  text: string;
  topic?: string;
  status: string;
  /** its status still asks for action (proposed or agreed; open) */
  open: boolean;
  /** the first evidence of completion the store holds for it, if any */
  evidence?: { itemId: string; position: number };
  ownerId: string | null;
  /** who decided (for an action item: the decider of its decision, when it has one) */
  deciderId: string | null;
  /** when the cadence starts counting: the decision time, or the action's due date (else its creation) */
  anchorAt: Date;
  dueAt?: Date;
  sources: SourceSpan[];
  /** who may see it */
  access: string[];
}

/** The port to the decision store. */
export interface FollowUpSubjects {
  /** by id; an id merged into another resolves to that one (the subject's id then differs from the one asked for) */
  load(kind: SubjectKind, id: string): Promise<Subject | undefined>;
  /** sets the subject's own status (decision: done | rejected | superseded; action: done | dropped) */
  close(kind: SubjectKind, id: string, status: string, reason: string): Promise<void>;
  reassign(kind: SubjectKind, id: string, ownerId: string): Promise<void>;
}

export interface FollowUpRecord {
  kind: SubjectKind;
  subjectId: string;
  workflowId: string;
  runId: string | null;
  status: FollowUpStatus;
  ownerId: string | null;
  deciderId: string | null;
  cycle: number;
  nextStep: FollowUpStepName | null;
  nextDueAt: Date | null;
  snoozedUntil: Date | null;
  reason: string | null;
  openedAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export type FollowUpUpsert = Omit<FollowUpRecord, 'openedAt' | 'updatedAt' | 'closedAt'> & {
  /** the time of the change (workflow time) */
  at: Date;
};

export interface FollowUpStepRecord {
  artifactId: string;
  kind: SubjectKind;
  subjectId: string;
  step: FollowUpStepName;
  cycle: number;
  recipients: string[];
  note: string | null;
  dueAt: Date;
  sentAt: Date;
  workflowId: string;
  runId: string;
}

interface FollowUpRow {
  subject_kind: SubjectKind;
  subject_id: string;
  workflow_id: string;
  run_id: string | null;
  status: FollowUpStatus;
  owner_id: string | null;
  decider_id: string | null;
  cycle: number;
  next_step: FollowUpStepName | null;
  next_due_at: Date | string | null;
  snoozed_until: Date | string | null;
  reason: string | null;
  opened_at: Date | string;
  updated_at: Date | string;
  closed_at: Date | string | null;
}

interface StepRow {
  artifact_id: string;
  subject_kind: SubjectKind;
  subject_id: string;
  step: FollowUpStepName;
  cycle: number;
  recipients: string[];
  note: string | null;
  due_at: Date | string;
  sent_at: Date | string;
  workflow_id: string;
  run_id: string;
}

const date = (v: Date | string): Date => new Date(v);
const maybeDate = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

const FOLLOW_UP_COLUMNS =
  'subject_kind, subject_id, workflow_id, run_id, status, owner_id, decider_id, cycle, next_step, next_due_at, snoozed_until, reason, opened_at, updated_at, closed_at';
const STEP_COLUMNS = 'artifact_id, subject_kind, subject_id, step, cycle, recipients, note, due_at, sent_at, workflow_id, run_id';

function fromRow(r: FollowUpRow): FollowUpRecord {
  return {
    kind: r.subject_kind,
    subjectId: r.subject_id,
    workflowId: r.workflow_id,
    runId: r.run_id,
    status: r.status,
    ownerId: r.owner_id,
    deciderId: r.decider_id,
    cycle: Number(r.cycle),
    nextStep: r.next_step,
    nextDueAt: maybeDate(r.next_due_at),
    snoozedUntil: maybeDate(r.snoozed_until),
    reason: r.reason,
    openedAt: date(r.opened_at),
    updatedAt: date(r.updated_at),
    closedAt: maybeDate(r.closed_at),
  };
}

function stepFromRow(r: StepRow): FollowUpStepRecord {
  return {
    artifactId: r.artifact_id,
    kind: r.subject_kind,
    subjectId: r.subject_id,
    step: r.step,
    cycle: Number(r.cycle),
    recipients: r.recipients,
    note: r.note,
    dueAt: date(r.due_at),
    sentAt: date(r.sent_at),
    workflowId: r.workflow_id,
    runId: r.run_id,
  };
}

export class FollowUpStore {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  async get(kind: SubjectKind, subjectId: string): Promise<FollowUpRecord | undefined> {
    const { rows } = await this.#db.query<FollowUpRow>(
      `SELECT ${FOLLOW_UP_COLUMNS} FROM follow_ups WHERE subject_kind = $1 AND subject_id = $2`,
      [kind, subjectId],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async list(opts: { status?: FollowUpStatus } = {}): Promise<FollowUpRecord[]> {
    const { rows } = await this.#db.query<FollowUpRow>(
      `SELECT ${FOLLOW_UP_COLUMNS} FROM follow_ups WHERE $1::text IS NULL OR status = $1 ORDER BY next_due_at NULLS LAST, subject_kind, subject_id`,
      [opts.status ?? null],
    );
    return rows.map(fromRow);
  }

  /**
   * Writes where a follow-up stands. `closed_at` is the time it reached its current closed status (null while open).
   */
  async save(r: FollowUpUpsert): Promise<void> {
    await upsert(this.#db, r);
  }

  /** Records a sent step; false when it was recorded already (a retried activity). */
  async recordStep(step: FollowUpStepRecord): Promise<boolean> {
    const { rows } = await this.#db.query<{ artifact_id: string }>(
      `INSERT INTO follow_up_steps (${STEP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (artifact_id) DO NOTHING RETURNING artifact_id`,
      [
        step.artifactId,
        step.kind,
        step.subjectId,
        step.step,
        step.cycle,
        step.recipients,
        step.note,
        step.dueAt,
        step.sentAt,
        step.workflowId,
        step.runId,
      ],
    );
    return rows.length > 0;
  }

  async steps(kind: SubjectKind, subjectId: string): Promise<FollowUpStepRecord[]> {
    const { rows } = await this.#db.query<StepRow>(
      `SELECT ${STEP_COLUMNS} FROM follow_up_steps WHERE subject_kind = $1 AND subject_id = $2 ORDER BY sent_at, artifact_id`,
      [kind, subjectId],
    );
    return rows.map(stepFromRow);
  }
}

async function upsert(sql: Sql, r: FollowUpUpsert): Promise<void> {
  await sql.query(
    `INSERT INTO follow_ups (subject_kind, subject_id, workflow_id, run_id, status, owner_id, decider_id, cycle, next_step,
                             next_due_at, snoozed_until, reason, opened_at, updated_at, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, CASE WHEN $5 = 'open' THEN NULL ELSE $13::timestamptz END)
     ON CONFLICT (subject_kind, subject_id) DO UPDATE SET
       workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id, status = EXCLUDED.status, owner_id = EXCLUDED.owner_id,
       decider_id = EXCLUDED.decider_id, cycle = EXCLUDED.cycle, next_step = EXCLUDED.next_step, next_due_at = EXCLUDED.next_due_at,
       snoozed_until = EXCLUDED.snoozed_until, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at,
       closed_at = CASE WHEN EXCLUDED.status = 'open' THEN NULL
                        WHEN follow_ups.status = EXCLUDED.status THEN follow_ups.closed_at ELSE EXCLUDED.closed_at END`,
    [
      r.kind,
      r.subjectId,
      r.workflowId,
      r.runId,
      r.status,
      r.ownerId,
      r.deciderId,
      r.cycle,
      r.nextStep,
      r.nextDueAt,
      r.snoozedUntil,
      r.reason,
      r.at,
    ],
  );
}

// ---- the port over the decision store

/** Completion evidence the store attaches to what it returns (DecisionStore's `followUps`). */
type WithEvidence = { followUps?: { itemId: string; position: number }[] };

/** The part of the DecisionStore (activities/memory/decisions.ts) the follow-ups use. */
export interface DecisionRecords {
  getDecision(id: string): Promise<(Decision & WithEvidence) | undefined>;
  getAction(id: string): Promise<(ActionItem & WithEvidence) | undefined>;
  updateDecision(id: string, patch: { status?: DecisionStatus; ownerId?: string | null }): Promise<unknown>;
  updateAction(id: string, patch: { status?: ActionStatus; ownerId?: string | null; dueAt?: Date }): Promise<unknown>;
}

const OPEN_DECISION: readonly DecisionStatus[] = ['proposed', 'agreed'];

/**
 * FollowUpSubjects over the decision store. An action item is anchored at its due date (else its creation) and
 * escalates to the decider of its decision, when it has one.
 */
export class DecisionSubjects implements FollowUpSubjects {
  readonly #records: DecisionRecords;

  constructor(records: DecisionRecords) {
    this.#records = records;
  }

  async load(kind: SubjectKind, id: string): Promise<Subject | undefined> {
    if (kind === 'decision') {
      const d = await this.#records.getDecision(id);
      if (!d) return undefined;
      return {
        kind,
        id: d.id,
        text: d.statement,
        topic: d.topic,
        status: d.status,
        open: OPEN_DECISION.includes(d.status),
        ...evidenceOf(d),
        ownerId: d.ownerId,
        deciderId: d.deciderId,
        anchorAt: new Date(d.decidedAt),
        sources: d.sources,
        access: d.access,
      };
    }
    const a = await this.#records.getAction(id);
    if (!a) return undefined;
    const decision = a.decisionId ? await this.#records.getDecision(a.decisionId) : undefined;
    return {
      kind,
      id: a.id,
      text: a.what,
      ...(decision ? { topic: decision.topic } : {}),
      status: a.status,
      open: a.status === 'open',
      ...evidenceOf(a),
      ownerId: a.ownerId,
      deciderId: decision?.deciderId ?? null,
      anchorAt: new Date(a.dueAt ?? a.createdAt),
      ...(a.dueAt ? { dueAt: new Date(a.dueAt) } : {}),
      sources: a.sources,
      access: a.access,
    };
  }

  async close(kind: SubjectKind, id: string, status: string, _reason: string): Promise<void> {
    if (kind === 'decision') await this.#records.updateDecision(id, { status: DecisionStatus.parse(status) });
    else await this.#records.updateAction(id, { status: ActionStatus.parse(status) });
  }

  async reassign(kind: SubjectKind, id: string, ownerId: string): Promise<void> {
    if (kind === 'decision') await this.#records.updateDecision(id, { ownerId });
    else await this.#records.updateAction(id, { ownerId });
  }
}

function evidenceOf(record: WithEvidence): { evidence?: { itemId: string; position: number } } {
  const first = record.followUps?.[0];
  return first ? { evidence: { itemId: first.itemId, position: first.position } } : {};
}
