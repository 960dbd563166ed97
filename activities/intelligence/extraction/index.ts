/**
 * Extraction: the port, its two implementations and the factory that picks one from config.
 */
import type { Logger } from 'pino';
import { ExtractorConfig, type ExtractorConfig as Config } from './config';
import { LocalExtractor } from './local';
import { OpenAIExtractor } from './openai';
import type { Extractor } from './port';

export type { DirectoryPerson, ExtractionInput, Extractor } from './port';
export { ExtractorConfig, extractorConfigFromEnv } from './config';
export { LocalExtractor, LOCAL_EXTRACTOR_NAME } from './local';
export { OpenAIExtractor } from './openai';
export { PROMPT_VERSION } from './prompt';
export { LlmFailureType, toApplicationFailure } from './errors';
export { extractedId } from './ids';

/** The extractor the config asks for: `local` (default, no network) or `openai`. */
export function createExtractor(config: Partial<Config> | Config, deps: { log: Logger; fetch?: typeof fetch }): Extractor {
  const c = ExtractorConfig.parse(config);
  if (c.extractor === 'local') return new LocalExtractor();
  return new OpenAIExtractor({
    apiKey: c.openai.apiKey ?? 'not-needed',
    ...(c.openai.baseURL ? { baseURL: c.openai.baseURL } : {}),
    model: c.openai.model,
    timeoutMs: c.openai.timeoutMs,
    maxRetries: c.openai.maxRetries,
    log: deps.log,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
}
