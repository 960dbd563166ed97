/**
 * Institutional memory: what was decided, who committed to what, what was asked — each with the exact
 * source spans it was extracted from. The one source of these types for extraction, store, workflows
 * and clients.
 */
import { z } from 'zod';
import { PersonId } from './entities';

/** Where a statement was made: an item, the segment (turn / message / paragraph) and the exact words. */
export const SourceSpan = z.object({
  itemId: z.string().min(1),
  position: z.number().int().nonnegative(),
  quote: z.string().min(1),
});
export type SourceSpan = z.infer<typeof SourceSpan>;

export const DecisionStatus = z.enum(['proposed', 'agreed', 'rejected', 'superseded', 'done']);
export type DecisionStatus = z.infer<typeof DecisionStatus>;

export const Decision = z.object({
  /** deterministic: derived from the first source span, so re-extraction finds the same decision */
  id: z.string().min(1),
  statement: z.string().min(1),
  rationale: z.string().optional(),
  /** who decided (the speaker who stated it, or the person named as deciding) */
  deciderId: PersonId.nullable(),
  /** who has to carry it out, when someone was named */
  ownerId: PersonId.nullable(),
  status: DecisionStatus,
  topic: z.string().min(1),
  confidence: z.number().min(0).max(1),
  decidedAt: z.coerce.date(),
  sources: z.array(SourceSpan).min(1),
  /** the decision this one replaces */
  supersedesId: z.string().optional(),
  supersededById: z.string().optional(),
  /** who may see it: the intersection of its sources' access lists */
  access: z.array(PersonId),
});
export type Decision = z.infer<typeof Decision>;

export const ActionStatus = z.enum(['open', 'done', 'dropped']);
export type ActionStatus = z.infer<typeof ActionStatus>;

export const ActionItem = z.object({
  id: z.string().min(1),
  what: z.string().min(1),
  ownerId: PersonId.nullable(),
  /** resolved from natural language ("by Friday") relative to when and where (timezone) it was said */
  dueAt: z.coerce.date().optional(),
  dueText: z.string().optional(),
  status: ActionStatus,
  decisionId: z.string().optional(),
  createdAt: z.coerce.date(),
  sources: z.array(SourceSpan).min(1),
  access: z.array(PersonId),
});
export type ActionItem = z.infer<typeof ActionItem>;

export const OpenQuestion = z.object({
  id: z.string().min(1),
  question: z.string().min(1),
  askedById: PersonId.nullable(),
  askedOfIds: z.array(PersonId),
  askedAt: z.coerce.date(),
  answered: z.boolean(),
  /** the later message or turn that answered it */
  answer: SourceSpan.optional(),
  sources: z.array(SourceSpan).min(1),
  access: z.array(PersonId),
});
export type OpenQuestion = z.infer<typeof OpenQuestion>;

/** What one extraction pass over one item yields. */
export const Extraction = z.object({
  itemId: z.string(),
  extractor: z.string(),
  decisions: z.array(Decision),
  actions: z.array(ActionItem),
  questions: z.array(OpenQuestion),
});
export type Extraction = z.infer<typeof Extraction>;

/** What a follow-up is about (shared by the follow-up store, its activities and its workflow). */
export type SubjectKind = 'decision' | 'action';

/** An item segment that shows a decision or action item was carried out. */
export interface CompletionEvidence {
  subjectKind: SubjectKind;
  subjectId: string;
  itemId: string;
  position: number;
}
