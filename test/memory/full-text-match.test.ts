import { describe, expect, it } from 'vitest';
import { commonWordCap, DEFAULT_FULL_TEXT_MATCH, matchAnyWord, planFullTextMatch } from '../../activities/memory/full-text-match';

describe('planFullTextMatch', () => {
  const df = new Map([
    ['release', 900],
    ['team', 1200],
    ['quokka', 3],
    ['ledger', 40],
    ['the', 0],
  ]);

  it('matches any rarer word and ranks by every word that occurs', () => {
    expect(planFullTextMatch(['release', 'quokka', 'ledger', 'the'], df, 500)).toEqual({
      match: { words: ['quokka', 'ledger'], mode: 'or' },
      rank: ['release', 'quokka', 'ledger'],
    });
  });

  it('matches all the words when every one is common', () => {
    expect(planFullTextMatch(['release', 'team', 'release'], df, 500)).toEqual({ match: { words: ['release', 'team'], mode: 'and' }, rank: ['release', 'team'] });
  });

  it('a word exactly at the cap is common', () => {
    expect(planFullTextMatch(['release', 'ledger'], df, 40)?.match).toEqual({ words: ['release', 'ledger'], mode: 'and' });
  });

  it('has no plan when no word occurs', () => {
    expect(planFullTextMatch(['the', 'zebra'], df, 500)).toBeUndefined();
  });

  it('a small memory matches any word', () => {
    expect(matchAnyWord(['a', 'b', 'a'])).toEqual({ match: { words: ['a', 'b'], mode: 'or' }, rank: ['a', 'b'] });
  });

  it('the cap is a share of the memory, never below the minimum', () => {
    expect(commonWordCap(1_000, DEFAULT_FULL_TEXT_MATCH)).toBe(2_000);
    expect(commonWordCap(1_000_000, DEFAULT_FULL_TEXT_MATCH)).toBe(50_000);
  });
});
