/**
 * A cheap decision cue for ranking: does a turn read like a decision being stated? The decision log
 * itself comes from the extractor (activities/intelligence/extraction); ask only uses this as a boost.
 */
const DECISION_CUES = [
  /\bwe(?:'ve| have)? (?:agreed|decided)\b/i,
  /\blet'?s go with\b/i,
  /\bwe(?:'ll| will) go with\b/i,
  /\b(?:the )?decision is\b/i,
  /\b(?:agreed|decided) (?:to|that|on)\b/i,
  /\bwe(?:'re| are) going (?:to go )?with\b/i,
  /\bso that'?s settled\b/i,
];

export function isDecisionStatement(text: string): boolean {
  return DECISION_CUES.some((cue) => cue.test(text));
}
