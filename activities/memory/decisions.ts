/**
 * The institutional memory store: decisions, action items and open questions with their sources,
 * over the same Db as MemoryStore (tables from 002_memory.sql).
 *
 * Writes: `saveExtraction` stores one item's extraction in ONE transaction, after validating it whole:
 * it replaces what that item contributed before, merges a decision that another source already stated
 * (same topic, shared terms, close in time, overlapping audiences: an alias row says why), links a later
 * decision that replaces an earlier one (supersession), and recomputes each thing's access as the
 * intersection of its sources' access lists. Extraction never overrides what a person set by hand
 * (`updateDecision`, `updateAction`).
 *
 * Reads: every list is filtered by `visibleTo` (every one of them must be in the access list); lookups by
 * id filter too when `visibleTo` is given.
 */
import type { Item, PersonId } from '../../schemas/entities';
import {
  type ActionItem,
  ActionStatus,
  type Decision,
  DecisionStatus,
  Extraction as ExtractionSchema,
  type Extraction,
  type OpenQuestion,
  type SourceSpan,
} from '../../schemas/memory';
import {
  type ComparableDecision,
  type DecisionJudge,
  type EvidenceCandidate,
  type EvidenceSubject,
  MERGE_WINDOW_MS,
  SUPERSEDE_WINDOW_MS,
} from './decision-judge';
import {
  actionFromRow,
  type ActionRow,
  decisionFromRow,
  type DecisionRow,
  type EvidenceRow,
  followUpFromRow,
  questionFromRow,
  type QuestionRow,
  type SourceRow,
} from './decision-rows';
import { visibleToOf } from './filters';
import type { Db, Sql } from './ports';

export interface DecisionStoreDeps {
  db: Db;
  /** when decisions are the same, replaced or carried out: intelligence's judgement (intelligence/decision-match.ts) */
  judge: DecisionJudge;
}

/** A later message or turn showing that a decision or action was carried out. */
export interface FollowUp {
  itemId: string;
  position: number;
  quote: string;
  authorId: PersonId | null;
  occurredAt: Date;
  reason: string;
}

export type DecisionRecord = Decision & {
  /** proposed or agreed, and no follow-up seen */
  open: boolean;
  followUps: FollowUp[];
};

export type ActionRecord = ActionItem & {
  open: boolean;
  followUps: FollowUp[];
};

export type QuestionRecord = OpenQuestion;

// (defined in schemas/ so that workflows can name it without importing the store)
import type { CompletionEvidence } from '../../schemas/memory';
export type { CompletionEvidence };

export interface SaveResult {
  /** canonical ids of what this extraction touched */
  decisionIds: string[];
  actionIds: string[];
  questionIds: string[];
  merged: { id: string; into: string; reason: string }[];
  superseded: { id: string; by: string; reason: string }[];
  /** things that lost their last source (the item no longer states them) and were removed */
  removed: string[];
}

export interface ListDecisionsOptions {
  visibleTo: PersonId[];
  /** only proposed/agreed decisions with no follow-up */
  open?: boolean;
  /** words of the topic or statement (case-insensitive) */
  topic?: string;
  ownerId?: PersonId;
  status?: Decision['status'][];
  since?: Date;
  limit?: number;
}

export interface ListActionsOptions {
  visibleTo: PersonId[];
  open?: boolean;
  ownerId?: PersonId;
  /** open actions due before this instant */
  overdueAt?: Date;
  decisionId?: string;
  limit?: number;
}

export interface ListQuestionsOptions {
  visibleTo: PersonId[];
  unanswered?: boolean;
  /** asked of at least one of these people */
  askedOf?: PersonId[];
  since?: Date;
  limit?: number;
}

const DEFAULT_LIMIT = 100;
const STATUS_RANK: Record<string, number> = { proposed: 0, agreed: 1, rejected: 1 };
/** a term in more than this share of all chunks (and in more than MIN_COMMON of them) is too common to count as follow-up evidence */
const COMMON_SHARE = 0.1;
const MIN_COMMON = 5;

type Kind = 'decision' | 'action' | 'question';
const TABLE: Record<Kind, { table: string; sources: string; fk: string }> = {
  decision: { table: 'decisions', sources: 'decision_sources', fk: 'decision_id' },
  action: { table: 'actions', sources: 'action_sources', fk: 'action_id' },
  question: { table: 'questions', sources: 'question_sources', fk: 'question_id' },
};

const normalizeIds = (ids: readonly string[]): string[] => [...new Set(ids.map((p) => p.trim().toLowerCase()))];
const likePattern = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class DecisionStore {
  readonly #db: Db;
  readonly #judge: DecisionJudge;

  constructor(deps: DecisionStoreDeps) {
    this.#db = deps.db;
    this.#judge = deps.judge;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Stores one item's extraction in one transaction (validated whole first: nothing is half-written).
   * Idempotent: saving the same extraction again changes nothing. `contentHash` records which version of
   * the item was extracted (see `extractionOf`).
   */
  async saveExtraction(extraction: Extraction, opts: { contentHash?: string } = {}): Promise<SaveResult> {
    const e = ExtractionSchema.parse(extraction);
    const via = e.itemId;
    return this.#db.transaction(async (tx) => {
      const result: SaveResult = { decisionIds: [], actionIds: [], questionIds: [], merged: [], superseded: [], removed: [] };
      const previously: Record<Kind, string[]> = { decision: [], action: [], question: [] };
      for (const kind of ['decision', 'action', 'question'] as const) {
        const { sources, fk } = TABLE[kind];
        const { rows } = await tx.query<{ id: string }>(`DELETE FROM ${sources} WHERE via_item_id = $1 RETURNING ${fk} AS id`, [via]);
        previously[kind] = [...new Set(rows.map((r) => r.id))];
      }

      const decisionIdMap = new Map<string, string>();
      for (const d of [...e.decisions].sort(byTimeThenId((x) => x.decidedAt))) {
        const canonical = await this.#saveDecision(tx, d, via, e.extractor, result);
        decisionIdMap.set(d.id, canonical);
        result.decisionIds.push(canonical);
      }
      for (const a of [...e.actions].sort(byTimeThenId((x) => x.createdAt))) {
        const decisionId = a.decisionId ? (decisionIdMap.get(a.decisionId) ?? (await canonicalId(tx, 'decision', a.decisionId))) : undefined;
        result.actionIds.push(await this.#saveAction(tx, { ...a, ...(decisionId ? { decisionId } : {}) }, via, e.extractor));
      }
      for (const q of [...e.questions].sort(byTimeThenId((x) => x.askedAt))) {
        result.questionIds.push(await this.#saveQuestion(tx, q, via, e.extractor));
      }

      for (const kind of ['decision', 'action', 'question'] as const) {
        const touched = kind === 'decision' ? result.decisionIds : kind === 'action' ? result.actionIds : result.questionIds;
        result.removed.push(...(await refreshAccess(tx, kind, [...new Set([...touched, ...previously[kind]])])));
      }

      for (const id of [...new Set(result.decisionIds)]) {
        const link = await this.#linkSupersession(tx, id);
        if (link) result.superseded.push(link);
      }

      await tx.query(
        `INSERT INTO extractions (item_id, extractor, content_hash, decisions, actions, questions, extracted_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (item_id) DO UPDATE SET extractor = EXCLUDED.extractor, content_hash = EXCLUDED.content_hash,
           decisions = EXCLUDED.decisions, actions = EXCLUDED.actions, questions = EXCLUDED.questions, extracted_at = now()`,
        [via, e.extractor, opts.contentHash ?? '', e.decisions.length, e.actions.length, e.questions.length],
      );
      result.decisionIds = [...new Set(result.decisionIds)];
      result.actionIds = [...new Set(result.actionIds)];
      result.questionIds = [...new Set(result.questionIds)];
      return result;
    });
  }

  async #saveDecision(tx: Sql, d: Decision, via: string, extractor: string, result: SaveResult): Promise<string> {
    const topicTerms = this.#judge.topicTerms(d.topic);
    const terms = this.#judge.terms(`${d.topic} ${d.statement}`);
    let canonical = await canonicalId(tx, 'decision', d.id);
    let existing = await selectDecisionRow(tx, canonical);
    if (!existing) {
      const target = await this.#mergeTarget(tx, d);
      if (target) {
        await tx.query(
          `INSERT INTO memory_aliases (kind, alias_id, canonical_id, reason) VALUES ('decision', $1, $2, $3)
           ON CONFLICT (kind, alias_id) DO UPDATE SET canonical_id = EXCLUDED.canonical_id, reason = EXCLUDED.reason`,
          [d.id, target.row.id, target.reason],
        );
        result.merged.push({ id: d.id, into: target.row.id, reason: target.reason });
        canonical = target.row.id;
        existing = target.row;
      }
    }

    if (!existing) {
      await tx.query(
        `INSERT INTO decisions (id, statement, rationale, decider_id, owner_id, status, status_at, topic, topic_terms, terms,
                                confidence, decided_at, access, extractor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11, $12, $13::text[], $14)`,
        [d.id, d.statement, d.rationale ?? null, d.deciderId, d.ownerId, d.status, d.decidedAt, d.topic, topicTerms, terms, d.confidence, d.decidedAt, d.access, extractor],
      );
    } else {
      const sameThing = existing.id === d.id;
      // a re-extraction of the same thing restates it; a merged source restates it only if it is surer
      const takeStatement = sameThing || d.confidence > Number(existing.confidence);
      let status = existing.status;
      let statusAt = new Date(existing.status_at);
      if (existing.status_origin === 'extracted' && d.status in STATUS_RANK) {
        const rankNew = STATUS_RANK[d.status] ?? 0;
        const rankOld = STATUS_RANK[existing.status] ?? 0;
        if (rankNew > rankOld || (rankNew === rankOld && d.decidedAt.getTime() >= statusAt.getTime())) {
          status = d.status;
          statusAt = d.decidedAt;
        }
      }
      await tx.query(
        `UPDATE decisions SET
           statement = $2, topic = $3, topic_terms = $4::text[], terms = $5::text[], decider_id = $6, decided_at = $7,
           rationale = COALESCE($8, rationale),
           owner_id = CASE WHEN owner_origin = 'manual' THEN owner_id ELSE COALESCE($9, owner_id) END,
           status = $10, status_at = $11, confidence = GREATEST(confidence, $12), extractor = $13, updated_at = now()
         WHERE id = $1`,
        [
          existing.id,
          takeStatement ? d.statement : existing.statement,
          takeStatement ? d.topic : existing.topic,
          takeStatement ? topicTerms : existing.topic_terms,
          takeStatement ? terms : existing.terms,
          takeStatement ? d.deciderId : existing.decider_id,
          takeStatement ? d.decidedAt : new Date(existing.decided_at),
          d.rationale ?? null,
          d.ownerId,
          status,
          statusAt,
          d.confidence,
          extractor,
        ],
      );
    }
    await insertSources(tx, 'decision', canonical, d.sources, via, d.access);
    return canonical;
  }

  /** An existing decision that states the same thing (see DecisionJudge.merge), nearest in time first. */
  async #mergeTarget(tx: Sql, d: Decision): Promise<{ row: DecisionRow; reason: string } | undefined> {
    const anchorItem = d.sources[0]?.itemId ?? '';
    const { rows } = await tx.query<DecisionRow>(
      `SELECT ${DECISION_COLUMNS} FROM decisions d
       WHERE d.decided_at BETWEEN $1 AND $2 AND d.access && $3::text[] AND d.status NOT IN ('superseded', 'rejected')
         AND d.topic_terms && $4::text[]
         AND NOT EXISTS (SELECT 1 FROM decision_sources s WHERE s.decision_id = d.id AND s.item_id = $5)
       ORDER BY abs(extract(epoch FROM d.decided_at - $6::timestamptz)), d.id`,
      [new Date(d.decidedAt.getTime() - MERGE_WINDOW_MS), new Date(d.decidedAt.getTime() + MERGE_WINDOW_MS), d.access, this.#judge.topicTerms(d.topic), anchorItem, d.decidedAt],
    );
    if (rows.length === 0) return undefined;
    const quotes = await quotesOf(tx, rows.map((r) => r.id));
    const incoming: ComparableDecision = { id: d.id, statement: d.statement, topic: d.topic, decidedAt: d.decidedAt, access: d.access, quotes: d.sources.map((s) => s.quote) };
    for (const row of rows) {
      const verdict = this.#judge.merge(this.#comparable(row, quotes.get(row.id) ?? []), incoming);
      if (verdict.yes) return { row, reason: verdict.reason };
    }
    return undefined;
  }

  /** Links an agreed decision to the most recent earlier one on its topic that it replaces. */
  async #linkSupersession(tx: Sql, id: string): Promise<{ id: string; by: string; reason: string } | undefined> {
    const newer = await selectDecisionRow(tx, id);
    if (!newer || newer.status !== 'agreed' || newer.supersedes_id) return undefined;
    const decidedAt = new Date(newer.decided_at);
    const { rows } = await tx.query<DecisionRow>(
      `SELECT ${DECISION_COLUMNS} FROM decisions d
       WHERE d.id <> $1 AND d.decided_at < $2 AND d.decided_at >= $3 AND d.status IN ('proposed', 'agreed')
         AND d.superseded_by_id IS NULL AND d.access && $4::text[] AND d.topic_terms && $5::text[]
       ORDER BY d.decided_at DESC, d.id`,
      [id, decidedAt, new Date(decidedAt.getTime() - SUPERSEDE_WINDOW_MS), newer.access, newer.topic_terms],
    );
    if (rows.length === 0) return undefined;
    const quotes = await quotesOf(tx, [id, ...rows.map((r) => r.id)]);
    const n = this.#comparable(newer, quotes.get(id) ?? []);
    for (const older of rows) {
      const verdict = this.#judge.supersede(this.#comparable(older, quotes.get(older.id) ?? []), n);
      if (!verdict.yes) continue;
      await tx.query(
        `UPDATE decisions SET status = 'superseded', status_origin = 'superseded', superseded_by_id = $2, supersede_reason = $3, updated_at = now()
         WHERE id = $1`,
        [older.id, id, verdict.reason],
      );
      await tx.query('UPDATE decisions SET supersedes_id = $2, supersede_reason = $3, updated_at = now() WHERE id = $1', [id, older.id, verdict.reason]);
      return { id: older.id, by: id, reason: verdict.reason };
    }
    return undefined;
  }

  async #saveAction(tx: Sql, a: ActionItem, via: string, extractor: string): Promise<string> {
    const id = await canonicalId(tx, 'action', a.id);
    const terms = this.#judge.terms(a.what);
    await tx.query(
      `INSERT INTO actions (id, what, owner_id, due_at, due_text, status, decision_id, terms, created_at, access, extractor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10::text[], $11)
       ON CONFLICT (id) DO UPDATE SET
         what = EXCLUDED.what,
         owner_id = CASE WHEN actions.owner_origin = 'manual' THEN actions.owner_id ELSE COALESCE(EXCLUDED.owner_id, actions.owner_id) END,
         due_at = CASE WHEN actions.due_origin = 'manual' THEN actions.due_at ELSE COALESCE(EXCLUDED.due_at, actions.due_at) END,
         due_text = CASE WHEN actions.due_origin = 'manual' THEN actions.due_text ELSE COALESCE(EXCLUDED.due_text, actions.due_text) END,
         decision_id = COALESCE(EXCLUDED.decision_id, actions.decision_id),
         terms = EXCLUDED.terms, extractor = EXCLUDED.extractor, updated_at = now()`,
      [id, a.what, a.ownerId, a.dueAt ?? null, a.dueText ?? null, a.status, a.decisionId ?? null, terms, a.createdAt, a.access, extractor],
    );
    await insertSources(tx, 'action', id, a.sources, via, a.access);
    return id;
  }

  async #saveQuestion(tx: Sql, q: OpenQuestion, via: string, extractor: string): Promise<string> {
    const id = await canonicalId(tx, 'question', q.id);
    // Answered is sticky: an extraction that did not see the answer (an earlier pass) never un-answers it.
    await tx.query(
      `INSERT INTO questions (id, question, asked_by_id, asked_of_ids, asked_at, answered, answer_item_id, answer_position, answer_quote, answer_via, access, extractor)
       VALUES ($1, $2, $3, $4::text[], $5, $6, $7, $8, $9, $10, $11::text[], $12)
       ON CONFLICT (id) DO UPDATE SET
         question = EXCLUDED.question, asked_by_id = EXCLUDED.asked_by_id, asked_of_ids = EXCLUDED.asked_of_ids,
         answered = questions.answered OR EXCLUDED.answered,
         answer_item_id = CASE WHEN questions.answered THEN questions.answer_item_id ELSE EXCLUDED.answer_item_id END,
         answer_position = CASE WHEN questions.answered THEN questions.answer_position ELSE EXCLUDED.answer_position END,
         answer_quote = CASE WHEN questions.answered THEN questions.answer_quote ELSE EXCLUDED.answer_quote END,
         answer_via = CASE WHEN questions.answered THEN questions.answer_via ELSE EXCLUDED.answer_via END,
         extractor = EXCLUDED.extractor, updated_at = now()`,
      [id, q.question, q.askedById, normalizeIds(q.askedOfIds), q.askedAt, q.answered, q.answer?.itemId ?? null, q.answer?.position ?? null, q.answer?.quote ?? null, q.answer ? via : null, q.access, extractor],
    );
    // q.access already covers the answer's item: whoever sees the question sees its answer
    await insertSources(tx, 'question', id, q.sources, via, q.access);
    return id;
  }

  /** Canonical ids of everything the extractions of these items contributed to. */
  async extractedFrom(itemIds: string[]): Promise<{ decisionIds: string[]; actionIds: string[]; questionIds: string[] }> {
    const ids = [...new Set(itemIds)];
    const of = async (kind: Kind): Promise<string[]> => {
      const { sources, fk } = TABLE[kind];
      const { rows } = await this.#db.query<{ id: string }>(
        `SELECT DISTINCT ${fk} AS id FROM ${sources} WHERE via_item_id = ANY($1::text[]) ORDER BY id`,
        [ids],
      );
      return rows.map((r) => r.id);
    };
    if (ids.length === 0) return { decisionIds: [], actionIds: [], questionIds: [] };
    return { decisionIds: await of('decision'), actionIds: await of('action'), questionIds: await of('question') };
  }

  /** Which of these decisions and actions are open: proposed/agreed (open) with no follow-up evidence. */
  async openAmong(ids: { decisionIds: string[]; actionIds: string[] }): Promise<{ kind: 'decision' | 'action'; id: string }[]> {
    const decisions = ids.decisionIds.length
      ? (
          await this.#db.query<{ id: string }>(
            `SELECT d.id FROM decisions d WHERE d.id = ANY($1::text[]) AND d.status IN ('proposed', 'agreed') AND NOT ${EVIDENCE_EXISTS('decision', 'd.id')} ORDER BY d.decided_at, d.id`,
            [ids.decisionIds],
          )
        ).rows
      : [];
    const actions = ids.actionIds.length
      ? (
          await this.#db.query<{ id: string }>(
            `SELECT a.id FROM actions a WHERE a.id = ANY($1::text[]) AND a.status = 'open' AND NOT ${EVIDENCE_EXISTS('action', 'a.id')} ORDER BY a.created_at, a.id`,
            [ids.actionIds],
          )
        ).rows
      : [];
    return [...decisions.map((r) => ({ kind: 'decision' as const, id: r.id })), ...actions.map((r) => ({ kind: 'action' as const, id: r.id }))];
  }

  /** Which version of an item was last extracted, and by which extractor. */
  async extractionOf(itemId: string): Promise<{ extractor: string; contentHash: string; extractedAt: Date } | undefined> {
    const { rows } = await this.#db.query<{ extractor: string; content_hash: string; extracted_at: Date }>(
      'SELECT extractor, content_hash, extracted_at FROM extractions WHERE item_id = $1',
      [itemId],
    );
    const r = rows[0];
    return r && { extractor: r.extractor, contentHash: r.content_hash, extractedAt: new Date(r.extracted_at) };
  }

  async updateDecision(id: string, patch: { status?: Decision['status']; ownerId?: PersonId | null }): Promise<DecisionRecord | undefined> {
    const status = patch.status === undefined ? undefined : DecisionStatus.parse(patch.status);
    const canonical = await canonicalId(this.#db, 'decision', id);
    const { rows } = await this.#db.query<{ id: string }>(
      `UPDATE decisions SET
         status = COALESCE($2, status), status_origin = CASE WHEN $2::text IS NULL THEN status_origin ELSE 'manual' END,
         status_at = CASE WHEN $2::text IS NULL THEN status_at ELSE now() END,
         owner_id = CASE WHEN $3 THEN $4 ELSE owner_id END, owner_origin = CASE WHEN $3 THEN 'manual' ELSE owner_origin END,
         updated_at = now()
       WHERE id = $1 RETURNING id`,
      [canonical, status ?? null, patch.ownerId !== undefined, patch.ownerId === undefined || patch.ownerId === null ? null : patch.ownerId.trim().toLowerCase()],
    );
    return rows[0] ? this.getDecision(canonical) : undefined;
  }

  async updateAction(id: string, patch: { status?: ActionItem['status']; ownerId?: PersonId | null; dueAt?: Date | null }): Promise<ActionRecord | undefined> {
    const status = patch.status === undefined ? undefined : ActionStatus.parse(patch.status);
    const canonical = await canonicalId(this.#db, 'action', id);
    const { rows } = await this.#db.query<{ id: string }>(
      `UPDATE actions SET
         status = COALESCE($2, status), status_origin = CASE WHEN $2::text IS NULL THEN status_origin ELSE 'manual' END,
         owner_id = CASE WHEN $3 THEN $4 ELSE owner_id END, owner_origin = CASE WHEN $3 THEN 'manual' ELSE owner_origin END,
         due_at = CASE WHEN $5 THEN $6::timestamptz ELSE due_at END, due_text = CASE WHEN $5 THEN NULL ELSE due_text END,
         due_origin = CASE WHEN $5 THEN 'manual' ELSE due_origin END,
         updated_at = now()
       WHERE id = $1 RETURNING id`,
      [
        canonical,
        status ?? null,
        patch.ownerId !== undefined,
        patch.ownerId === undefined || patch.ownerId === null ? null : patch.ownerId.trim().toLowerCase(),
        patch.dueAt !== undefined,
        patch.dueAt ?? null,
      ],
    );
    return rows[0] ? this.getAction(canonical) : undefined;
  }

  // ------------------------------------------------------------------ reads

  /** By id (an alias resolves to the decision it was merged into). With `visibleTo`, undefined unless all of them may see it. */
  async getDecision(id: string, opts: { visibleTo?: PersonId[] } = {}): Promise<DecisionRecord | undefined> {
    const canonical = await canonicalId(this.#db, 'decision', id);
    const [found] = await this.#decisions(`d.id = $1`, [canonical], opts.visibleTo, 1);
    return found;
  }

  async getAction(id: string, opts: { visibleTo?: PersonId[] } = {}): Promise<ActionRecord | undefined> {
    const canonical = await canonicalId(this.#db, 'action', id);
    const [found] = await this.#actions(`a.id = $1`, [canonical], opts.visibleTo, 1);
    return found;
  }

  async getQuestion(id: string, opts: { visibleTo?: PersonId[] } = {}): Promise<QuestionRecord | undefined> {
    const canonical = await canonicalId(this.#db, 'question', id);
    const [found] = await this.#questions(`q.id = $1`, [canonical], opts.visibleTo, 1);
    return found;
  }

  /** Decisions every one of `visibleTo` may see, newest first. */
  async listDecisions(opts: ListDecisionsOptions): Promise<DecisionRecord[]> {
    const { where, params } = this.#decisionFilter(opts);
    return this.#decisions(where, params, visibleToOf({ visibleTo: opts.visibleTo }), opts.limit ?? DEFAULT_LIMIT);
  }

  async listActions(opts: ListActionsOptions): Promise<ActionRecord[]> {
    const { where, params } = await this.#actionFilter(opts);
    return this.#actions(where, params, visibleToOf({ visibleTo: opts.visibleTo }), opts.limit ?? DEFAULT_LIMIT);
  }

  async listQuestions(opts: ListQuestionsOptions): Promise<QuestionRecord[]> {
    const { where, params } = this.#questionFilter(opts);
    return this.#questions(where, params, visibleToOf({ visibleTo: opts.visibleTo }), opts.limit ?? DEFAULT_LIMIT);
  }

  /**
   * listDecisions for several views at once (each attendee's own brief beside the meeting's shared one; a view is one
   * person, or several who must all may see a decision): one read for anyone of the views' people, cut per view to
   * the rows all its people may see — the rows its own read returns, then checked for sources as its own are. A view
   * whose rows the shared read may not hold all of (it was cut at its limit first) is answered undefined: read it alone.
   */
  async listDecisionsEach(opts: Omit<ListDecisionsOptions, 'visibleTo'>, views: readonly (readonly PersonId[])[]): Promise<(DecisionRecord[] | undefined)[]> {
    const { where, params } = this.#decisionFilter(opts);
    const cut = await this.#readEach<DecisionRow>('decisions d', 'd', DECISION_COLUMNS, DECISION_ORDER, where, params, views, opts.limit ?? DEFAULT_LIMIT);
    return this.#recordsEach(cut, (rows) => this.#decisionRecords(rows));
  }

  /** listActions for several views at once, as listDecisionsEach. */
  async listActionsEach(opts: Omit<ListActionsOptions, 'visibleTo'>, views: readonly (readonly PersonId[])[]): Promise<(ActionRecord[] | undefined)[]> {
    const { where, params } = await this.#actionFilter(opts);
    const cut = await this.#readEach<ActionRow>('actions a', 'a', ACTION_COLUMNS, ACTION_ORDER, where, params, views, opts.limit ?? DEFAULT_LIMIT);
    return this.#recordsEach(cut, (rows) => this.#actionRecords(rows));
  }

  /** listQuestions for several views at once, as listDecisionsEach. */
  async listQuestionsEach(opts: Omit<ListQuestionsOptions, 'visibleTo'>, views: readonly (readonly PersonId[])[]): Promise<(QuestionRecord[] | undefined)[]> {
    const { where, params } = this.#questionFilter(opts);
    const cut = await this.#readEach<QuestionRow>('questions q', 'q', QUESTION_COLUMNS, QUESTION_ORDER, where, params, views, opts.limit ?? DEFAULT_LIMIT);
    return this.#recordsEach(cut, (rows) => this.#questionRecords(rows));
  }

  #decisionFilter(opts: Omit<ListDecisionsOptions, 'visibleTo'>): { where: string; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (v: unknown): string => `$${params.push(v)}`;
    if (opts.open) where.push(`d.status IN ('proposed', 'agreed') AND NOT ${EVIDENCE_EXISTS('decision', 'd.id')}`);
    if (opts.topic?.trim()) {
      const p = add(likePattern(opts.topic.trim()));
      where.push(`(d.topic ILIKE ${p} OR d.statement ILIKE ${p})`);
    }
    if (opts.ownerId) where.push(`d.owner_id = ${add(opts.ownerId.trim().toLowerCase())}`);
    if (opts.status?.length) where.push(`d.status = ANY(${add(opts.status)}::text[])`);
    if (opts.since) where.push(`d.decided_at >= ${add(opts.since)}`);
    return { where: where.join(' AND ') || 'true', params };
  }

  async #actionFilter(opts: Omit<ListActionsOptions, 'visibleTo'>): Promise<{ where: string; params: unknown[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (v: unknown): string => `$${params.push(v)}`;
    if (opts.open || opts.overdueAt) where.push(`a.status = 'open' AND NOT ${EVIDENCE_EXISTS('action', 'a.id')}`);
    if (opts.overdueAt) where.push(`a.due_at IS NOT NULL AND a.due_at < ${add(opts.overdueAt)}`);
    if (opts.ownerId) where.push(`a.owner_id = ${add(opts.ownerId.trim().toLowerCase())}`);
    if (opts.decisionId) where.push(`a.decision_id = ${add(await canonicalId(this.#db, 'decision', opts.decisionId))}`);
    return { where: where.join(' AND ') || 'true', params };
  }

  #questionFilter(opts: Omit<ListQuestionsOptions, 'visibleTo'>): { where: string; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (v: unknown): string => `$${params.push(v)}`;
    if (opts.unanswered) where.push('NOT q.answered');
    if (opts.askedOf?.length) where.push(`q.asked_of_ids && ${add(normalizeIds(opts.askedOf))}::text[]`);
    if (opts.since) where.push(`q.asked_at >= ${add(opts.since)}`);
    return { where: where.join(' AND ') || 'true', params };
  }

  /**
   * The rows each view's own read returns (where `where` holds and all the view's people are in `access`, in `order`,
   * at most `limit`), from one read of the rows anyone of them may see; undefined for a view the read was cut before.
   */
  async #readEach<Row extends { id: string }>(
    from: string,
    alias: string,
    columns: string,
    order: string,
    where: string,
    params: unknown[],
    views: readonly (readonly PersonId[])[],
    limit: number,
  ): Promise<(Row[] | undefined)[]> {
    const people = views.map((v) => visibleToOf({ visibleTo: [...v] }));
    if (people.length === 0) return [];
    const values = [...params];
    const add = (v: unknown): string => `$${values.push(v)}`;
    const seenBy = `ARRAY[${people.map((v) => `${alias}.access @> ${add(v)}::text[]`).join(', ')}]`;
    const anyone = add([...new Set(people.flat())]);
    const sharedLimit = Math.max(0, Math.floor(limit)) * people.length;
    const { rows } = await this.#db.query<Row & { seen_by: boolean[] }>(
      `SELECT ${columns}, ${seenBy} AS seen_by FROM ${from} WHERE ${where} AND ${alias}.access && ${anyone}::text[] ORDER BY ${order} LIMIT ${sharedLimit}`,
      values,
    );
    const complete = rows.length < sharedLimit;
    return people.map((_, k) => {
      const mine = rows.filter((r) => r.seen_by[k] === true);
      return !complete && mine.length < limit ? undefined : mine.slice(0, Math.max(0, Math.floor(limit)));
    });
  }

  /** Each view's rows as records, the records of all of them made at once (a row without sources is left out, as always). */
  async #recordsEach<Row extends { id: string }, R extends { id: string }>(cut: (Row[] | undefined)[], records: (rows: Row[]) => Promise<R[]>): Promise<(R[] | undefined)[]> {
    const rows = new Map(cut.flatMap((view) => view ?? []).map((r) => [r.id, r]));
    const byId = new Map((await records([...rows.values()])).map((r) => [r.id, r]));
    return cut.map((view) => view?.flatMap((r) => byId.get(r.id) ?? []));
  }

  async #decisions(where: string, params: unknown[], visibleTo: string[] | undefined, limit: number): Promise<DecisionRecord[]> {
    const access = visibleTo ? ` AND d.access @> $${params.length + 1}::text[]` : '';
    const values = visibleTo ? [...params, normalizeIds(visibleTo)] : params;
    const { rows } = await this.#db.query<DecisionRow>(
      `SELECT ${DECISION_COLUMNS} FROM decisions d WHERE ${where}${access} ORDER BY ${DECISION_ORDER} LIMIT ${Math.max(0, Math.floor(limit))}`,
      values,
    );
    return this.#decisionRecords(rows);
  }

  async #decisionRecords(rows: DecisionRow[]): Promise<DecisionRecord[]> {
    const ids = rows.map((r) => r.id);
    const [sources, evidence] = await Promise.all([this.#sources('decision', ids), this.#evidence('decision', ids)]);
    return rows.flatMap((row) => {
      const spans = sources.get(row.id) ?? [];
      if (spans.length === 0) return [];
      const followUps = evidence.get(row.id) ?? [];
      const decision = decisionFromRow(row, spans);
      return [{ ...decision, open: (decision.status === 'proposed' || decision.status === 'agreed') && followUps.length === 0, followUps }];
    });
  }

  async #actions(where: string, params: unknown[], visibleTo: string[] | undefined, limit: number): Promise<ActionRecord[]> {
    const access = visibleTo ? ` AND a.access @> $${params.length + 1}::text[]` : '';
    const values = visibleTo ? [...params, normalizeIds(visibleTo)] : params;
    const { rows } = await this.#db.query<ActionRow>(
      `SELECT ${ACTION_COLUMNS} FROM actions a WHERE ${where}${access} ORDER BY ${ACTION_ORDER} LIMIT ${Math.max(0, Math.floor(limit))}`,
      values,
    );
    return this.#actionRecords(rows);
  }

  async #actionRecords(rows: ActionRow[]): Promise<ActionRecord[]> {
    const ids = rows.map((r) => r.id);
    const [sources, evidence] = await Promise.all([this.#sources('action', ids), this.#evidence('action', ids)]);
    return rows.flatMap((row) => {
      const spans = sources.get(row.id) ?? [];
      if (spans.length === 0) return [];
      const followUps = evidence.get(row.id) ?? [];
      const action = actionFromRow(row, spans);
      return [{ ...action, open: action.status === 'open' && followUps.length === 0, followUps }];
    });
  }

  async #questions(where: string, params: unknown[], visibleTo: string[] | undefined, limit: number): Promise<QuestionRecord[]> {
    const access = visibleTo ? ` AND q.access @> $${params.length + 1}::text[]` : '';
    const values = visibleTo ? [...params, normalizeIds(visibleTo)] : params;
    const { rows } = await this.#db.query<QuestionRow>(
      `SELECT ${QUESTION_COLUMNS} FROM questions q WHERE ${where}${access} ORDER BY ${QUESTION_ORDER} LIMIT ${Math.max(0, Math.floor(limit))}`,
      values,
    );
    return this.#questionRecords(rows);
  }

  async #questionRecords(rows: QuestionRow[]): Promise<QuestionRecord[]> {
    const sources = await this.#sources('question', rows.map((r) => r.id));
    return rows.flatMap((row) => {
      const spans = sources.get(row.id) ?? [];
      return spans.length === 0 ? [] : [questionFromRow(row, spans)];
    });
  }

  /** Source spans per thing: one per (item, position), the statement's own span first, then in time order. */
  async #sources(kind: Kind, ids: string[]): Promise<Map<string, SourceSpan[]>> {
    const out = new Map<string, SourceSpan[]>();
    if (ids.length === 0) return out;
    const { sources, fk } = TABLE[kind];
    const { rows } = await this.#db.query<SourceRow>(
      `SELECT DISTINCT ON (s.${fk}, s.item_id, s.position) s.${fk} AS subject_id, s.item_id, s.position, s.quote, s.seq, i.occurred_at
       FROM ${sources} s LEFT JOIN items i ON i.id = s.item_id
       WHERE s.${fk} = ANY($1::text[])
       ORDER BY s.${fk}, s.item_id, s.position, s.seq, length(s.quote) DESC`,
      [ids],
    );
    rows.sort(
      (a, b) =>
        a.seq - b.seq ||
        (a.occurred_at ? new Date(a.occurred_at).getTime() : 0) - (b.occurred_at ? new Date(b.occurred_at).getTime() : 0) ||
        (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0) ||
        a.position - b.position,
    );
    for (const r of rows) {
      out.set(r.subject_id, [...(out.get(r.subject_id) ?? []), { itemId: r.item_id, position: Number(r.position), quote: r.quote }]);
    }
    return out;
  }

  async #evidence(kind: 'decision' | 'action', ids: string[]): Promise<Map<string, FollowUp[]>> {
    const out = new Map<string, FollowUp[]>();
    if (ids.length === 0) return out;
    const { rows } = await this.#db.query<EvidenceRow>(
      `SELECT subject_id, item_id, position, quote, author_id, occurred_at, reason FROM completion_evidence
       WHERE subject_kind = $1 AND subject_id = ANY($2::text[]) ORDER BY occurred_at, item_id, position`,
      [kind, ids],
    );
    for (const r of rows) out.set(r.subject_id, [...(out.get(r.subject_id) ?? []), followUpFromRow(r)]);
    return out;
  }

  // ------------------------------------------------------------------ follow-up evidence

  /**
   * Finds, in `items`, the later messages and turns that show an open action or decision was carried out
   * ("merged", "shipped", "is live", "here's the draft" + the subject's distinctive words, by the person
   * responsible or clearly about it), records them (idempotently) and returns them. A decision's evidence
   * by the owner of one of its actions counts for that action too.
   */
  async findCompletionEvidence(items: Item[]): Promise<CompletionEvidence[]> {
    const candidates = items.filter((i) => i.kind === 'message' || i.kind === 'email' || i.kind === 'transcript');
    if (candidates.length === 0) return [];
    const latest = new Date(Math.max(...candidates.map((i) => new Date(i.occurredAt).getTime() + maxStartMs(i))));
    const audience = [...new Set(candidates.flatMap((i) => i.access))];
    const subjects = await this.#openSubjects(latest, audience);
    if (subjects.length === 0) return [];
    const distinctive = await this.#distinctiveness([...new Set(subjects.flatMap((s) => this.#judge.terms(s.text)))]);

    const found: (CompletionEvidence & { quote: string; authorId: string | null; occurredAt: Date; reason: string })[] = [];
    const seen = new Set<string>();
    const record = (e: (typeof found)[number]): void => {
      const key = `${e.subjectKind}:${e.subjectId}:${e.itemId}:${e.position}`;
      if (seen.has(key)) return;
      seen.add(key);
      found.push(e);
    };
    for (const item of candidates) {
      for (const segment of [...item.segments].sort((a, b) => a.position - b.position)) {
        if (item.kind === 'email' && this.#judge.isForwardMarker(segment.text)) break;
        const sentences = this.#judge.completionSentences(segment.text);
        if (sentences.length === 0) continue;
        const candidate: EvidenceCandidate = {
          itemId: item.id,
          position: segment.position,
          sentences,
          authorId: segment.speakerId ?? item.authorId,
          occurredAt: new Date(new Date(item.occurredAt).getTime() + (segment.startMs ?? 0)),
          access: item.access,
        };
        for (const subject of subjects) {
          const match = this.#judge.completionMatch(subject, candidate, distinctive);
          if (!match) continue;
          const base = { itemId: item.id, position: segment.position, quote: match.quote, authorId: candidate.authorId, occurredAt: candidate.occurredAt };
          record({ subjectKind: subject.kind, subjectId: subject.id, ...base, reason: match.reason });
          if (subject.kind === 'decision') {
            for (const action of subjects) {
              if (action.kind === 'action' && action.decisionId === subject.id && candidate.authorId && action.responsible.includes(candidate.authorId)) {
                record({ subjectKind: 'action', subjectId: action.id, ...base, reason: `follow-up of its decision: ${match.reason}` });
              }
            }
          }
        }
      }
    }
    if (found.length > 0) {
      await this.#db.query(
        `INSERT INTO completion_evidence (subject_kind, subject_id, item_id, position, quote, author_id, occurred_at, reason)
         SELECT subject_kind, subject_id, item_id, position, quote, author_id, occurred_at, reason
         FROM jsonb_to_recordset($1::jsonb) AS e(subject_kind text, subject_id text, item_id text, position integer, quote text,
                                                 author_id text, occurred_at timestamptz, reason text)
         ON CONFLICT (subject_kind, subject_id, item_id, position) DO NOTHING`,
        [
          JSON.stringify(
            found.map((f) => ({
              subject_kind: f.subjectKind,
              subject_id: f.subjectId,
              item_id: f.itemId,
              position: f.position,
              quote: f.quote,
              author_id: f.authorId,
              occurred_at: f.occurredAt.toISOString(),
              reason: f.reason,
            })),
          ),
        ],
      );
    }
    return found.map(({ subjectKind, subjectId, itemId, position }) => ({ subjectKind, subjectId, itemId, position }));
  }

  /** a stored decision as the judge compares it (a topic derived from its statement where none was stored) */
  #comparable(row: DecisionRow, quotes: string[]): ComparableDecision {
    return { id: row.id, statement: row.statement, topic: row.topic || this.#judge.topicOf(row.statement), decidedAt: new Date(row.decided_at), access: row.access, quotes };
  }

  /** Open decisions and actions from before `until` that someone in `audience` may see. */
  async #openSubjects(until: Date, audience: string[]): Promise<(EvidenceSubject & { decisionId?: string })[]> {
    const decisions = await this.#db.query<{ id: string; statement: string; decider_id: string | null; owner_id: string | null; decided_at: Date; access: string[]; item_ids: string[] }>(
      `SELECT d.id, d.statement, d.decider_id, d.owner_id, d.decided_at, d.access,
              ARRAY(SELECT DISTINCT s.item_id FROM decision_sources s WHERE s.decision_id = d.id) AS item_ids
       FROM decisions d
       WHERE d.status IN ('proposed', 'agreed') AND d.decided_at < $1 AND d.access && $2::text[]`,
      [until, audience],
    );
    const actions = await this.#db.query<{ id: string; what: string; owner_id: string | null; created_at: Date; access: string[]; decision_id: string | null; item_ids: string[] }>(
      `SELECT a.id, a.what, a.owner_id, a.created_at, a.access, a.decision_id,
              ARRAY(SELECT DISTINCT s.item_id FROM action_sources s WHERE s.action_id = a.id) AS item_ids
       FROM actions a
       WHERE a.status = 'open' AND a.created_at < $1 AND a.access && $2::text[]`,
      [until, audience],
    );
    return [
      ...decisions.rows.map((r) => ({
        kind: 'decision' as const,
        id: r.id,
        text: r.statement,
        responsible: [r.owner_id, r.decider_id].filter((p): p is string => p !== null),
        since: new Date(r.decided_at),
        access: r.access,
        sourceItemIds: r.item_ids,
      })),
      ...actions.rows.map((r) => ({
        kind: 'action' as const,
        id: r.id,
        text: r.what,
        responsible: r.owner_id ? [r.owner_id] : [],
        since: new Date(r.created_at),
        access: r.access,
        sourceItemIds: r.item_ids,
        ...(r.decision_id ? { decisionId: r.decision_id } : {}),
      })),
    ];
  }

  /**
   * Which terms are distinctive in this team's memory: a term found in more than 10% of all chunks
   * (and more than 5 of them) is everyday vocabulary ("release", "4.2") and does not count as evidence.
   */
  async #distinctiveness(terms: string[]): Promise<(term: string) => boolean> {
    if (terms.length === 0) return () => true;
    const total = Number((await this.#db.query<{ n: number | string }>('SELECT count(*) AS n FROM chunks')).rows[0]?.n ?? 0);
    if (total === 0) return () => true;
    const { rows } = await this.#db.query<{ term: string; df: number | string }>(
      `SELECT t.term, (SELECT count(*) FROM chunks c WHERE c.tsv @@ plainto_tsquery('english', t.term)) AS df
       FROM unnest($1::text[]) AS t(term)`,
      [terms],
    );
    const limit = Math.max(MIN_COMMON, COMMON_SHARE * total);
    const common = new Set(rows.filter((r) => Number(r.df) > limit).map((r) => r.term));
    return (term) => !common.has(term);
  }
}

// ---------------------------------------------------------------------- helpers

const DECISION_COLUMNS = `d.id, d.statement, d.rationale, d.decider_id, d.owner_id, d.status, d.status_origin, d.status_at, d.owner_origin,
  d.topic, d.topic_terms, d.terms, d.confidence, d.decided_at, d.supersedes_id, d.superseded_by_id, d.supersede_reason, d.access`;
const ACTION_COLUMNS = `a.id, a.what, a.owner_id, a.due_at, a.due_text, a.status, a.decision_id, a.created_at, a.access`;
const QUESTION_COLUMNS = `q.id, q.question, q.asked_by_id, q.asked_of_ids, q.asked_at, q.answered, q.answer_item_id, q.answer_position, q.answer_quote, q.access`;
// total orders (the id last), so a view's rows are the same whether read alone or cut from a shared read
const DECISION_ORDER = 'd.decided_at DESC, d.id';
const ACTION_ORDER = 'a.due_at ASC NULLS LAST, a.created_at DESC, a.id';
const QUESTION_ORDER = 'q.asked_at DESC, q.id';

const EVIDENCE_EXISTS = (kind: 'decision' | 'action', column: string): string =>
  `EXISTS (SELECT 1 FROM completion_evidence e WHERE e.subject_kind = '${kind}' AND e.subject_id = ${column})`;

function byTimeThenId<T extends { id: string }>(at: (x: T) => Date): (a: T, b: T) => number {
  return (a, b) => at(a).getTime() - at(b).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function maxStartMs(item: Item): number {
  return Math.max(0, ...item.segments.map((s) => s.startMs ?? 0));
}

async function canonicalId(sql: Sql, kind: Kind, id: string): Promise<string> {
  const { rows } = await sql.query<{ canonical_id: string }>('SELECT canonical_id FROM memory_aliases WHERE kind = $1 AND alias_id = $2', [kind, id]);
  return rows[0]?.canonical_id ?? id;
}

async function selectDecisionRow(sql: Sql, id: string): Promise<DecisionRow | undefined> {
  const { rows } = await sql.query<DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM decisions d WHERE d.id = $1`, [id]);
  return rows[0];
}

async function quotesOf(sql: Sql, ids: string[]): Promise<Map<string, string[]>> {
  const { rows } = await sql.query<{ decision_id: string; quote: string }>(
    'SELECT decision_id, quote FROM decision_sources WHERE decision_id = ANY($1::text[]) ORDER BY decision_id, seq, item_id, position',
    [ids],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.decision_id, [...(out.get(r.decision_id) ?? []), r.quote]);
  return out;
}

async function insertSources(tx: Sql, kind: Kind, id: string, spans: SourceSpan[], via: string, access: string[]): Promise<void> {
  if (spans.length === 0) return;
  const { sources, fk } = TABLE[kind];
  // One row per cited turn: a span cited twice (a decision restated in the same turn) keeps its first quote,
  // and one INSERT … ON CONFLICT may not touch the same row twice.
  const seen = new Set<string>();
  const rows = spans
    .map((s, seq) => ({ item_id: s.itemId, position: s.position, quote: s.quote, seq }))
    .filter((r) => {
      const key = `${r.item_id}#${r.position}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  await tx.query(
    `INSERT INTO ${sources} (${fk}, item_id, position, quote, via_item_id, access, seq)
     SELECT $1, s.item_id, s.position, s.quote, $2, $3::text[], s.seq
     FROM jsonb_to_recordset($4::jsonb) AS s(item_id text, position integer, quote text, seq integer)
     ON CONFLICT (${fk}, item_id, position, via_item_id) DO UPDATE SET quote = EXCLUDED.quote, access = EXCLUDED.access, seq = LEAST(${sources}.seq, EXCLUDED.seq)`,
    [id, via, normalizeIds(access), JSON.stringify(rows)],
  );
}

/**
 * Access of each thing = the intersection of the access lists its sources were contributed with; a
 * thing no extraction states any more is removed (with its aliases and evidence). Returns removed ids.
 */
async function refreshAccess(tx: Sql, kind: Kind, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { table, sources, fk } = TABLE[kind];
  const { rows } = await tx.query<{ id: string; access: string[] }>(`SELECT ${fk} AS id, access FROM ${sources} WHERE ${fk} = ANY($1::text[])`, [ids]);
  const lists = new Map<string, string[][]>();
  for (const r of rows) lists.set(r.id, [...(lists.get(r.id) ?? []), r.access]);
  const removed: string[] = [];
  for (const id of ids) {
    const own = lists.get(id);
    if (!own || own.length === 0) {
      const { rows: gone } = await tx.query(`DELETE FROM ${table} WHERE id = $1 RETURNING id`, [id]);
      await tx.query('DELETE FROM memory_aliases WHERE kind = $1 AND canonical_id = $2', [kind, id]);
      if (kind !== 'question') await tx.query('DELETE FROM completion_evidence WHERE subject_kind = $1 AND subject_id = $2', [kind, id]);
      if (gone.length > 0) removed.push(id);
      continue;
    }
    const [first = [], ...rest] = own;
    const access = [...new Set(first)].filter((p) => rest.every((l) => l.includes(p))).sort();
    await tx.query(`UPDATE ${table} SET access = $2::text[] WHERE id = $1`, [id, access]);
  }
  return removed;
}
