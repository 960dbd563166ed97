/**
 * The local answer writer: EXTRACTIVE. It picks the sentences of the cited passages that match
 * the question best and returns them verbatim, each citing its passage. A model-backed writer
 * (OpenAI synthesis) implements the same Synthesizer port and replaces this one.
 */
import { contentTerms, queryWeights, sentencesOf, stripAnnotations } from './text';

/** A cited passage, as handed to a synthesizer. */
export interface Passage {
  marker: number;
  itemId: string;
  position: number;
  text: string;
  /** the speaker's (or author's) display name, when known */
  speaker?: string;
  /** fused retrieval score, higher is better */
  score: number;
}

export interface AnswerSentence {
  text: string;
  /** markers of the passages the sentence rests on */
  citations: number[];
}

export interface SynthesisInput {
  question: string;
  /** ranked, best first */
  passages: Passage[];
  maxSentences: number;
}

/** The port of the answer-writing step: local extractive now, a model later. */
export interface Synthesizer {
  readonly name: string;
  synthesize(input: SynthesisInput): Promise<AnswerSentence[]>;
}

/** Sentences shorter than this many content words say too little to stand in an answer. */
const MIN_SENTENCE_TERMS = 3;
/** A passage's sentences compete with a bonus for the passage's rank: 1 / (RANK_DAMPING + rank). */
const RANK_DAMPING = 2;

export class ExtractiveSynthesizer implements Synthesizer {
  readonly name = 'extractive';

  async synthesize(input: SynthesisInput): Promise<AnswerSentence[]> {
    return extractSentences(input);
  }
}

/**
 * Scores every sentence of the passages by the share of the question's weighted terms it
 * contains, plus a bonus for its passage's rank, and keeps the best `maxSentences` (at most two
 * per passage, duplicates dropped), in passage rank then sentence order.
 */
export function extractSentences(input: SynthesisInput): AnswerSentence[] {
  const weights = queryWeights(input.question, { questionWordWeight: 0.25 });
  const total = [...weights.values()].reduce((a, b) => a + b, 0) || 1;
  const candidates: { rank: number; order: number; text: string; marker: number; score: number }[] = [];
  input.passages.forEach((passage, rank) => {
    const bonus = 1 / (RANK_DAMPING + rank);
    sentencesOf(stripAnnotations(passage.text).replace(/\s+/g, ' ').trim()).forEach((sentence, order) => {
      const terms = new Set(contentTerms(sentence));
      if (terms.size === 0) return;
      let matched = 0;
      for (const [t, w] of weights) if (terms.has(t)) matched += w;
      const short = terms.size < MIN_SENTENCE_TERMS ? 0.5 : 1;
      candidates.push({ rank, order, text: tidy(sentence), marker: passage.marker, score: short * (matched / total + bonus) });
    });
  });
  const perPassage = new Map<number, number>();
  const seen = new Set<string>();
  const chosen = candidates
    .sort((a, b) => b.score - a.score || a.rank - b.rank || a.order - b.order)
    .filter((c) => {
      const key = c.text.toLowerCase();
      if (seen.has(key) || (perPassage.get(c.marker) ?? 0) >= 2) return false;
      seen.add(key);
      perPassage.set(c.marker, (perPassage.get(c.marker) ?? 0) + 1);
      return true;
    })
    .slice(0, Math.max(0, input.maxSentences))
    .sort((a, b) => a.rank - b.rank || a.order - b.order);
  return chosen.map((c) => ({ text: c.text, citations: [c.marker] }));
}

/** Re-attaches punctuation that transcripts space out ("so , this ." → "so, this."). */
function tidy(sentence: string): string {
  return sentence.replace(/\s+([,.;:!?])/g, '$1').replace(/\s+/g, ' ').trim();
}
