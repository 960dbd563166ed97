import { describe, expect, it } from 'vitest';
import { isDecisionStatement } from '../../activities/intelligence/cues';

describe('local cues', () => {
  it('recognises decisions and not ordinary talk', () => {
    expect(isDecisionStatement("OK, let's go with the staged rollout.")).toBe(true);
    expect(isDecisionStatement('We agreed that Android ships first.')).toBe(true);
    expect(isDecisionStatement('I think the staged rollout is interesting.')).toBe(false);
  });
});
