/**
 * The QMSum retrieval metrics of shared/eval/README.md, over cited transcript turn indices:
 *
 * - span hit@k:   share of queries with at least one of the first k cited turns inside a
 *                 `relevant_text_span` range (ranges are inclusive);
 * - CES recall@k: |first k cited ∩ CES turns| / |CES turns|, averaged over the queries that
 *                 HAVE CES evidence (a query without any is left out of the average);
 * - CES hit@k:    share of queries with at least one of the first k cited turns a CES turn.
 */

export interface GoldQuery {
  /** inclusive [start, end] turn ranges */
  spans: readonly (readonly [number, number])[];
  /** turn indices of the central evidence (CES) */
  ces: ReadonlySet<number>;
}

export interface Metrics {
  queries: number;
  /** queries that count for CES recall (those with CES evidence) */
  queriesWithCes: number;
  spanHit: number;
  cesRecall: number;
  cesHit: number;
}

/** The first k DISTINCT turns of a ranked list, in rank order. */
export function firstDistinct(turns: readonly number[], k: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const t of turns) {
    if (out.length >= k) break;
    if (seen.has(t)) continue;
    seen.add(t);
    out.push(t);
  }
  return out;
}

export function inSpans(turn: number, spans: GoldQuery['spans']): boolean {
  return spans.some(([a, b]) => turn >= a && turn <= b);
}

export function spanHit(cited: readonly number[], gold: GoldQuery, k: number): boolean {
  return firstDistinct(cited, k).some((t) => inSpans(t, gold.spans));
}

/** undefined when the query has no CES evidence (it does not count for recall). */
export function cesRecall(cited: readonly number[], gold: GoldQuery, k: number): number | undefined {
  if (gold.ces.size === 0) return undefined;
  return firstDistinct(cited, k).filter((t) => gold.ces.has(t)).length / gold.ces.size;
}

export function cesHit(cited: readonly number[], gold: GoldQuery, k: number): boolean {
  return firstDistinct(cited, k).some((t) => gold.ces.has(t));
}

/** Averages over queries; `cited[i]` is the ranked turn list answering `gold[i]`. */
export function computeMetrics(cited: readonly (readonly number[])[], gold: readonly GoldQuery[], k: number): Metrics {
  if (cited.length !== gold.length) throw new Error(`${cited.length} answers for ${gold.length} queries`);
  let spanHits = 0;
  let cesHits = 0;
  let recallSum = 0;
  let withCes = 0;
  gold.forEach((g, i) => {
    const c = cited[i] ?? [];
    if (spanHit(c, g, k)) spanHits++;
    if (cesHit(c, g, k)) cesHits++;
    const r = cesRecall(c, g, k);
    if (r !== undefined) {
      recallSum += r;
      withCes++;
    }
  });
  const n = gold.length;
  return {
    queries: n,
    queriesWithCes: withCes,
    spanHit: n === 0 ? 0 : spanHits / n,
    cesRecall: withCes === 0 ? 0 : recallSum / withCes,
    cesHit: n === 0 ? 0 : cesHits / n,
  };
}
