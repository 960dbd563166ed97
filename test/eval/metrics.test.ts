import { describe, expect, it } from 'vitest';
import { cesHit, cesRecall, computeMetrics, firstDistinct, spanHit, type GoldQuery } from '../../clients/eval/metrics';

const gold = (spans: [number, number][], ces: number[]): GoldQuery => ({ spans, ces: new Set(ces) });

describe('QMSum metrics', () => {
  it('firstDistinct keeps rank order, skips repeats, stops at k', () => {
    expect(firstDistinct([5, 3, 5, 9, 3, 1], 3)).toEqual([5, 3, 9]);
    expect(firstDistinct([], 10)).toEqual([]);
  });

  it('span hit@k: a cited turn inside an inclusive range, among the first k distinct', () => {
    const g = gold([[10, 12], [40, 40]], []);
    expect(spanHit([12], g, 10)).toBe(true); // inclusive end
    expect(spanHit([10], g, 10)).toBe(true); // inclusive start
    expect(spanHit([40], g, 10)).toBe(true); // single-turn range
    expect(spanHit([9, 13, 39, 41], g, 10)).toBe(false);
    expect(spanHit([1, 2, 11], g, 2)).toBe(false); // the hit is ranked third
    expect(spanHit([1, 1, 11], g, 2)).toBe(true); // a repeat does not take a place
  });

  it('CES recall@k: share of the CES turns cited; undefined without CES', () => {
    const g = gold([[0, 100]], [3, 7, 9, 20]);
    expect(cesRecall([3, 9, 50], g, 10)).toBe(0.5);
    expect(cesRecall([3, 3, 3], g, 10)).toBe(0.25); // cited once counts once
    expect(cesRecall([50, 3, 7], g, 2)).toBe(0.25); // only the first k
    expect(cesRecall([1], gold([[0, 5]], []), 10)).toBeUndefined();
  });

  it('CES hit@k: any CES turn among the first k', () => {
    const g = gold([], [4]);
    expect(cesHit([1, 4], g, 2)).toBe(true);
    expect(cesHit([1, 2, 4], g, 2)).toBe(false);
    expect(cesHit([1], gold([], []), 10)).toBe(false);
  });

  it('averages: recall over the queries WITH CES only, hits over all queries', () => {
    const golds = [gold([[0, 0]], [0, 1]), gold([[5, 6]], []), gold([[9, 9]], [9])];
    const cited = [[0, 7], [6], [2]];
    const m = computeMetrics(cited, golds, 10);
    expect(m.queries).toBe(3);
    expect(m.queriesWithCes).toBe(2);
    expect(m.spanHit).toBeCloseTo(2 / 3, 10); // queries 1 and 2
    expect(m.cesRecall).toBeCloseTo((0.5 + 0) / 2, 10); // query 2 (no CES) left out, not counted as 0
    expect(m.cesHit).toBeCloseTo(1 / 3, 10); // over all three queries
  });

  it('refuses mismatched inputs', () => {
    expect(() => computeMetrics([[1]], [], 10)).toThrow(/1 answers for 0 queries/);
  });
});
