/**
 * The OpenAI extractor against a local stand-in (node:http on 127.0.0.1, random port) that speaks the
 * chat-completions wire format: the exact request, citations checked verbatim, and every failure class
 * (malformed output, refusal, 429 + Retry-After, 5xx, timeout) turned into the right ApplicationFailure.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { zodResponseFormat } from 'openai/helpers/zod';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createExtractor, extractorConfigFromEnv, LocalExtractor, OpenAIExtractor, PROMPT_VERSION } from '../../activities/intelligence/extraction';
import { ModelExtraction, RESPONSE_FORMAT_NAME, systemPrompt } from '../../activities/intelligence/extraction/prompt';
import type { Item } from '../../schemas/entities';
import { loadSample, type Sample, syntheticItem } from './sample';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Reply = (res: ServerResponse, body: Record<string, unknown>) => void;

let server: Server;
let baseURL: string;
let recorded: Recorded[] = [];
let reply: Reply;
const logLines: Record<string, unknown>[] = [];
const log = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  }),
);

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** A chat completion whose message content is `content` (or a refusal). */
function completion(content: string | null, extra: { refusal?: string; finish_reason?: string } = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1_772_000_000,
    model: 'test-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: extra.refusal ?? null },
        finish_reason: extra.finish_reason ?? 'stop',
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      recorded.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      reply(res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let sample: Sample;
beforeAll(async () => {
  sample = await loadSample();
});

beforeEach(() => {
  recorded = [];
  logLines.length = 0;
});

const RC2_QUESTION = 'C01MOBREL/1772818818.000840';

function extractor(opts: { timeoutMs?: number; maxRetries?: number } = {}): OpenAIExtractor {
  return new OpenAIExtractor({ apiKey: 'test-key', baseURL, model: 'test-model', timeoutMs: opts.timeoutMs ?? 5_000, maxRetries: opts.maxRetries ?? 0, log });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the extraction to fail');
}

describe('the request', () => {
  it('sends the model, the versioned prompt, the conversation with FOCUS refs and the strict JSON schema derived from zod', async () => {
    reply = (res) => json(res, 200, completion(JSON.stringify({ decisions: [], actions: [], questions: [] })));
    const item = sample.byExternalId(RC2_QUESTION);
    await extractor().extract({ item, people: sample.directory, thread: [] });

    expect(recorded).toHaveLength(1);
    const [request] = recorded;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/v1/chat/completions');
    expect(request!.headers.authorization).toBe('Bearer test-key');
    const body = request!.body;
    expect(body.model).toBe('test-model');
    expect(body.temperature).toBe(0);
    const messages = body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]!.content).toBe(systemPrompt());
    expect(messages[0]!.content).toContain(`Prompt version: ${PROMPT_VERSION}`);
    expect(messages[1]!.content).toContain('- Bob Okafor <bob@acme.test>');
    expect(messages[1]!.content).toContain('[0.0] FOCUS 2026-03-06T17:40:18.000Z message Farid Haddad <farid@acme.test>: @Bob Okafor before I kick off');
    expect(messages[1]!.content).not.toContain('grace@acme.test'); // outside the opt-in: not even in the directory sent
    const expected = zodResponseFormat(ModelExtraction, RESPONSE_FORMAT_NAME);
    expect(body.response_format).toEqual(JSON.parse(JSON.stringify(expected)));
    const format = body.response_format as { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe('mycelium_extraction');
    expect(format.json_schema.strict).toBe(true);
    expect(format.json_schema.schema).toMatchObject({ type: 'object', required: ['decisions', 'actions', 'questions'], additionalProperties: false });
  });

  it('sends nothing at all for an item with no opted-in speaker', async () => {
    reply = (res) => json(res, 500, {});
    const item = syntheticItem({ id: 'x', kind: 'message', authorId: 'grace@acme.test', occurredAt: new Date(), access: ['grace@acme.test'], segments: [{ position: 0, text: 'We agreed: ship it.' }] });
    const extraction = await extractor().extract({ item, people: sample.directory });
    expect(extraction.decisions).toEqual([]);
    expect(recorded).toHaveLength(0);
  });
});

describe('the answer', () => {
  const transcriptId = 'transcripts/2026-02-24-mobile-release-sync.vtt';

  it('becomes an extraction: verbatim citations kept, a paraphrased one dropped and logged, deadlines resolved in the speaker\'s zone', async () => {
    const item = sample.byExternalId(transcriptId);
    const turn20 = item.segments.find((s) => s.position === 20)!.text;
    const turn17 = item.segments.find((s) => s.position === 17)!.text;
    reply = (res) =>
      json(
        res,
        200,
        completion(
          JSON.stringify({
            decisions: [
              {
                statement: 'No store submission without the rollback runbook',
                rationale: null,
                deciderId: 'alice@acme.test',
                ownerId: 'carla@acme.test',
                status: 'agreed',
                topic: 'rollback runbook',
                confidence: 0.9,
                sources: [{ ref: '0.20', quote: 'no store submission for 4.2 without the rollback runbook linked from the release checklist' }],
              },
              {
                statement: 'A paraphrase',
                rationale: null,
                deciderId: 'alice@acme.test',
                ownerId: null,
                status: 'agreed',
                topic: 'x',
                confidence: 0.5,
                sources: [{ ref: '0.8', quote: 'we decided to submit on the twelfth' }],
              },
            ],
            actions: [
              {
                what: 'write the rollback runbook',
                ownerId: 'carla@acme.test',
                due: 'before the March 10 sync',
                decisionIndex: 0,
                sources: [{ ref: '0.17', quote: turn17.slice(0, 24) }, { ref: '0.20', quote: 'Carla owns the runbook' }],
              },
              { what: 'redo screenshots', ownerId: 'grace@acme.test', due: null, decisionIndex: null, sources: [{ ref: '0.20', quote: 'Carla owns the runbook' }] },
            ],
            questions: [],
          }),
        ),
      );
    const extraction = await extractor().extract({ item, people: sample.directory, thread: [] });
    expect(extraction.extractor).toBe(`openai/test-model/${PROMPT_VERSION}`);
    expect(extraction.decisions).toHaveLength(1);
    const decision = extraction.decisions[0]!;
    expect(decision.sources).toEqual([{ itemId: item.id, position: 20, quote: 'no store submission for 4.2 without the rollback runbook linked from the release checklist' }]);
    expect(turn20).toContain(decision.sources[0]!.quote);
    expect(decision.access).toEqual([...item.access].sort());
    expect(extraction.actions).toHaveLength(1); // Grace is not in the opted-in directory
    const action = extraction.actions[0]!;
    expect(action.ownerId).toBe('carla@acme.test');
    expect(action.decisionId).toBe(decision.id);
    // "before the March 10 sync" is in turn 20, said by Alice (Europe/Berlin): 09:00 there
    expect(action.dueAt?.toISOString()).toBe('2026-03-10T08:00:00.000Z');
    const dropped = logLines.filter((l) => l.msg === 'dropped an extracted item');
    expect(dropped.map((l) => [l.kind, l.index])).toEqual([
      ['decision', 1],
      ['action', 1],
    ]);
    expect(String(dropped[0]!.reason)).toContain('not found verbatim');
  });

  it('links a question to the later reply that answers it, and drops an "answer" that came before the question', async () => {
    const asked = sample.byExternalId('<20260220101402.erin.consent@acme.test>');
    const answered = sample.byExternalId('<20260220143055.ines.consent@acme.test>');
    const question = 'Does the screen itself need to go through legal review before we submit to the stores on March 12';
    const segmentOf = (item: Item): number => item.segments.findIndex((x) => x.text.includes(question.slice(0, 30)));
    const q = (answer: { ref: string; quote: string }) => ({ question, askedById: 'erin@acme.test', askedOfIds: ['ines@acme.test', 'grace@acme.test'], answer, sources: [{ ref: '1.1', quote: question }] });
    reply = (res) => json(res, 200, completion(JSON.stringify({ decisions: [], actions: [], questions: [q({ ref: '0.1', quote: 'Yes, it needed a review' }), q({ ref: '1.0', quote: 'Hi Ines,' })] })));
    expect(segmentOf(asked)).toBe(1);
    const extraction = await extractor().extract({ item: answered, people: sample.directory, thread: [asked] });
    expect(String((recorded[0]!.body.messages as { content: string }[])[1]!.content)).toContain('[1.1] 2026-02-20T10:14:02.000Z email Erin Walsh');
    expect(extraction.questions).toHaveLength(1);
    expect(extraction.questions[0]).toMatchObject({
      askedById: 'erin@acme.test',
      askedOfIds: ['ines@acme.test'],
      answered: true,
      answer: { itemId: answered.id, position: 1, quote: 'Yes, it needed a review' },
      sources: [{ itemId: asked.id, position: 1, quote: question }],
    });
    expect(logLines.map((l) => l.reason)).toEqual(['the answer is not later than the question']);
  });

  it('is malformed when it is not JSON or does not match the schema: non-retryable', async () => {
    const item = sample.byExternalId(RC2_QUESTION);
    reply = (res) => json(res, 200, completion('{"decisions": [ this is not json'));
    const notJson = await failureOf(extractor().extract({ item, people: sample.directory }));
    expect(notJson.type).toBe('LlmMalformedOutput');
    expect(notJson.nonRetryable).toBe(true);

    reply = (res) => json(res, 200, completion(JSON.stringify({ decisions: [{ statement: 42 }], actions: [] })));
    const wrongShape = await failureOf(extractor().extract({ item, people: sample.directory }));
    expect(wrongShape.type).toBe('LlmMalformedOutput');
    expect(wrongShape.nonRetryable).toBe(true);
    expect(wrongShape.message).toMatch(/does not match the schema/);
  });

  it('is a refusal: non-retryable LlmRefused', async () => {
    reply = (res) => json(res, 200, completion(null, { refusal: "I can't help with that." }));
    const failure = await failureOf(extractor().extract({ item: sample.byExternalId(RC2_QUESTION), people: sample.directory }));
    expect(failure.type).toBe('LlmRefused');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain("I can't help with that.");
  });

  it('is cut off: non-retryable LlmOutputTruncated', async () => {
    reply = (res) => json(res, 200, completion('{"decisions": [', { finish_reason: 'length' }));
    const failure = await failureOf(extractor().extract({ item: sample.byExternalId(RC2_QUESTION), people: sample.directory }));
    expect(failure.type).toBe('LlmOutputTruncated');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('transient failures', () => {
  const item = (): Item => sample.byExternalId(RC2_QUESTION);

  it('429 with Retry-After: retryable, with the server\'s delay as the next retry delay (after the SDK\'s own retries)', async () => {
    reply = (res) => json(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '0.2' });
    const failure = await failureOf(extractor({ maxRetries: 1 }).extract({ item: item(), people: sample.directory }));
    expect(recorded).toHaveLength(2); // the SDK retried once, honouring Retry-After, then gave up
    expect(failure.type).toBe('LlmRateLimited');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(200);

    recorded = [];
    reply = (res) => json(res, 429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '30' });
    const longer = await failureOf(extractor({ maxRetries: 0 }).extract({ item: item(), people: sample.directory }));
    expect(longer.nextRetryDelay).toBe(30_000);
    expect(recorded).toHaveLength(1);
  });

  it('5xx: retryable LlmUnavailable', async () => {
    reply = (res) => json(res, 503, { error: { message: 'overloaded' } });
    const failure = await failureOf(extractor().extract({ item: item(), people: sample.directory }));
    expect(failure.type).toBe('LlmUnavailable');
    expect(failure.nonRetryable).toBe(false);
  });

  it('a timeout: retryable LlmTimeout', async () => {
    reply = (res) => {
      const timer = setTimeout(() => json(res, 200, completion('{"decisions":[],"actions":[],"questions":[]}')), 3_000);
      res.on('close', () => clearTimeout(timer));
    };
    const started = Date.now();
    const failure = await failureOf(extractor({ timeoutMs: 300 }).extract({ item: item(), people: sample.directory }));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(failure.type).toBe('LlmTimeout');
    expect(failure.nonRetryable).toBe(false);
  });

  it('401: non-retryable LlmAuthFailed (a configuration problem)', async () => {
    reply = (res) => json(res, 401, { error: { message: 'Incorrect API key provided' } });
    const failure = await failureOf(extractor().extract({ item: item(), people: sample.directory }));
    expect(failure.type).toBe('LlmAuthFailed');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('choosing the extractor', () => {
  it('is local by default and openai when configured, from the environment', () => {
    expect(createExtractor(extractorConfigFromEnv({}), { log })).toBeInstanceOf(LocalExtractor);
    const config = extractorConfigFromEnv({ MYCELIUM_EXTRACTOR: 'openai', OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'k', MYCELIUM_LLM_MODEL: 'm', MYCELIUM_LLM_TIMEOUT_MS: '1000' });
    expect(config.openai).toEqual({ baseURL, apiKey: 'k', model: 'm', timeoutMs: 1000, maxRetries: 2 });
    const chosen = createExtractor(config, { log });
    expect(chosen).toBeInstanceOf(OpenAIExtractor);
    expect(chosen.name).toBe(`openai/m/${PROMPT_VERSION}`);
    expect(() => extractorConfigFromEnv({ MYCELIUM_EXTRACTOR: 'openai' })).toThrow(/OPENAI_API_KEY/);
    expect(() => extractorConfigFromEnv({ MYCELIUM_EXTRACTOR: 'gpt' })).toThrow();
  });
});
