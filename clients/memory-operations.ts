/**
 * Operations over the institutional memory, for the CLI (`myc decisions [--open] [--topic T] [--owner P] [--json]`),
 * and later the HTTP API and MCP server: the decision log as one person may see it, each decision with its
 * sources (item, locator, author, time, quote) and its follow-ups.
 */
import { z } from 'zod';
import { OUTSIDE_OPT_IN, PersonId } from '../schemas/entities';
import { DecisionStore } from '../activities/memory/decisions';
import { answer } from '../activities/intelligence/ask';
import { ASK_VECTOR_WEIGHT, isSemanticModel } from '../config/embeddings';
import { OpenAISynthesizer } from '../activities/intelligence/ask/openai-synthesizer';
import { contentTerms, questionIntent, queryTerms } from '../activities/intelligence/ask/text';
import { extractorConfigFromEnv } from '../activities/intelligence/extraction/config';
import { UserError } from './operations';
import type { Stack } from './runtime';
import { AskRequest, DecisionsRequest, MAX_ASK_CITATIONS } from './registry/ops/memory';
import { decisionJudge } from '../activities/intelligence/decision-match';

/** The registry's inputs (one schema for direct calls and every surface), with the reader named by the caller. */
export const DecisionsInput = DecisionsRequest.extend({ as: PersonId });

export interface DecisionSource {
  itemId: string;
  position: number;
  kind: string | null;
  /** where a user finds it (URL or file#anchor) */
  locator: string | null;
  /** display name of who said it, or "someone outside the opt-in" */
  author: string | null;
  occurredAt: Date | null;
  quote: string;
}

export interface DecisionLogEntry {
  id: string;
  statement: string;
  rationale?: string;
  status: string;
  open: boolean;
  topic: string;
  decidedAt: Date;
  decider: { id: string; name: string } | null;
  owner: { id: string; name: string } | null;
  confidence: number;
  supersedesId?: string;
  supersededById?: string;
  sources: DecisionSource[];
  followUps: DecisionSource[];
}

/** The decision log on behalf of `as`: only decisions every source of which they may see. Newest first. */
export async function decisions(stack: Pick<Stack, 'db' | 'store'>, rawInput: z.input<typeof DecisionsInput>): Promise<DecisionLogEntry[]> {
  const parsed = DecisionsInput.safeParse(rawInput);
  if (!parsed.success) throw new UserError(z.prettifyError(parsed.error).replace(/\n/g, '; '));
  const input = parsed.data;
  const asker = await stack.store.getPerson(input.as);
  if (!asker) throw new UserError(`decisions: ${input.as} is not in the directory`);
  if (!asker.optedIn) throw new UserError(`decisions: ${input.as} has not opted in`);

  const people = await stack.store.listPeople();
  let ownerId: string | undefined;
  if (input.owner) {
    const wanted = input.owner.toLowerCase();
    const matches = people.filter((p) => p.id === wanted || p.name.toLowerCase() === wanted || p.name.toLowerCase().split(/\s+/)[0] === wanted);
    if (matches.length !== 1) {
      throw new UserError(matches.length === 0 ? `decisions: no one called "${input.owner}" in the directory` : `decisions: "${input.owner}" is ambiguous; use an email`);
    }
    ownerId = matches[0]!.id;
  }

  const store = new DecisionStore({ db: stack.db, judge: decisionJudge });
  const found = await store.listDecisions({ visibleTo: [asker.id], open: input.open, topic: input.topic, ownerId, limit: input.limit });

  const itemIds = [...new Set(found.flatMap((d) => [...d.sources, ...d.followUps].map((s) => s.itemId)))];
  const items = new Map((await stack.store.getItems(itemIds)).map((i) => [i.id, i]));
  const byId = new Map(people.map((p) => [p.id, p]));
  const nameOf = (id: string | null | undefined): string | null => {
    if (!id) return null;
    const p = byId.get(id);
    return p?.optedIn ? p.name : OUTSIDE_OPT_IN;
  };
  const who = (id: string | null): { id: string; name: string } | null => (id ? { id, name: nameOf(id) ?? id } : null);
  const source = (s: { itemId: string; position: number; quote: string; authorId?: string | null }): DecisionSource => {
    const item = items.get(s.itemId);
    const segment = item?.segments.find((x) => x.position === s.position);
    const authorId = s.authorId ?? segment?.speakerId ?? item?.authorId ?? null;
    return {
      itemId: s.itemId,
      position: s.position,
      kind: item?.kind ?? null,
      locator: item ? (item.kind === 'transcript' && segment?.startMs !== undefined ? transcriptAnchor(item.locator, segment.startMs) : item.locator) : null,
      author: nameOf(authorId),
      occurredAt: item ? new Date(item.occurredAt.getTime() + (segment?.startMs ?? 0)) : null,
      quote: s.quote,
    };
  };

  return found.map((d) => ({
    id: d.id,
    statement: d.statement,
    ...(d.rationale ? { rationale: d.rationale } : {}),
    status: d.status,
    open: d.open,
    topic: d.topic,
    decidedAt: d.decidedAt,
    decider: who(d.deciderId),
    owner: who(d.ownerId),
    confidence: d.confidence,
    ...(d.supersedesId ? { supersedesId: d.supersedesId } : {}),
    ...(d.supersededById ? { supersededById: d.supersededById } : {}),
    sources: d.sources.map(source),
    followUps: d.followUps.map(source),
  }));
}

/** A transcript's locator points at its first turn ("file#t=1"); a source points at its own turn. */
function transcriptAnchor(locator: string, startMs: number): string {
  const base = locator.replace(/#t=[\d.]+$/, '');
  return `${base}#t=${startMs / 1000}`;
}

export { MAX_ASK_CITATIONS };

export const AskInput = AskRequest.extend({ as: PersonId });

export interface AskOutput {
  question: string;
  sentences: { text: string; citations: number[] }[];
  citations: { marker: number; itemId: string; position: number; quote: string; kind: string; author: string | null; occurredAt: Date; locator: string }[];
}

/**
 * "What did we decide about X, and why? Who owns it? What is still open?" — answered extractively from the
 * sources, on behalf of one person, with the decision log's matching decisions fused in as evidence.
 */
export async function ask(
  stack: Pick<Stack, 'store' | 'decisions'>,
  rawInput: z.input<typeof AskInput>,
  options: { vectorWeight?: number } = {},
): Promise<AskOutput> {
  const input = AskInput.parse(rawInput);
  const asker = await stack.store.getPerson(input.as);
  if (!asker?.optedIn) throw new UserError(`ask: ${input.as} ${asker ? 'has not opted in' : 'is not in the directory'}`);
  const visibleTo = [asker.id];
  if (input.meeting !== undefined && (await stack.store.findItems({ visibleTo, threadId: input.meeting }, 1)).length === 0) {
    throw new UserError(`ask: no meeting ${input.meeting} with anything ${input.as} may see`);
  }
  const logged = pertinentDecisions(input.question, await stack.decisions.listDecisions({ visibleTo, limit: 500 }));
  const evidence = [{ source: 'decision log', hits: logged.flatMap(({ d, shared }) => d.sources.map((s) => ({ itemId: s.itemId, position: s.position, score: shared }))) }];
  const scope = input.meeting === undefined ? {} : { scope: { threadId: input.meeting } };
  // The encoder's own ranking joins the fusion only when the vectors carry meaning (not the hashing fallback).
  const vectorWeight = options.vectorWeight ?? (isSemanticModel(stack.store.embedderModel) ? ASK_VECTOR_WEIGHT : 0);
  const result = await answer(
    stack.store,
    { question: input.question, visibleTo, k: input.k, evidence, ...scope },
    { synthesizer: synthesizerFromEnv(), vectorWeight },
  );
  const items = new Map((await stack.store.getItems([...new Set(result.citations.map((c) => c.itemId))])).map((i) => [i.id, i]));
  const speakers = [...items.values()].flatMap((i) => [i.authorId, ...i.segments.map((s) => s.speakerId ?? null)]).filter((p): p is string => !!p);
  const names = new Map((await stack.store.peopleByIds([...new Set(speakers)])).map((p) => [p.id, p.name]));
  return {
    question: input.question,
    sentences: result.sentences,
    citations: result.citations.flatMap((c) => {
      const item = items.get(c.itemId);
      if (!item) return [];
      const speaker = item.segments.find((s) => s.position === c.position)?.speakerId ?? item.authorId;
      return [{ ...c, kind: item.kind, author: speaker ? (names.get(speaker) ?? null) : null, occurredAt: item.occurredAt, locator: item.locator }];
    }),
  };
}

/**
 * The logged decisions a question is about, best first, by how many of its topic words each
 * decision's topic and statement share. A question about decisions ("what did we decide about
 * X") takes any decision sharing a topic word; any other question only those sharing at least
 * half of its topic words (and two, when it has more than one), so a word common to the team's
 * work ("release") does not pull every decision into an answer about something else.
 */
export function pertinentDecisions<D extends { topic: string; statement: string }>(question: string, log: readonly D[]): { d: D; shared: number }[] {
  const topic = new Set(queryTerms(question));
  const aboutDecisions = questionIntent(question) === 'decision';
  const needed = Math.min(topic.size, Math.max(2, Math.ceil(topic.size / 2)));
  return log
    .map((d) => ({ d, shared: new Set(contentTerms(`${d.topic} ${d.statement}`).filter((t) => topic.has(t))).size }))
    .filter((x) => x.shared > 0 && (aboutDecisions || x.shared >= needed))
    .sort((a, b) => b.shared - a.shared);
}

/** Extractive by default; synthesized by the configured OpenAI-compatible model when MYCELIUM_EXTRACTOR=openai. */
export function synthesizerFromEnv(env: NodeJS.ProcessEnv = process.env): OpenAISynthesizer | undefined {
  const config = extractorConfigFromEnv(env);
  return config.extractor === 'openai' ? new OpenAISynthesizer(config.openai) : undefined;
}
