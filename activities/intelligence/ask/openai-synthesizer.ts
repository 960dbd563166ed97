/**
 * The synthesized answer: an OpenAI-compatible model writes the answer from the ranked passages only,
 * each sentence naming the passage markers it rests on. Structured output validated with zod; markers
 * the model was not given are dropped (answer() does it too); a sentence left without a source is dropped.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { LlmFailureType, LlmOutputError } from '../extraction/errors';
import type { AnswerSentence, SynthesisInput, Synthesizer } from './extractive';

export const ANSWER_PROMPT_VERSION = 'answer/1';

const ModelAnswer = z.object({
  sentences: z.array(z.object({ text: z.string(), citations: z.array(z.number().int()) })),
});

export interface OpenAISynthesizerOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  fetch?: typeof fetch;
}

export class OpenAISynthesizer implements Synthesizer {
  readonly name: string;
  readonly #client: OpenAI;
  readonly #model: string;

  constructor(options: OpenAISynthesizerOptions) {
    this.#model = options.model;
    this.name = `openai/${options.model}/${ANSWER_PROMPT_VERSION}`;
    this.#client = new OpenAI({
      // a local OpenAI-compatible server may need no key; the SDK insists on one
      apiKey: options.apiKey ?? 'unused',
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async synthesize({ question, passages, maxSentences }: SynthesisInput): Promise<AnswerSentence[]> {
    if (passages.length === 0) return [];
    const completion = await this.#client.chat.completions.create({
      model: this.#model,
      temperature: 0,
      messages: [
        { role: 'system', content: answerSystemPrompt(maxSentences) },
        {
          role: 'user',
          content: `Question: ${question}\n\nPassages:\n${passages
            .map((p) => `[${p.marker}] ${p.speaker ? `${p.speaker}: ` : ''}${p.text.replace(/\s+/g, ' ')}`)
            .join('\n')}`,
        },
      ],
      response_format: zodResponseFormat(ModelAnswer, 'answer'),
    });
    const choice = completion.choices[0];
    if (!choice) throw new LlmOutputError(LlmFailureType.MalformedOutput, 'the response has no choices');
    if (choice.message.refusal) throw new LlmOutputError(LlmFailureType.Refused, `the model refused: ${choice.message.refusal}`);
    let json: unknown;
    try {
      json = JSON.parse(choice.message.content ?? '');
    } catch (error) {
      throw new LlmOutputError(LlmFailureType.MalformedOutput, `the output is not JSON: ${(error as Error).message}`);
    }
    const parsed = ModelAnswer.safeParse(json);
    if (!parsed.success) throw new LlmOutputError(LlmFailureType.MalformedOutput, `the output does not match the schema: ${parsed.error.message}`);
    const given = new Set(passages.map((p) => p.marker));
    return parsed.data.sentences
      .map((s) => ({ text: s.text.trim(), citations: [...new Set(s.citations.filter((m) => given.has(m)))] }))
      .filter((s) => s.text.length > 0 && s.citations.length > 0)
      .slice(0, maxSentences);
  }
}

export function answerSystemPrompt(maxSentences: number): string {
  return [
    `You answer questions about a team's decisions from the numbered passages given (prompt ${ANSWER_PROMPT_VERSION}).`,
    'Use only what the passages say. Say what was decided, why, who owns it and what is still open when the passages say so.',
    `Write at most ${maxSentences} short sentences. Every sentence lists the numbers of the passages it rests on in "citations".`,
    'If the passages do not answer the question, return no sentences.',
  ].join('\n');
}
