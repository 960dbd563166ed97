import { describe, expect, it } from 'vitest';
import { baselineTokens, Bm25TurnBaseline } from '../../clients/eval/baseline';

describe('BM25-over-single-turns baseline', () => {
  it('tokens: lower-cased alphanumeric runs, stop words removed', () => {
    expect(baselineTokens("The Remote's LCD-screen, 25 Euros!")).toEqual(['remote', 's', 'lcd', 'screen', '25', 'euros']);
  });

  // Hand computation, k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5)):
  // docs after tokenizing: [apple banana] (2), [apple apple cherry] (3), [banana durian] (2); avgdl = 7/3
  // idf(apple) = ln(1 + 1.5 / 2.5) = ln 1.6 = 0.470004
  // d0: f = 1, norm = 0.25 + 0.75 * 2 / (7/3) = 0.892857 → 0.470004 * 2.2 / (1 + 1.2 * 0.892857) = 0.499176
  // d1: f = 2, norm = 0.25 + 0.75 * 3 / (7/3) = 1.214286 → 0.470004 * 4.4 / (2 + 1.2 * 1.214286) = 0.598186
  const turns = ['Apple banana', 'apple, APPLE cherry', 'the banana and the durian'];

  it('scores match the hand-computed BM25', () => {
    const scores = new Bm25TurnBaseline(turns).scores('what about the apple?');
    expect(scores[0]).toBeCloseTo(0.499176, 5);
    expect(scores[1]).toBeCloseTo(0.598186, 5);
    expect(scores[2]).toBe(0);
  });

  it('ranks by score, leaves out turns that do not match, keeps at most k', () => {
    const b = new Bm25TurnBaseline(turns);
    expect(b.rank('apple', 10)).toEqual([1, 0]);
    expect(b.rank('apple', 1)).toEqual([1]);
    // banana: same tf and length in d0 and d2 → equal scores, the earlier turn first
    expect(b.rank('banana', 10)).toEqual([0, 2]);
    expect(b.rank('kiwi', 10)).toEqual([]);
  });
});
