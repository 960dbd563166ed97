/**
 * `npm run bench [-- options]`: every benchmark measured side by side with its baseline, in one run.
 *
 *   p1       orchestration: ensureMeetingHasContext vs a no-op workflow of the same shape (workflows/s)
 *   p2       ingest: syncSource vs a raw multi-row INSERT of the same rows, with and without an encoder (items/s)
 *   p3       search: hybrid search vs the raw kNN call (p50/p95), ANN recall@10 vs exact, HNSW build time
 *   ask      the ask ranker vs BM25 over single turns, on QMSum (needs ../shared/eval/qmsum)
 *   startup  `myc` startup vs the Temporal CLI against a running service
 *
 * Options: --only p1,p3  --json  --quick  --p1-meetings 1000  --p2-sizes 10000,100000
 *          --p1-rounds 4  --p3-sizes 10000,100000  --p3-backends pglite,postgres,qdrant  --embedder hashing|local|openai
 *          --results bench/RESULTS.md (append this run's figures there)
 * `--json` prints one object on stdout: a key per benchmark, each holding its figures and `ratio`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { writeResults } from './support/results';
import { describeMachine, machine, say, type BenchOutcome } from './support/report';
import { selectEmbedder, setBackendLog, stopBenchPostgres, type DbBackend } from './support/backends';
import { benchLogger, openBenchTemporal, type BenchTemporal } from './support/world';

const ALL = ['p1', 'p2', 'p3', 'ask', 'startup'] as const;
type BenchKey = (typeof ALL)[number];

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};
const sizes = (v: string): number[] => v.split(',').map((s) => positiveInt(s.trim().replace(/_/g, '')));
const list = <T extends string>(allowed: readonly T[]) => (v: string): T[] => {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = parts.filter((p) => !allowed.includes(p as T));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown: ${bad.join(', ')} (expected some of ${allowed.join(', ')})`);
  return parts as T[];
};

const program = new Command('bench')
  .option('--only <list>', `benchmarks to run (${ALL.join(', ')})`, list(ALL))
  .option('--json', 'print one JSON object on stdout (progress goes to stderr)')
  .option('--quick', 'small sizes for a quick run: P1 100 meetings, P2 1,000 items, P3 2,000 chunks')
  .option('--p1-meetings <n>', 'meetings in P1', positiveInt)
  .option('--p1-concurrency <n>', 'workflow starts in flight in P1', positiveInt, 100)
  .option('--p1-rounds <n>', 'rounds P1 runs its meetings in, the sides taking turns', positiveInt, 4)
  .option('--p2-sizes <list>', 'item counts in P2', sizes)
  .option('--p2-embedded-max <n>', 'largest P2 size also run with the encoder (the encoder is the slow part)', positiveInt)
  .option('--p2-whole-max <n>', 'largest P2 size whose whole sync (with extraction) runs; above it, ingest only', positiveInt)
  .option('--p3-sizes <list>', 'chunk counts in P3', sizes)
  .option('--p3-backends <list>', 'P3 vector backends', list(['pglite', 'postgres', 'qdrant'] as const))
  .option('--p3-queries <n>', 'queries per size in P3', positiveInt, 200)
  .option('--backend <db>', 'store for P1/P2: pglite or postgres', list(['pglite', 'postgres'] as const), ['pglite'] as DbBackend[])
  .option('--embedder <name>', 'embedder for the "with embedding" runs (default MYCELIUM_EMBEDDER, else hashing)')
  .option('--results <file>', 'append this run to a results file (Markdown)')
  .option('--data <dir>', 'ask: QMSum meetings', '../shared/eval/qmsum/val')
  .option('--evidence <dir>', 'ask: their evidence files', '../shared/eval/qmsum-evidence/val')
  .option('--time <ms>', 'ask: how long to run each task', positiveInt, 3000)
  .option('--startup-only', 'only the CLI startup figures (same as --only startup)')
  .parse();

interface Opts {
  only?: BenchKey[];
  json?: boolean;
  quick?: boolean;
  p1Meetings?: number;
  p1Concurrency: number;
  p1Rounds: number;
  p2Sizes?: number[];
  p2EmbeddedMax?: number;
  p2WholeMax?: number;
  p3Sizes?: number[];
  p3Backends?: ('pglite' | 'postgres' | 'qdrant')[];
  p3Queries: number;
  backend: DbBackend[];
  embedder?: string;
  results?: string;
  data: string;
  evidence: string;
  time: number;
  startupOnly?: boolean;
}
const opts = program.opts<Opts>();
const selected = new Set<BenchKey>(opts.startupOnly ? ['startup'] : (opts.only ?? ALL));
const backend = opts.backend[0] ?? 'pglite';
const log = benchLogger();
setBackendLog(log);
const m = machine();
say(`machine: ${describeMachine(m)}`);

// Human-readable output goes to stdout unless --json, which owns stdout.
const print = (text: string) => (opts.json ? say(text) : process.stdout.write(`${text}\n`));
const commandLine = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const outcomes: BenchOutcome[] = [];
const skipped: Record<string, string> = {};

let temporal: BenchTemporal | undefined;
const needTemporal = async () => (temporal ??= await openBenchTemporal(log));

try {
  if (selected.has('p1')) {
    const { runP1 } = await import('./p1-orchestration');
    const outcome = await runP1({
      meetings: opts.p1Meetings ?? (opts.quick ? 100 : 1_000),
      concurrency: opts.p1Concurrency,
      rounds: opts.p1Rounds,
      backend,
      temporal: await needTemporal(),
      embedder: await selectEmbedder(opts.embedder),
      log,
    });
    report(outcome);
  }
  if (selected.has('p2')) {
    const { runP2 } = await import('./p2-ingest');
    const outcome = await runP2({
      sizes: opts.p2Sizes ?? (opts.quick ? [1_000] : [10_000, 100_000]),
      embeddedMax: opts.p2EmbeddedMax ?? (opts.quick ? undefined : 10_000),
      wholeSyncMax: opts.p2WholeMax,
      backend,
      temporal: await needTemporal(),
      embedderName: opts.embedder,
      log,
    });
    report(outcome);
  }
  if (selected.has('p3')) {
    const { runP3 } = await import('./p3-search');
    const outcome = await runP3({
      sizes: opts.p3Sizes ?? (opts.quick ? [2_000] : [10_000, 100_000]),
      backends: opts.p3Backends ?? ['pglite', 'postgres', 'qdrant'],
      queries: opts.quick ? Math.min(opts.p3Queries, 50) : opts.p3Queries,
      embedderName: opts.embedder,
      log,
    });
    report(outcome);
  }
  if (selected.has('ask')) {
    const { runAskBench } = await import('./ask');
    const outcome = await runAskBench({ data: opts.data, evidence: opts.evidence, time: opts.time }).catch((error: unknown) => {
      skipped.ask = `skipped: ${(error as Error).message}`;
      return undefined;
    });
    if (outcome) report(outcome);
    else say(`ask: ${skipped.ask}`);
  }
  if (selected.has('startup')) {
    const { runStartupBench } = await import('./startup');
    const lines: string[] = [];
    const f = await runStartupBench({ say: (line) => lines.push(line) });
    report({
      key: 'startup',
      title: 'CLI startup',
      command: '',
      text: lines.join('\n'),
      verdict: `startup: myc --help ${(f.helpMs / 1000).toFixed(3)} s, warm read ${(f.readMs / 1000).toFixed(3)} s (temporal workflow list ${(f.temporalListMs / 1000).toFixed(3)} s)`,
      figures: { help_ms: f.helpMs, read_ms: f.readMs, temporal_list_ms: f.temporalListMs, ratio: f.readMs / f.temporalListMs },
    });
  }
} finally {
  await temporal?.stop();
  await stopBenchPostgres();
}

if (opts.json) {
  const out: Record<string, unknown> = { machine: m, command: commandLine };
  for (const o of outcomes) out[o.key] = o.figures;
  for (const [k, why] of Object.entries(skipped)) out[k] ??= { skipped: why, ratio: null };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}
if (opts.results) await writeResults(opts.results, { machine: m, command: commandLine, outcomes });
process.exit(0);

function report(outcome: BenchOutcome): void {
  outcome.command ||= commandLine;
  outcomes.push(outcome);
  print(`\n## ${outcome.title}\n${outcome.text}\n${outcome.verdict}`);
}
