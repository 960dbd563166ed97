/**
 * What the decision store asks of intelligence: when two extracted decisions are the same one, when a later one
 * replaces an earlier one, and when a later message shows something was carried out. The store holds and queries;
 * the judgement — language work — is injected (activities/intelligence/decision-match.ts), so storage never reads
 * text itself. The types of what is judged, and the time windows the store's queries share with the judgement, live
 * here.
 */
const DAY_MS = 86_400_000;
/** two statements of the same decision are at most this far apart */
export const MERGE_WINDOW_MS = 14 * DAY_MS;
/** a decision can be replaced by one made at most this much later */
export const SUPERSEDE_WINDOW_MS = 180 * DAY_MS;

export interface ComparableDecision {
  id: string;
  statement: string;
  topic: string;
  decidedAt: Date;
  access: string[];
  /** the verbatim quotes it was extracted from */
  quotes: string[];
}

export interface Verdict {
  yes: boolean;
  reason: string;
}

export interface EvidenceSubject {
  kind: 'decision' | 'action';
  id: string;
  /** what was decided or committed */
  text: string;
  /** whoever is expected to carry it out or report it (owner, decider) */
  responsible: string[];
  since: Date;
  access: string[];
  /** items it was extracted from: those cannot be its own follow-up */
  sourceItemIds: string[];
}

export interface CompletionSentence {
  text: string;
  cue: string;
  terms: string[];
}

export interface EvidenceCandidate {
  itemId: string;
  position: number;
  authorId: string | null;
  occurredAt: Date;
  access: string[];
  /** its sentences that report something finished (see DecisionJudge.completionSentences) */
  sentences: CompletionSentence[];
}

export interface EvidenceMatch {
  quote: string;
  reason: string;
}

export interface DecisionJudge {
  /** the content terms decisions are matched by (stored with each decision, compared in queries) */
  terms(text: string): string[];
  /** a topic's terms: decisions on the same topic share them */
  topicTerms(topic: string): string[];
  /** a topic for a statement stored without one */
  topicOf(statement: string): string;
  /** the same decision, stated twice? */
  merge(existing: ComparableDecision, incoming: ComparableDecision): Verdict;
  /** does the newer decision replace the older one? */
  supersede(older: ComparableDecision, newer: ComparableDecision): Verdict;
  /** the sentences of a text that report work as finished */
  completionSentences(text: string): CompletionSentence[];
  /** a candidate's sentence showing the subject was carried out, if any; `distinctive` says which words tell it apart */
  completionMatch(subject: EvidenceSubject, candidate: EvidenceCandidate, distinctive: (term: string) => boolean): EvidenceMatch | undefined;
  /** a line where a forwarded email's quoted part begins (nothing after it is the sender's own) */
  isForwardMarker(line: string): boolean;
}
