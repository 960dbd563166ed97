import { describe, expect, it } from 'vitest';
import { isActionCommitment, isDecisionStatement, questionsIn } from '../../activities/intelligence/cues';

describe('local cues', () => {
  it('recognises decisions and not ordinary talk', () => {
    expect(isDecisionStatement("OK, let's go with the staged rollout.")).toBe(true);
    expect(isDecisionStatement('We agreed that Android ships first.')).toBe(true);
    expect(isDecisionStatement('I think the staged rollout is interesting.')).toBe(false);
  });

  it('recognises dated commitments', () => {
    expect(isActionCommitment('Bob will send the crash report by Friday.')).toBe(true);
    expect(isActionCommitment('Bob sent the crash report on Friday.')).toBe(false);
  });

  it('finds real questions, not pleasantries', () => {
    expect(questionsIn('Thanks! Can you confirm the keys were rotated? Cheers?')).toEqual(['Can you confirm the keys were rotated?']);
  });
});
