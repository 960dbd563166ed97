import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, RRF_K } from '../../activities/memory/fusion';
import type { Hit } from '../../activities/memory/ports';

const hit = (itemId: string, position = 0, score = 1): Hit => ({ itemId, position, score });

describe('reciprocalRankFusion', () => {
  it('sums 1/(k + rank) over the lists a hit appears in', () => {
    const fused = reciprocalRankFusion([
      [hit('x'), hit('y')],
      [hit('y'), hit('z')],
    ]);
    expect(RRF_K).toBe(60);
    expect(fused.map((h) => h.itemId)).toEqual(['y', 'x', 'z']);
    expect(fused[0]?.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1]?.score).toBeCloseTo(1 / 61, 12);
    expect(fused[2]?.score).toBeCloseTo(1 / 62, 12);
  });

  it('ignores the incoming scores: only ranks matter', () => {
    const fused = reciprocalRankFusion([[hit('a', 0, 0.001), hit('b', 0, 999)]]);
    expect(fused.map((h) => h.itemId)).toEqual(['a', 'b']);
  });

  it('keys hits by item and position, so two chunks of one item stay apart', () => {
    const fused = reciprocalRankFusion([[hit('a', 0), hit('a', 1)], [hit('a', 1)]]);
    expect(fused.map((h) => `${h.itemId}#${h.position}`)).toEqual(['a#1', 'a#0']);
  });

  it('counts a hit repeated within one list once, at its first rank', () => {
    const fused = reciprocalRankFusion([[hit('a'), hit('a'), hit('b')]]);
    expect(fused).toHaveLength(2);
    expect(fused[0]?.score).toBeCloseTo(1 / 61, 12);
    expect(fused[1]?.score).toBeCloseTo(1 / 62, 12);
  });

  it('honours k and limit, and breaks ties deterministically', () => {
    const fused = reciprocalRankFusion([[hit('p')], [hit('q')]], { k: 1, limit: 1 });
    expect(fused).toEqual([{ itemId: 'p', position: 0, score: 0.5 }]);
    expect(reciprocalRankFusion([[hit('q')], [hit('p')]]).map((h) => h.itemId)).toEqual(['p', 'q']);
  });

  it('returns nothing for nothing', () => {
    expect(reciprocalRankFusion([])).toEqual([]);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });
});
