/**
 * The extraction prompt, versioned: PROMPT_VERSION is sent with every request and is part of the
 * extractor's name, so stored extractions say which prompt produced them. Change the text => bump it.
 */
import { z } from 'zod';

export const PROMPT_VERSION = 'extraction-2026-03-10.1';

/** A citation: a segment reference from the conversation listing, and the exact words quoted from it. */
const ModelSpan = z.object({
  ref: z.string().describe('the [ref] of the segment, e.g. "0.17"'),
  quote: z.string().describe('words copied EXACTLY from that segment (a sentence or a clause), no paraphrase'),
});

const ModelDecision = z.object({
  statement: z.string().describe('what was decided, as a short sentence'),
  rationale: z.string().nullable().describe('why, when someone said it; else null'),
  deciderId: z.string().nullable().describe('email of who decided (the speaker stating it, or the person named as deciding)'),
  ownerId: z.string().nullable().describe('email of who has to carry it out, when someone was named; else null'),
  status: z.enum(['proposed', 'agreed', 'rejected']).describe('agreed only when stated as decided or agreed to by others; rejected when others said no'),
  topic: z.string().describe('the key noun phrase the decision is about, 1-4 words'),
  confidence: z.number().describe('0..1'),
  sources: z.array(ModelSpan).describe('the statement first, then agreement or rationale segments'),
});

const ModelAction = z.object({
  what: z.string().describe('the work to do, starting with a verb'),
  ownerId: z.string().nullable().describe('email of the person who committed or was asked and accepted'),
  due: z.string().nullable().describe('the deadline words EXACTLY as said (e.g. "by Friday", "before the March 10 sync"); null if none'),
  decisionIndex: z.number().int().nullable().describe('index in `decisions` of the decision it carries out, or null'),
  sources: z.array(ModelSpan),
});

const ModelQuestion = z.object({
  question: z.string().describe('the question, quoted'),
  askedById: z.string().nullable(),
  askedOfIds: z.array(z.string()).describe('emails of the people it was addressed to (by name, @mention or as email recipients); empty for the room'),
  answer: ModelSpan.nullable().describe('the LATER segment that answers it, or null if nobody answered'),
  sources: z.array(ModelSpan),
});

/** What the model must return (strict JSON schema derived from this with zodResponseFormat). */
export const ModelExtraction = z.object({
  decisions: z.array(ModelDecision),
  actions: z.array(ModelAction),
  questions: z.array(ModelQuestion),
});
export type ModelExtraction = z.infer<typeof ModelExtraction>;

export const RESPONSE_FORMAT_NAME = 'mycelium_extraction';

export function systemPrompt(): string {
  return [
    `You extract institutional memory from a team conversation. Prompt version: ${PROMPT_VERSION}.`,
    'Return only what is in the segments marked FOCUS (the item being extracted); the other segments are context:',
    'a FOCUS reply may agree with, answer or accept something said earlier, and then that earlier segment is cited too.',
    '- decisions: things decided or proposed for decision. Not status updates, not opinions.',
    '- actions: work someone committed to ("I\'ll …"), was assigned ("Carla owns …") or was asked and accepted. Owner required.',
    '- questions: real questions that expect an answer; say which later segment answered it, if any.',
    'Rules: cite every item with [ref] and a quote copied character for character from that segment.',
    'Use only the email addresses from the people list; never invent people. Do not resolve dates: copy the deadline words.',
    'If nothing qualifies, return empty lists.',
  ].join('\n');
}

export interface PromptSegment {
  ref: string;
  focus: boolean;
  kind: string;
  at: string;
  speaker: string;
  text: string;
}

export function userPrompt(people: { id: string; name: string }[], segments: PromptSegment[], title?: string): string {
  const directory = people.map((p) => `- ${p.name} <${p.id}>`).join('\n');
  const lines = segments.map((s) => `[${s.ref}]${s.focus ? ' FOCUS' : ''} ${s.at} ${s.kind} ${s.speaker}: ${s.text}`).join('\n');
  return [`People:\n${directory}`, ...(title ? [`Subject: ${title}`] : []), `Conversation:\n${lines}`].join('\n\n');
}
