/**
 * The LLM extractor: an OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, …) with
 * structured outputs (`response_format: json_schema`, strict, derived from the zod schema in prompt.ts).
 *
 * Nothing the model says is trusted as is: the output is validated with zod, every citation must quote
 * its segment verbatim (else that thing is dropped, and logged), people must be in the opted-in directory,
 * and deadlines are resolved here (chrono, in the speaker's time zone) from the words the model copied.
 * Failures are classified once (errors.ts) into retryable or non-retryable ApplicationFailures.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { Logger } from 'pino';
import type { PersonId } from '../../../schemas/entities';
import { Extraction as ExtractionSchema, type ActionItem, type Decision, type Extraction, type OpenQuestion, type SourceSpan } from '../../../schemas/memory';
import { conversationItems, spokenSegments, type SpokenSegment } from './conversation';
import { LlmFailureType, LlmOutputError, toApplicationFailure } from './errors';
import { extractedId, type ExtractedKind } from './ids';
import { topicOf } from './language';
import { PeopleIndex } from './people';
import type { ExtractionInput, Extractor } from './port';
import { ModelExtraction, PROMPT_VERSION, type PromptSegment, RESPONSE_FORMAT_NAME, systemPrompt, userPrompt } from './prompt';
import { resolveDueDate } from './time';

export interface OpenAIExtractorOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  /** per request, ms */
  timeoutMs: number;
  /** the SDK's own retries (connection errors, 408/409/429/5xx) before the failure reaches Temporal */
  maxRetries: number;
  log: Logger;
  /** for tests: the fetch the SDK uses */
  fetch?: typeof fetch;
}

interface SegmentRef extends SpokenSegment {
  ref: string;
  order: number;
}

const MAX_CONTEXT_SEGMENTS = 80;

export class OpenAIExtractor implements Extractor {
  readonly name: string;
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #log: Logger;

  constructor(options: OpenAIExtractorOptions) {
    this.#model = options.model;
    this.#log = options.log;
    this.name = `openai/${options.model}/${PROMPT_VERSION}`;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async extract(input: ExtractionInput): Promise<Extraction> {
    const people = new PeopleIndex(input.people);
    const empty: Extraction = { itemId: input.item.id, extractor: this.name, decisions: [], actions: [], questions: [] };
    const segments = segmentsOf(input, people);
    if (!segments.some((s) => s.focus)) return empty; // nothing said by anyone in the opt-in: no request at all

    let output: ModelExtraction;
    try {
      output = await this.#ask(input, people, segments);
    } catch (error) {
      throw toApplicationFailure(error);
    }
    const extraction = this.#toExtraction(empty, output, segments, people);
    const parsed = ExtractionSchema.safeParse(extraction);
    if (!parsed.success) {
      throw toApplicationFailure(new LlmOutputError(LlmFailureType.MalformedOutput, `extraction failed validation: ${parsed.error.message}`));
    }
    return parsed.data;
  }

  async #ask(input: ExtractionInput, people: PeopleIndex, segments: SegmentRef[]): Promise<ModelExtraction> {
    const directory = input.people.filter((p) => people.has(p.id)).map((p) => ({ id: p.id, name: p.name }));
    const promptSegments: PromptSegment[] = segments.map((s) => ({
      ref: s.ref,
      focus: s.focus,
      kind: s.item.kind,
      at: s.saidAt.toISOString(),
      speaker: `${s.speaker.name} <${s.speaker.id}>`,
      text: s.text,
    }));
    const completion = await this.#client.chat.completions.create({
      model: this.#model,
      temperature: 0,
      messages: [
        { role: 'system', content: systemPrompt() },
        { role: 'user', content: userPrompt(directory, promptSegments, input.item.title) },
      ],
      response_format: zodResponseFormat(ModelExtraction, RESPONSE_FORMAT_NAME),
    });
    const choice = completion.choices[0];
    if (!choice) throw new LlmOutputError(LlmFailureType.MalformedOutput, 'the response has no choices');
    const message = choice.message;
    if (message.refusal) throw new LlmOutputError(LlmFailureType.Refused, `the model refused: ${message.refusal}`);
    if (choice.finish_reason === 'length') throw new LlmOutputError(LlmFailureType.OutputTruncated, 'the output was cut off (finish_reason: length)');
    if (choice.finish_reason === 'content_filter') throw new LlmOutputError(LlmFailureType.Refused, 'the output was withheld by the content filter');
    if (typeof message.content !== 'string' || message.content.trim() === '') {
      throw new LlmOutputError(LlmFailureType.MalformedOutput, 'the response has no content');
    }
    let json: unknown;
    try {
      json = JSON.parse(message.content);
    } catch (error) {
      throw new LlmOutputError(LlmFailureType.MalformedOutput, `the output is not JSON: ${(error as Error).message}`);
    }
    const parsed = ModelExtraction.safeParse(json);
    if (!parsed.success) {
      throw new LlmOutputError(LlmFailureType.MalformedOutput, `the output does not match the schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return parsed.data;
  }

  #toExtraction(empty: Extraction, output: ModelExtraction, segments: SegmentRef[], people: PeopleIndex): Extraction {
    const byRef = new Map(segments.map((s) => [s.ref, s]));
    const ordinals = new Map<string, number>();
    const idFor = (kind: ExtractedKind, anchor: SegmentRef): string => {
      const key = `${kind}:${anchor.item.id}:${anchor.position}`;
      const n = ordinals.get(key) ?? 0;
      ordinals.set(key, n + 1);
      return extractedId(kind, { itemId: anchor.item.id, position: anchor.position }, n);
    };
    const person = (id: string | null): PersonId | null => (id && people.has(id) ? id.trim().toLowerCase() : null);
    const drop = (kind: string, index: number, reason: string): void => {
      this.#log.warn({ itemId: empty.itemId, extractor: this.name, kind, index, reason }, 'dropped an extracted item');
    };

    /** verbatim spans, in conversation order; undefined when any citation does not hold */
    const resolve = (spans: { ref: string; quote: string }[]): { spans: SourceSpan[]; refs: SegmentRef[] } | string => {
      const out: { span: SourceSpan; ref: SegmentRef }[] = [];
      for (const s of spans) {
        const seg = byRef.get(s.ref.trim());
        if (!seg) return `unknown segment ref "${s.ref}"`;
        const quote = verbatim(seg.text, s.quote);
        if (!quote) return `quote not found verbatim in ${s.ref}: "${s.quote.slice(0, 80)}"`;
        if (!out.some((o) => o.ref === seg && o.span.quote === quote)) out.push({ span: { itemId: seg.item.id, position: seg.position, quote }, ref: seg });
      }
      if (out.length === 0) return 'no sources';
      return { spans: out.map((o) => o.span), refs: out.map((o) => o.ref) };
    };

    const decisions: Decision[] = [];
    const decisionIds = new Map<number, string>();
    output.decisions.forEach((d, index) => {
      const r = resolve(d.sources);
      if (typeof r === 'string') return drop('decision', index, r);
      if (!r.refs.some((x) => x.focus)) return;
      const anchor = r.refs[0]!;
      const statement = d.statement.trim();
      if (!statement) return drop('decision', index, 'empty statement');
      const id = idFor('decision', anchor);
      decisionIds.set(index, id);
      decisions.push({
        id,
        statement,
        ...(d.rationale?.trim() ? { rationale: d.rationale.trim() } : {}),
        deciderId: person(d.deciderId) ?? anchor.speaker.id,
        ownerId: person(d.ownerId),
        status: d.status,
        topic: d.topic.trim() || topicOf(statement),
        confidence: Math.min(1, Math.max(0, Number.isFinite(d.confidence) ? d.confidence : 0.5)),
        decidedAt: anchor.saidAt,
        sources: r.spans,
        access: accessOf(r.refs),
      });
    });

    const actions: ActionItem[] = [];
    output.actions.forEach((a, index) => {
      const r = resolve(a.sources);
      if (typeof r === 'string') return drop('action', index, r);
      if (!r.refs.some((x) => x.focus)) return;
      const ownerId = person(a.ownerId);
      if (!ownerId) return drop('action', index, `owner "${a.ownerId ?? ''}" is not in the opted-in directory`);
      const anchor = r.refs[0]!;
      const what = a.what.trim();
      if (!what) return drop('action', index, 'empty action');
      // the deadline is resolved where it was said: the cited segment holding the words, else the first
      const dueWords = a.due?.trim();
      const saidIn = dueWords ? (r.refs.find((x) => x.text.toLowerCase().includes(dueWords.toLowerCase())) ?? anchor) : anchor;
      const due = dueWords ? resolveDueDate(dueWords, saidIn.saidAt, saidIn.speaker.timezone, saidIn.speaker.workingHours) : undefined;
      const decisionId = a.decisionIndex !== null ? decisionIds.get(a.decisionIndex) : undefined;
      actions.push({
        id: idFor('action', anchor),
        what,
        ownerId,
        ...(due ? { dueAt: due.dueAt, dueText: dueWords } : {}),
        status: 'open',
        ...(decisionId ? { decisionId } : {}),
        createdAt: anchor.saidAt,
        sources: r.spans,
        access: accessOf(r.refs),
      });
    });

    const questions: OpenQuestion[] = [];
    output.questions.forEach((q, index) => {
      const r = resolve(q.sources);
      if (typeof r === 'string') return drop('question', index, r);
      const anchor = r.refs[0]!;
      let answer: { span: SourceSpan; ref: SegmentRef } | undefined;
      if (q.answer) {
        const a = resolve([q.answer]);
        if (typeof a === 'string') return drop('question', index, `answer: ${a}`);
        if (a.refs[0]!.order <= anchor.order) return drop('question', index, 'the answer is not later than the question');
        answer = { span: a.spans[0]!, ref: a.refs[0]! };
      }
      if (!r.refs.some((x) => x.focus) && !answer?.ref.focus) return;
      const askedById = person(q.askedById) ?? anchor.speaker.id;
      questions.push({
        id: idFor('question', anchor),
        question: q.question.trim() || r.spans[0]!.quote,
        askedById,
        askedOfIds: [...new Set(q.askedOfIds.map((p) => person(p)).filter((p): p is PersonId => p !== null && p !== askedById))],
        askedAt: anchor.saidAt,
        answered: answer !== undefined,
        ...(answer ? { answer: answer.span } : {}),
        sources: r.spans,
        access: accessOf(answer ? [...r.refs, answer.ref] : r.refs),
      });
    });

    return { ...empty, decisions, actions, questions };
  }
}

/** The segments the model sees: the item's, and its thread's around it, each with a stable [ref]. */
function segmentsOf(input: ExtractionInput, people: PeopleIndex): SegmentRef[] {
  const items = conversationItems(input);
  // refs name the item being extracted "0" and the thread's items 1, 2, … in order
  const labels = new Map<string, string>();
  let contextNo = 0;
  for (const item of items) labels.set(item.id, item.id === input.item.id ? '0' : String(++contextNo));
  const out = spokenSegments(items, input.item.id, people).map((s, order): SegmentRef => ({ ...s, ref: `${labels.get(s.item.id)}.${s.position}`, order }));
  // keep every focus segment and the context nearest to it
  if (out.length <= MAX_CONTEXT_SEGMENTS) return out;
  const first = out.findIndex((s) => s.focus);
  const last = out.length - 1 - [...out].reverse().findIndex((s) => s.focus);
  const room = Math.max(0, MAX_CONTEXT_SEGMENTS - (last - first + 1));
  return out.slice(Math.max(0, first - Math.ceil(room / 2)), last + 1 + Math.floor(room / 2));
}

/** The quote as it stands in the segment (exact, or equal up to whitespace), else undefined. */
export function verbatim(segment: string, quote: string): string | undefined {
  const q = quote.trim();
  if (!q) return undefined;
  if (segment.includes(q)) return q;
  const tokens = q.split(/\s+/).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const m = new RegExp(tokens.join('\\s+')).exec(segment);
  return m ? m[0] : undefined;
}

function accessOf(refs: SegmentRef[]): PersonId[] {
  const lists = [...new Map(refs.map((r) => [r.item.id, r.item.access])).values()];
  const [first = [], ...rest] = lists;
  return first.filter((p) => rest.every((l) => l.includes(p))).sort();
}
