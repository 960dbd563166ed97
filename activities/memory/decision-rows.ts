/** Rows of the memory tables (002_memory.sql) and their mapping to the schema types. */
import type { ActionItem, Decision, OpenQuestion, SourceSpan } from '../../schemas/memory';
import type { FollowUp } from './decisions';

export interface DecisionRow {
  id: string;
  statement: string;
  rationale: string | null;
  decider_id: string | null;
  owner_id: string | null;
  status: Decision['status'];
  status_origin: 'extracted' | 'manual' | 'superseded';
  status_at: Date | string;
  owner_origin: 'extracted' | 'manual';
  topic: string;
  topic_terms: string[];
  terms: string[];
  confidence: number | string;
  decided_at: Date | string;
  supersedes_id: string | null;
  superseded_by_id: string | null;
  supersede_reason: string | null;
  access: string[];
}

export interface ActionRow {
  id: string;
  what: string;
  owner_id: string | null;
  due_at: Date | string | null;
  due_text: string | null;
  status: ActionItem['status'];
  decision_id: string | null;
  created_at: Date | string;
  access: string[];
}

export interface QuestionRow {
  id: string;
  question: string;
  asked_by_id: string | null;
  asked_of_ids: string[];
  asked_at: Date | string;
  answered: boolean;
  answer_item_id: string | null;
  answer_position: number | null;
  answer_quote: string | null;
  access: string[];
}

export interface SourceRow {
  subject_id: string;
  item_id: string;
  position: number;
  quote: string;
  seq: number;
  occurred_at: Date | string | null;
}

export interface EvidenceRow {
  subject_id: string;
  item_id: string;
  position: number;
  quote: string;
  author_id: string | null;
  occurred_at: Date | string;
  reason: string;
}

export function decisionFromRow(r: DecisionRow, sources: SourceSpan[]): Decision {
  return {
    id: r.id,
    statement: r.statement,
    ...(r.rationale ? { rationale: r.rationale } : {}),
    deciderId: r.decider_id,
    ownerId: r.owner_id,
    status: r.status,
    topic: r.topic,
    confidence: Number(r.confidence),
    decidedAt: new Date(r.decided_at),
    sources,
    ...(r.supersedes_id ? { supersedesId: r.supersedes_id } : {}),
    ...(r.superseded_by_id ? { supersededById: r.superseded_by_id } : {}),
    access: [...r.access].sort(),
  };
}

export function actionFromRow(r: ActionRow, sources: SourceSpan[]): ActionItem {
  return {
    id: r.id,
    what: r.what,
    ownerId: r.owner_id,
    ...(r.due_at ? { dueAt: new Date(r.due_at) } : {}),
    ...(r.due_text ? { dueText: r.due_text } : {}),
    status: r.status,
    ...(r.decision_id ? { decisionId: r.decision_id } : {}),
    createdAt: new Date(r.created_at),
    sources,
    access: [...r.access].sort(),
  };
}

export function questionFromRow(r: QuestionRow, sources: SourceSpan[]): OpenQuestion {
  return {
    id: r.id,
    question: r.question,
    askedById: r.asked_by_id,
    askedOfIds: r.asked_of_ids,
    askedAt: new Date(r.asked_at),
    answered: r.answered,
    ...(r.answered && r.answer_item_id !== null && r.answer_position !== null && r.answer_quote
      ? { answer: { itemId: r.answer_item_id, position: Number(r.answer_position), quote: r.answer_quote } }
      : {}),
    sources,
    access: [...r.access].sort(),
  };
}

export function followUpFromRow(r: EvidenceRow): FollowUp {
  return {
    itemId: r.item_id,
    position: Number(r.position),
    quote: r.quote,
    authorId: r.author_id,
    occurredAt: new Date(r.occurred_at),
    reason: r.reason,
  };
}
