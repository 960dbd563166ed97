/**
 * Local (rule-based) cues for the walking skeleton's brief: which turns state a decision or commit an
 * action, and which messages ask something. The extraction issue replaces this with the full
 * decision/action/question extractor behind the llm port; the brief only needs the shape.
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

const ACTION_CUES = [
  /\b(?:i|i'll|we|we'll|he|she|they|\w+) (?:will|'ll|is going to|are going to) [^.?!]{3,80}\bby (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|next week|end of (?:the )?(?:day|week|month)|eod|eow|the \d{1,2}(?:st|nd|rd|th)?)\b/i,
  /\b(?:action item|todo|to-do|follow up on|owns? the)\b/i,
];

export function isDecisionStatement(text: string): boolean {
  return DECISION_CUES.some((cue) => cue.test(text));
}

export function isActionCommitment(text: string): boolean {
  return ACTION_CUES.some((cue) => cue.test(text));
}

/** A question is a sentence ending in "?" that is more than a pleasantry. */
export function questionsIn(text: string): string[] {
  const sentences = text.match(/[^.?!\n]+\?/g) ?? [];
  return sentences.map((s) => s.trim()).filter((s) => s.split(/\s+/).length >= 4);
}
