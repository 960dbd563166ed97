/**
 * `npm run model [-- <name>] [--measure]`: fetches and verifies a local embedding model once (see
 * infra/model.ts) and prints where its files are. With --measure it also encodes 1,024 sentences of
 * ingest-like text at batch 32 and prints sentences/s on this machine. Logs go to stderr.
 */
import os from 'node:os';
import { DEFAULT_LOCAL_MODEL, ENCODER_BATCH_SIZE, localModelSpec } from '../config/embeddings';
import { ensureModel, ModelChecksumError, ModelUnavailableError } from './model';

const args = process.argv.slice(2);
const measure = args.includes('--measure');
const name = args.find((a) => !a.startsWith('--')) ?? process.env.MYCELIUM_LOCAL_MODEL?.trim() ?? DEFAULT_LOCAL_MODEL;

try {
  const spec = localModelSpec(name);
  const files = await ensureModel(spec, { log: (m) => process.stderr.write(`${m}\n`) });
  process.stderr.write(`${spec.name}: ${files.source === 'cache' ? 'cached' : `fetched (${files.source}) in ${(files.ms / 1000).toFixed(1)} s`}, checksums verified\n`);
  process.stdout.write(`${files.dir}\n`);
  if (measure) {
    const { OnnxSentenceEncoder } = await import('../activities/intelligence/embeddings/onnx');
    const threads = Number(process.env.MYCELIUM_ENCODER_THREADS) || undefined;
    const encoder = await OnnxSentenceEncoder.load(spec, files, threads ? { threads } : {});
    const texts = sampleSentences(1024);
    await encoder.embed(texts.slice(0, 64)); // warm-up: first runs allocate
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await encoder.embed(texts);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU time says what the encoder costs even when other processes share the cores.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const tokens = texts.reduce((sum, t) => sum + encoder.tokenIds(t).length, 0) / texts.length;
    process.stdout.write(
      `${spec.name}: ${(texts.length / seconds).toFixed(0)} sentences/s at batch ${ENCODER_BATCH_SIZE} ` +
        `(${texts.length} sentences, ${tokens.toFixed(1)} tokens each on average, ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU = ` +
        `${(texts.length / cpuSeconds).toFixed(0)} sentences per CPU-second; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)\n`,
    );
    await encoder.close();
  }
} catch (error) {
  if (error instanceof ModelUnavailableError || error instanceof ModelChecksumError) {
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

/** Chat- and meeting-like sentences of varied length, deterministic. */
function sampleSentences(n: number): string[] {
  const subjects = ['The release', 'Our budget review', 'The vendor contract', 'The design doc', 'Hiring for the data team', 'The app store submission', 'The office move', 'Customer onboarding'];
  const verbs = ['is blocked on', 'moves to', 'depends on', 'was approved after', 'needs a decision about', 'slipped because of'];
  const objects = ['the security audit', 'next Tuesday', 'the pricing change in the EU', 'legal sign-off from Carla', 'the load test results', 'the 12th'];
  const tails = ['', ' Let us discuss it at standup.', ' Dev owns the follow-up and will report back by Friday with numbers.', ' I think we agreed last week, but nobody wrote it down, so can someone confirm in the thread?'];
  return Array.from({ length: n }, (_, i) => {
    const s = subjects[i % subjects.length]!;
    const v = verbs[Math.floor(i / subjects.length) % verbs.length]!;
    const o = objects[Math.floor(i / 7) % objects.length]!;
    const t = tails[Math.floor(i / 3) % tails.length]!;
    return `${s} ${v} ${o}.${t}`;
  });
}
