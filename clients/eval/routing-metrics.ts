/** The recipient-prediction metrics of shared/eval/README.md: MAP@10 and recall@10 over ranked addresses. */

/** AP@k = (1 / min(|gold|, k)) · Σ_{i ≤ k} P(i) · rel(i); a message with no gold or no prediction scores 0. */
export function averagePrecisionAt(ranked: readonly string[], gold: readonly string[], k = 10): number {
  const relevant = new Set(gold);
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  const seen = new Set<string>();
  for (const r of ranked) {
    if (seen.size >= k) break;
    if (seen.has(r)) continue;
    seen.add(r);
    if (relevant.has(r)) {
      hits += 1;
      sum += hits / seen.size;
    }
  }
  return sum / Math.min(relevant.size, k);
}

/** |top k ∩ gold| / |gold| */
export function recallAt(ranked: readonly string[], gold: readonly string[], k = 10): number {
  const relevant = new Set(gold);
  if (relevant.size === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  let hits = 0;
  for (const r of top) if (relevant.has(r)) hits += 1;
  return hits / relevant.size;
}

export interface RoutingMetrics {
  queries: number;
  map_at_10: number;
  recall_at_10: number;
}

export function routingMetrics(predictions: ReadonlyMap<string, readonly string[]>, gold: ReadonlyMap<string, readonly string[]>): RoutingMetrics {
  let map = 0;
  let recall = 0;
  for (const [id, recipients] of gold) {
    const ranked = predictions.get(id) ?? [];
    map += averagePrecisionAt(ranked, recipients);
    recall += recallAt(ranked, recipients);
  }
  const n = Math.max(1, gold.size);
  return { queries: gold.size, map_at_10: map / n, recall_at_10: recall / n };
}
