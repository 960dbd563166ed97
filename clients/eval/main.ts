/**
 * `npm run eval -- qmsum --data <dir> --evidence <dir> [--k 10] [--json] [--limit N]`
 *
 * Measures `ask` on QMSum (see shared/eval/README.md): every meeting is written as the files a
 * user would have, ingested through the normal files path into an in-memory PGlite, and every
 * specific query is asked through the `ask` operation of `myc ask --meeting`, after the decision
 * log was extracted. Prints ours vs the BM25 baseline (all meetings, and the tune / holdout
 * halves parameters were chosen / checked on).
 */
import { Command, InvalidArgumentError } from 'commander';
import { MAX_ASK_CITATIONS } from '../memory-operations';
import type { Metrics } from './metrics';
import { loadQmsum, splitHalves } from './qmsum';
import { askAll, prepare, scoreHalves, type Scores } from './run';
import { routingReport, runRoutingEval, type RoutingEvalOptions } from './routing';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function weightList(value: string): number[] {
  const weights = value.split(',').map((w) => Number(w.trim()));
  if (weights.length === 0 || weights.some((w) => !Number.isFinite(w) || w < 0)) throw new InvalidArgumentError('expected non-negative numbers, comma-separated');
  return weights;
}

function citationCount(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_ASK_CITATIONS) throw new InvalidArgumentError(`expected at most ${MAX_ASK_CITATIONS}, the most citations \`myc ask\` gives`);
  return n;
}

interface QmsumOptions {
  data: string;
  evidence: string;
  k: number;
  json?: boolean;
  limit?: number;
  vectorWeight?: number[];
}

const jsonMetrics = (m: Metrics) => ({
  queries: m.queries,
  queries_with_ces: m.queriesWithCes,
  span_hit: m.spanHit,
  ces_recall: m.cesRecall,
  ces_hit: m.cesHit,
});

async function runQmsum(opts: QmsumOptions): Promise<void> {
  const t0 = performance.now();
  const all = await loadQmsum(opts.data, opts.evidence);
  // --limit N: the first N queries (meetings in file order), and only the meetings they need.
  let meetings = all;
  if (opts.limit !== undefined) {
    let left = opts.limit;
    meetings = all.filter((m) => {
      const take = left > 0;
      left -= m.queries.length;
      return take;
    });
  }
  if (!opts.json) process.stderr.write(`ingesting ${meetings.length} meetings as files and extracting their decision logs…\n`);
  const prepared = await prepare(meetings);
  try {
    if (!opts.json) process.stderr.write(`embedder: ${prepared.store.embedderModel}; asking ${opts.limit ?? meetings.reduce((a, m) => a + m.queries.length, 0)} queries…\n`);
    const weights = opts.vectorWeight ?? [undefined];
    if (opts.json && weights.length > 1) throw new InvalidArgumentError('--json takes one --vector-weight');
    // Several weights share one ingest (the slow part): each gets its own table.
    for (const weight of weights.slice(0, -1)) {
      const run = await askAll(prepared, opts.k, { ...(opts.limit !== undefined ? { limit: opts.limit } : {}), vectorWeight: weight! });
      process.stdout.write(`vector weight ${weight}:\n`);
      process.stdout.write(report(scoreHalves(run.results, meetings, opts.k, all), opts.k, { meetings: meetings.length, queries: run.results.length, ingestMs: prepared.ingestMs, extractMs: prepared.extractMs, askMs: run.askMs, totalMs: performance.now() - t0 }));
    }
    const last = weights[weights.length - 1];
    if (!opts.json && last !== undefined) process.stdout.write(`vector weight ${last}:\n`);
    const { results, askMs } = await askAll(prepared, opts.k, {
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(last !== undefined ? { vectorWeight: last } : {}),
    });
    const scored = scoreHalves(results, meetings, opts.k, all);
    const totalMs = performance.now() - t0;
    if (opts.json) {
      const { tune, holdout } = splitHalves(all);
      process.stdout.write(
        `${JSON.stringify(
          {
            metrics: {
              k: opts.k,
              ...jsonMetrics(scored.all.ours),
              halves: {
                tune: { meetings: tune.map((m) => m.name), ...jsonMetrics(scored.tune.ours) },
                holdout: { meetings: holdout.map((m) => m.name), ...jsonMetrics(scored.holdout.ours) },
              },
              timing_ms: { ingest: Math.round(prepared.ingestMs), extract: Math.round(prepared.extractMs), ask: Math.round(askMs), total: Math.round(totalMs) },
            },
            baseline: {
              k: opts.k,
              ...jsonMetrics(scored.all.baseline),
              halves: { tune: jsonMetrics(scored.tune.baseline), holdout: jsonMetrics(scored.holdout.baseline) },
            },
            queries: results.map((r) => ({ meeting: r.meeting, query: r.query, cited_turns: r.cited_turns })),
          },
          null,
          2,
        )}\n`,
      );
      return;
    }
    process.stdout.write(report(scored, opts.k, { meetings: meetings.length, queries: results.length, ingestMs: prepared.ingestMs, extractMs: prepared.extractMs, askMs, totalMs }));
  } finally {
    await prepared.close();
  }
}

function report(s: { all: Scores; tune: Scores; holdout: Scores }, k: number, t: { meetings: number; queries: number; ingestMs: number; extractMs: number; askMs: number; totalMs: number }): string {
  const f = (x: number) => x.toFixed(3);
  const rows: [string, (m: Metrics) => number][] = [
    [`span hit@${k}`, (m) => m.spanHit],
    [`CES recall@${k}`, (m) => m.cesRecall],
    [`CES hit@${k}`, (m) => m.cesHit],
  ];
  const header = `| metric | ours | BM25 baseline | ours (tune half) | baseline (tune) | ours (holdout half) | baseline (holdout) |`;
  const lines = [
    `QMSum: ${t.meetings} meetings, ${t.queries} queries (tune ${s.tune.ours.queries}, holdout ${s.holdout.ours.queries})`,
    '',
    header,
    `|${header.split('|').slice(1, -1).map(() => ' --- ').join('|')}|`,
    ...rows.map(([name, get]) => `| ${name} | ${f(get(s.all.ours))} | ${f(get(s.all.baseline))} | ${f(get(s.tune.ours))} | ${f(get(s.tune.baseline))} | ${f(get(s.holdout.ours))} | ${f(get(s.holdout.baseline))} |`),
    '',
    `time: ingest ${(t.ingestMs / 1000).toFixed(1)} s, extract ${(t.extractMs / 1000).toFixed(1)} s, ask ${(t.askMs / 1000).toFixed(1)} s (${(t.askMs / Math.max(1, t.queries)).toFixed(1)} ms/query), total ${(t.totalMs / 1000).toFixed(1)} s`,
    '',
  ];
  return lines.join('\n');
}

export function program(): Command {
  const cmd = new Command('eval').description('measure Mycelium on public evaluation data').showHelpAfterError();
  cmd
    .command('qmsum')
    .description('QMSum specific queries: cited transcript turns vs gold spans and CES evidence')
    .requiredOption('--data <dir>', 'QMSum split folder (meeting JSON files)')
    .requiredOption('--evidence <dir>', 'QMSum_SummaryEvidence folder of the same split')
    .option('--k <n>', `citations per query (at most ${MAX_ASK_CITATIONS}, as for myc ask)`, citationCount, 10)
    .option('--json', 'print { metrics, baseline, queries } as JSON')
    .option('--limit <n>', 'only the first n queries', positiveInt)
    .option('--vector-weight <w,...>', "weight of the encoder's ranking in ask's fusion (default: config/embeddings.ts); a list measures each on one ingest", weightList)
    .action(async (opts: QmsumOptions) => runQmsum(opts));
  cmd
    .command('routing')
    .description('recipient prediction: rank who each test message went to with resolveStakeholders, beside the baselines')
    .requiredOption('--data <dir>', 'folder with history.jsonl[.gz], test_queries.jsonl, test_gold.jsonl')
    .option('--json', 'print { metrics, baseline, predictions } as JSON')
    .option('--limit <n>', 'only the first n test messages', positiveInt)
    .option('--split <split>', 'test (the given test messages) or validation (the last tenth of the history)', splitName, 'test')
    .option('--store <dir>', 'keep the loaded history in this PGlite directory and reuse it on later runs')
    .option('--isolated', 'route each test message against the history alone (by default each is stored, without its recipients, once routed)')
    .action(async (opts: RoutingEvalOptions) => {
      const result = await runRoutingEval(opts, opts.json ? undefined : (line) => process.stderr.write(`${line}\n`));
      if (opts.json) process.stdout.write(`${JSON.stringify({ metrics: { ...result.metrics, split: result.split, protocol: result.protocol, timing_ms: result.timing }, baseline: result.baseline, predictions: result.predictions })}\n`);
      else process.stdout.write(routingReport(result));
    });
  return cmd;
}

function splitName(value: string): 'test' | 'validation' {
  if (value !== 'test' && value !== 'validation') throw new InvalidArgumentError('expected test or validation');
  return value;
}

program()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`eval: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
