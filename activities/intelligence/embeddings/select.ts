/**
 * Which embedder a process runs, from its environment (never from workflow arguments: an API key is
 * a secret and stays in the worker).
 *
 *   MYCELIUM_EMBEDDER          local | hashing | openai                         (default local)
 *   MYCELIUM_LOCAL_MODEL       a model of config/embeddings.ts                   (default all-minilm-l6-v2)
 *   MYCELIUM_ENCODER_THREADS   onnxruntime threads                               (default: one per core)
 *   OPENAI_BASE_URL            any OpenAI-compatible server with /v1/embeddings  (default: OpenAI)
 *   OPENAI_API_KEY             its key (optional for a local server with OPENAI_BASE_URL)
 *   MYCELIUM_EMBEDDING_MODEL   the remote model                                  (default text-embedding-3-small)
 *   MYCELIUM_EMBEDDING_DIMENSIONS  its vector size                               (default 1536)
 *
 * `local` falls back to `hashing`, with a warning that says why and how to fix it, when the model
 * cannot be obtained — unless MYCELIUM_EMBEDDER=local was set explicitly, which then fails loudly:
 * someone who asked for the encoder should not silently get lexical vectors.
 */
import { z } from 'zod';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODELS, localModelSpec } from '../../../config/embeddings';
import { ensureModel, ModelUnavailableError } from '../../../infra/model';
import type { Embedder } from '../../memory/ports';
import { LocalHashingEmbedder } from './local';
import { OpenAIEmbedder } from './openai';

/** An embedder (the port's embedQueries is how a model embeds queries differently, e.g. with a prefix). */
export type QueryEmbedder = Embedder;

/** Query vectors: the embedder's query form when it has one. */
export function embedQueries(embedder: QueryEmbedder, texts: string[]): Promise<number[][]> {
  return embedder.embedQueries ? embedder.embedQueries(texts) : embedder.embed(texts);
}

const blank = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

export const EmbedderConfig = z
  .object({
    embedder: z.enum(['local', 'hashing', 'openai']).default('local'),
    /** the user named `local` themselves: no silent fallback */
    explicit: z.boolean().default(false),
    localModel: z.enum(Object.keys(LOCAL_MODELS) as [string, ...string[]]).default(DEFAULT_LOCAL_MODEL),
    threads: z.coerce.number().int().positive().optional(),
    openai: z
      .object({
        baseURL: z.url().optional(),
        apiKey: z.string().min(1).optional(),
        model: z.string().min(1).default('text-embedding-3-small'),
        dimensions: z.coerce.number().int().positive().default(1536),
      })
      .prefault({}),
  })
  .refine((c) => c.embedder !== 'openai' || c.openai.apiKey !== undefined || c.openai.baseURL !== undefined, {
    message: 'MYCELIUM_EMBEDDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server that needs no key)',
  });
export type EmbedderConfig = z.infer<typeof EmbedderConfig>;

export function embedderConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EmbedderConfig {
  const embedder = blank(env.MYCELIUM_EMBEDDER);
  const localModel = blank(env.MYCELIUM_LOCAL_MODEL);
  if (localModel !== undefined) localModelSpec(localModel); // a clear error naming the choices
  return EmbedderConfig.parse({
    embedder,
    explicit: embedder !== undefined,
    localModel,
    threads: blank(env.MYCELIUM_ENCODER_THREADS),
    openai: {
      baseURL: blank(env.OPENAI_BASE_URL),
      apiKey: blank(env.OPENAI_API_KEY),
      model: blank(env.MYCELIUM_EMBEDDING_MODEL),
      dimensions: blank(env.MYCELIUM_EMBEDDING_DIMENSIONS),
    },
  });
}

export interface SelectLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface SelectedEmbedder {
  embedder: QueryEmbedder;
  /** set when `local` was wanted but `hashing` is used: why */
  fallbackReason?: string;
}

/** One loaded encoder per model and process: the ONNX session is ~100 MB and takes a second to build. */
const loaded = new Map<string, Promise<QueryEmbedder>>();

export async function createEmbedder(
  config: EmbedderConfig,
  deps: { log: SelectLogger; env?: NodeJS.ProcessEnv; fetch?: typeof fetch },
): Promise<SelectedEmbedder> {
  if (config.embedder === 'hashing') return { embedder: new LocalHashingEmbedder() };
  if (config.embedder === 'openai') {
    return {
      embedder: new OpenAIEmbedder({
        apiKey: config.openai.apiKey ?? 'not-needed',
        ...(config.openai.baseURL ? { baseURL: config.openai.baseURL } : {}),
        model: config.openai.model,
        dimensions: config.openai.dimensions,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      }),
    };
  }
  try {
    return { embedder: await loadLocalEncoder(config.localModel, { env: deps.env, threads: config.threads, log: deps.log }) };
  } catch (error) {
    if (config.explicit || !(error instanceof ModelUnavailableError)) throw error;
    const reason = error.message;
    deps.log.warn(
      { embedder: 'hashing', wanted: config.localModel },
      `the sentence encoder ${config.localModel} is unavailable, so search by meaning falls back to LEXICAL hashing vectors ` +
        `("due date" will not find "deadline"). ${reason}`,
    );
    return { embedder: new LocalHashingEmbedder(), fallbackReason: reason };
  }
}

/** The local encoder of a model, fetched once into the cache and loaded once per process. */
export function loadLocalEncoder(
  name: string,
  opts: { env?: NodeJS.ProcessEnv; threads?: number; log?: SelectLogger } = {},
): Promise<QueryEmbedder> {
  const key = `${name}/${opts.threads ?? 'auto'}`;
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => {
      const spec = localModelSpec(name);
      const files = await ensureModel(spec, { env: opts.env, log: (m) => opts.log?.info({ model: name }, m) });
      if (files.source !== 'cache') opts.log?.info({ model: name, source: files.source, ms: files.ms, dir: files.dir }, 'embedding model fetched and verified');
      // Loaded lazily: a process on the hashing embedder never maps onnxruntime's native library.
      const { OnnxSentenceEncoder } = await import('./onnx');
      return OnnxSentenceEncoder.load(spec, files, opts.threads ? { threads: opts.threads } : {});
    })();
    pending.catch(() => loaded.delete(key));
    loaded.set(key, pending);
  }
  return pending;
}

/**
 * An embedder that makes `model`'s vectors, when this process can run it: the hashing embedder,
 * a local encoder, or the configured OpenAI-compatible model. Used to keep searching the active
 * model while a new one is being re-embedded.
 */
export async function embedderForModel(
  model: string,
  config: EmbedderConfig,
  deps: { log: SelectLogger; env?: NodeJS.ProcessEnv },
): Promise<QueryEmbedder | undefined> {
  const hashing = new LocalHashingEmbedder();
  if (model === hashing.model) return hashing;
  if (model in LOCAL_MODELS) {
    try {
      return await loadLocalEncoder(model, { env: deps.env, threads: config.threads, log: deps.log });
    } catch (error) {
      if (error instanceof ModelUnavailableError) return undefined;
      throw error;
    }
  }
  if (config.embedder === 'openai') {
    const { embedder } = await createEmbedder(config, deps);
    if (embedder.model === model) return embedder;
  }
  return undefined;
}
