/**
 * Reciprocal rank fusion: merges ranked lists whose scores are not comparable (ts_rank_cd vs
 * cosine) by rank alone. A hit scores sum(1 / (k + rank)) over the lists it appears in, rank
 * starting at 1; k = 60 (Cormack et al., 2009) damps the head so one list cannot dominate.
 */
import type { Hit } from './ports';

export const RRF_K = 60;

export function reciprocalRankFusion(rankings: readonly (readonly Hit[])[], opts: { k?: number; limit?: number } = {}): Hit[] {
  const k = opts.k ?? RRF_K;
  const fused = new Map<string, { hit: Hit; score: number; bestRank: number }>();
  for (const ranking of rankings) {
    const seen = new Set<string>();
    let rank = 0;
    for (const hit of ranking) {
      const key = `${hit.itemId}#${hit.position}`;
      // A chunk listed twice in one ranking counts once, at its better rank.
      if (seen.has(key)) continue;
      seen.add(key);
      rank += 1;
      const entry = fused.get(key);
      if (entry) {
        entry.score += 1 / (k + rank);
        entry.bestRank = Math.min(entry.bestRank, rank);
      } else {
        fused.set(key, { hit, score: 1 / (k + rank), bestRank: rank });
      }
    }
  }
  const ordered = [...fused.entries()]
    // Ties (same fused score) go to the better single rank, then to a stable key, so output is deterministic.
    .sort(([ka, a], [kb, b]) => b.score - a.score || a.bestRank - b.bestRank || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, e]) => ({ itemId: e.hit.itemId, position: e.hit.position, score: e.score }));
  return opts.limit === undefined ? ordered : ordered.slice(0, Math.max(0, opts.limit));
}
