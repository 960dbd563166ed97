/**
 * The shapes operations return, on every surface (CLI --json, HTTP, MCP). Dates are Date objects in
 * process and ISO 8601 strings on the wire; z.coerce.date reads both back.
 */
import { z } from 'zod';
import { Brief, ItemKind, Meeting } from './entities';

const When = z.coerce.date();

export const SearchResultOut = z.object({
  itemId: z.string(),
  position: z.number().int(),
  score: z.number(),
  kind: z.string(),
  title: z.string().optional(),
  author: z.string().nullable(),
  occurredAt: When,
  locator: z.string(),
  text: z.string(),
});

export const MeetingOut = Meeting.extend({ startsAt: When, endsAt: When });

export const BriefOut = z.object({
  meeting: MeetingOut,
  brief: Brief,
  workflowId: z.string(),
  runId: z.string(),
  /** the Temporal Web UI page of the run that made the brief */
  uiLink: z.string().optional(),
});

export const DecisionSourceOut = z.object({
  itemId: z.string(),
  position: z.number().int(),
  kind: z.string().nullable(),
  locator: z.string().nullable(),
  author: z.string().nullable(),
  occurredAt: When.nullable(),
  quote: z.string(),
});

const Who = z.object({ id: z.string(), name: z.string() }).nullable();

export const DecisionLogEntryOut = z.object({
  id: z.string(),
  statement: z.string(),
  rationale: z.string().optional(),
  status: z.string(),
  open: z.boolean(),
  topic: z.string(),
  decidedAt: When,
  decider: Who,
  owner: Who,
  confidence: z.number(),
  supersedesId: z.string().optional(),
  supersededById: z.string().optional(),
  sources: z.array(DecisionSourceOut),
  followUps: z.array(DecisionSourceOut),
});

export const AskOut = z.object({
  question: z.string(),
  sentences: z.array(z.object({ text: z.string(), citations: z.array(z.number().int()) })),
  citations: z.array(
    z.object({
      marker: z.number().int(),
      itemId: z.string(),
      position: z.number().int(),
      quote: z.string(),
      kind: z.union([ItemKind, z.string()]),
      author: z.string().nullable(),
      occurredAt: When,
      locator: z.string(),
    }),
  ),
});

/** What ingestion left out because its authors are not in the directory or not opted in: identity and counts, never content. */
export const HeldBackOut = z.object({
  /** pieces of content held back: emails, messages, transcript turns */
  items: z.number().int(),
  authors: z.array(
    z.object({
      /** email; absent when the data named the author only (a transcript speaker) */
      id: z.string().optional(),
      name: z.string().optional(),
      items: z.number().int(),
    }),
  ),
});

export const SyncResultOut = z.object({
  sourceId: z.string(),
  files: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  removed: z.number().int(),
  quarantined: z.array(z.object({ path: z.string(), reason: z.string() })),
  heldBack: HeldBackOut,
  ignored: z.array(z.string()),
  meetingsEnsured: z.number().int(),
  extracted: z.object({ decisions: z.number().int(), actions: z.number().int(), questions: z.number().int() }),
  followUps: z.object({ started: z.number().int(), signalled: z.number().int() }),
});

export const IngestOut = z.object({
  sourceId: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  uiLink: z.string().optional(),
  result: SyncResultOut,
});
