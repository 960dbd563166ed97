/**
 * `npm run eval -- routing --data <dir> [--json] [--limit N] [--split test|validation]`
 *
 * Recipient prediction (shared/eval/README.md): the history is loaded into a fresh store through the normal write
 * path (clients/eval/routing-store.ts), and every test message is routed by the same `resolveStakeholders` that
 * `myc notify` uses — as free text from its sender, at its date, in its conversation — and its ranked stakeholders
 * are scored against who it really went to, beside the README's baselines computed in the same run.
 * `--split validation` holds out the last tenth of the history instead (the split the routing weights were chosen
 * on), so the test messages stay untouched by tuning.
 */
import { resolveStakeholders, routingReadsOver, type RoutingReads } from '../../activities/intelligence/routing/stakeholders';
import { subjectThreadKey } from '../../activities/intelligence/routing/threads';
import { CoordinationGraph, ProjectHistory } from '../../activities/memory/coordination';
import { RoutingSubject } from '../../schemas/routing';
import { RecipientBaselines, type BaselineRankings } from './routing-baseline';
import { loadRoutingData, recipientsOf, type HistoryMessage, type RoutingData, type TestQuery } from './routing-data';
import { routingMetrics, type RoutingMetrics } from './routing-metrics';
import { forgetRouted, loadHistory, recordRouted, type LoadedHistory } from './routing-store';

export interface RoutingEvalOptions {
  data: string;
  json?: boolean;
  limit?: number;
  split: 'test' | 'validation';
  /** keep the loaded store in this PGlite directory, and reuse it when it already holds the same history */
  store?: string;
  /**
   * route every test message against the history alone. By default they are routed in date order and each is stored
   * once routed (sender, date, subject, body — never its recipients), as the running service sees mail arrive.
   */
  isolated?: boolean;
}

export interface RoutingEvalResult {
  split: 'test' | 'validation';
  /** 'stream': earlier test messages (without their recipients) were stored before each later one was routed */
  protocol: 'stream' | 'isolated';
  metrics: RoutingMetrics;
  baseline: Record<keyof BaselineRankings, RoutingMetrics>;
  predictions: { id: string; ranked: string[] }[];
  timing: { load_ms: number; route_ms: number; messages: number; people: number; reused_store: boolean };
}

/** The last tenth of the history as queries from senders with ≥ 10 earlier messages, like the test split was made. */
export function validationSplit(history: readonly HistoryMessage[]): RoutingData {
  const cut = history[Math.floor(history.length * 0.9)]!.date.getTime();
  const train = history.filter((m) => m.date.getTime() < cut);
  const sent = new Map<string, number>();
  for (const m of train) sent.set(m.sender, (sent.get(m.sender) ?? 0) + 1);
  const held = history.filter((m) => m.date.getTime() >= cut && (sent.get(m.sender) ?? 0) >= 10 && recipientsOf(m).length > 0);
  return {
    history: train,
    queries: held.map(({ id, sender, date, subject, body }) => ({ id, sender, date, subject, body })),
    gold: new Map(held.map((m) => [m.id, recipientsOf(m)])),
  };
}

/** Earliest first (ties by id), as the messages arrived. */
function inDateOrder(queries: readonly TestQuery[]): TestQuery[] {
  return [...queries].sort((a, b) => a.date.getTime() - b.date.getTime() || (a.id < b.id ? -1 : 1));
}

/** A test message as `myc notify` would route it: free text from its sender, at its date, in its conversation. */
export function routingSubjectOf(q: TestQuery): RoutingSubject {
  const threadId = subjectThreadKey(q.subject);
  return RoutingSubject.parse({ kind: 'text', title: q.subject, text: q.body, askerId: q.sender, occurredAt: q.date, ...(threadId ? { threadId } : {}) });
}

/** What routing reads of a loaded history: the coordination graph, the project history, the term search. */
export function routingReadsOf(loaded: LoadedHistory): RoutingReads {
  return routingReadsOver(loaded.store, new CoordinationGraph(loaded.db), new ProjectHistory(loaded.db));
}

export async function runRoutingEval(opts: RoutingEvalOptions, progress: (line: string) => void = () => undefined): Promise<RoutingEvalResult> {
  const all = await loadRoutingData(opts.data);
  const data = opts.split === 'validation' ? validationSplit(all.history) : all;
  const queries: TestQuery[] = opts.limit === undefined ? data.queries : data.queries.slice(0, opts.limit);
  const gold = new Map(queries.map((q) => [q.id, data.gold.get(q.id) ?? []]));

  progress(`loading ${data.history.length} messages into the store…`);
  const loaded = await loadHistory(data.history, {
    ...(opts.store ? { dataDir: opts.store } : {}),
    onProgress: (n) => {
      if (n % 5000 < 500) progress(`  ${n} / ${data.history.length}`);
    },
  });
  if (loaded.reused) progress(`reusing the store in ${opts.store}`);
  try {
    const reads = routingReadsOf(loaded);
    await forgetRouted(loaded.store);
    progress(`routing ${queries.length} messages${opts.isolated ? ', each alone' : ' in date order, each stored once routed'}…`);
    const t0 = performance.now();
    const ours = new Map<string, string[]>();
    for (const [i, q] of inDateOrder(queries).entries()) {
      const { stakeholders } = await resolveStakeholders(reads, routingSubjectOf(q));
      ours.set(q.id, stakeholders.slice(0, 10).map((s) => s.personId));
      if (!opts.isolated) await recordRouted(loaded.store, q);
      if ((i + 1) % 250 === 0) progress(`  ${i + 1} / ${queries.length}`);
    }
    const routeMs = performance.now() - t0;

    const baselines = new RecipientBaselines(data.history);
    const byBaseline = new Map<keyof BaselineRankings, Map<string, string[]>>();
    for (const q of queries) {
      const ranked = baselines.rank(q);
      for (const key of Object.keys(ranked) as (keyof BaselineRankings)[]) {
        const m = byBaseline.get(key) ?? new Map<string, string[]>();
        m.set(q.id, ranked[key]);
        byBaseline.set(key, m);
      }
    }
    const baseline = Object.fromEntries([...byBaseline].map(([k, p]) => [k, routingMetrics(p, gold)])) as RoutingEvalResult['baseline'];
    return {
      split: opts.split,
      protocol: opts.isolated ? 'isolated' : 'stream',
      metrics: routingMetrics(ours, gold),
      baseline,
      predictions: queries.map((q) => ({ id: q.id, ranked: ours.get(q.id) ?? [] })),
      timing: { load_ms: Math.round(loaded.loadMs), route_ms: Math.round(routeMs), messages: loaded.items, people: loaded.people, reused_store: loaded.reused },
    };
  } finally {
    await loaded.db.close();
  }
}

export function routingReport(r: RoutingEvalResult): string {
  const f = (x: number) => x.toFixed(3);
  const rows: [string, RoutingMetrics][] = [
    ['Mycelium (resolveStakeholders)', r.metrics],
    ['recipient frequency', r.baseline.frequency],
    ['recency-weighted frequency (30-day half-life)', r.baseline.recency],
    ['TF-IDF centroid', r.baseline.tfidf],
    ['½ frequency + ½ TF-IDF', r.baseline.frequency_tfidf],
    ['½ recency + ½ TF-IDF', r.baseline.recency_tfidf],
  ];
  const ratio = r.metrics.map_at_10 / Math.max(1e-9, r.baseline.recency_tfidf.map_at_10);
  return [
    `routing (${r.split} split): ${r.metrics.queries} messages, history of ${r.timing.messages} messages and ${r.timing.people} people`,
    r.protocol === 'stream'
      ? 'each message routed in date order, then stored without its recipients (as the service sees mail arrive); --isolated routes each against the history alone'
      : 'each message routed against the history alone (--isolated)',
    '',
    '| ranker | MAP@10 | recall@10 |',
    '| --- | --- | --- |',
    ...rows.map(([name, m]) => `| ${name} | ${f(m.map_at_10)} | ${f(m.recall_at_10)} |`),
    '',
    `MAP@10 vs ½ recency + ½ TF-IDF: ${ratio.toFixed(3)}×`,
    `time: load ${(r.timing.load_ms / 1000).toFixed(1)} s${r.timing.reused_store ? ' (a kept store)' : ''}, routing ${(r.timing.route_ms / 1000).toFixed(1)} s (${(r.timing.route_ms / Math.max(1, r.metrics.queries)).toFixed(1)} ms/message)`,
    '',
  ].join('\n');
}
