/**
 * The synthesized answer against a local HTTP server speaking the OpenAI chat-completions wire format:
 * the exact request we send, and what happens to bad markers, malformed output and refusals.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANSWER_PROMPT_VERSION, OpenAISynthesizer } from '../../activities/intelligence/ask/openai-synthesizer';
import { LlmOutputError } from '../../activities/intelligence/extraction/errors';
import { synthesizerFromEnv } from '../../clients/memory-operations';

let server: Server;
let baseURL: string;
let requests: { path: string; auth: string | undefined; body: Record<string, unknown> }[] = [];
let reply: (body: Record<string, unknown>) => Record<string, unknown>;

const completion = (message: Record<string, unknown>) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'test-model',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', refusal: null, ...message } }],
});

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      requests.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply(body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests = [];
});

const passages = [
  { marker: 1, itemId: 'a', position: 20, text: 'So the decision is: no store submission without the rollback runbook.', speaker: 'Alice Chen', score: 1 },
  { marker: 2, itemId: 'a', position: 9, text: "If sync v2 loses data, we can't send them back to 4.1.", speaker: 'Carla Reyes', score: 0.5 },
];
const synthesizer = () => new OpenAISynthesizer({ apiKey: 'sk-test', baseURL, model: 'test-model', timeoutMs: 5_000, maxRetries: 0 });

describe('OpenAISynthesizer', () => {
  it('sends the question and numbered passages with a strict JSON schema, and keeps only sourced sentences', async () => {
    reply = () =>
      completion({
        content: JSON.stringify({
          sentences: [
            { text: 'No store submission without the rollback runbook.', citations: [1, 7] },
            { text: 'Because data loss could not be rolled back.', citations: [2] },
            { text: 'An unsourced claim.', citations: [9] },
          ],
        }),
      });
    const sentences = await synthesizer().synthesize({ question: 'What did we decide about the runbook?', passages, maxSentences: 3 });
    expect(sentences).toEqual([
      { text: 'No store submission without the rollback runbook.', citations: [1] },
      { text: 'Because data loss could not be rolled back.', citations: [2] },
    ]);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.auth).toBe('Bearer sk-test');
    expect(request!.body.model).toBe('test-model');
    expect(request!.body.temperature).toBe(0);
    const messages = request!.body.messages as { role: string; content: string }[];
    expect(messages[0]!.content).toContain(ANSWER_PROMPT_VERSION);
    expect(messages[1]!.content).toContain('Question: What did we decide about the runbook?');
    expect(messages[1]!.content).toContain('[1] Alice Chen: So the decision is');
    expect(request!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'answer', strict: true } });
  });

  it('makes no request when there is nothing to answer from', async () => {
    expect(await synthesizer().synthesize({ question: 'anything?', passages: [], maxSentences: 3 })).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it('fails clearly on malformed output and on a refusal', async () => {
    reply = () => completion({ content: '{"sentences": "nope"' });
    await expect(synthesizer().synthesize({ question: 'q?', passages, maxSentences: 3 })).rejects.toThrow(LlmOutputError);
    reply = () => completion({ content: null, refusal: 'I cannot help with that.' });
    await expect(synthesizer().synthesize({ question: 'q?', passages, maxSentences: 3 })).rejects.toThrow(/refused: I cannot help/);
  });

  it('is chosen by configuration: extractive by default, the model with MYCELIUM_EXTRACTOR=openai', () => {
    expect(synthesizerFromEnv({})).toBeUndefined();
    expect(synthesizerFromEnv({ MYCELIUM_EXTRACTOR: 'openai', OPENAI_BASE_URL: baseURL })?.name).toBe(`openai/gpt-4o-mini/${ANSWER_PROMPT_VERSION}`);
  });
});
