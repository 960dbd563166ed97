/**
 * Which extractor runs, from the worker's environment (never from workflow arguments: the API key is a
 * secret and stays in the worker process).
 *
 *   MYCELIUM_EXTRACTOR        local | openai                         (default local)
 *   OPENAI_BASE_URL           an OpenAI-compatible server            (default: OpenAI)
 *   OPENAI_API_KEY            its key (optional for a local server with OPENAI_BASE_URL)
 *   MYCELIUM_LLM_MODEL        the chat model                          (default gpt-4o-mini)
 *   MYCELIUM_LLM_TIMEOUT_MS   per request                             (default 60000)
 *   MYCELIUM_LLM_MAX_RETRIES  the SDK's own retries before Temporal's (default 2)
 */
import { z } from 'zod';

export const ExtractorConfig = z
  .object({
    extractor: z.enum(['local', 'openai']).default('local'),
    openai: z
      .object({
        baseURL: z.url().optional(),
        apiKey: z.string().min(1).optional(),
        model: z.string().min(1).default('gpt-4o-mini'),
        timeoutMs: z.coerce.number().int().positive().default(60_000),
        maxRetries: z.coerce.number().int().min(0).max(10).default(2),
      })
      .prefault({}),
  })
  .refine((c) => c.extractor !== 'openai' || c.openai.apiKey !== undefined || c.openai.baseURL !== undefined, {
    message: 'MYCELIUM_EXTRACTOR=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server that needs no key)',
  });
export type ExtractorConfig = z.infer<typeof ExtractorConfig>;

const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

export function extractorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ExtractorConfig {
  return ExtractorConfig.parse({
    extractor: blank(env.MYCELIUM_EXTRACTOR),
    openai: {
      baseURL: blank(env.OPENAI_BASE_URL),
      apiKey: blank(env.OPENAI_API_KEY),
      model: blank(env.MYCELIUM_LLM_MODEL),
      timeoutMs: blank(env.MYCELIUM_LLM_TIMEOUT_MS),
      maxRetries: blank(env.MYCELIUM_LLM_MAX_RETRIES),
    },
  });
}
