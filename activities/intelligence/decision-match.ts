/**
 * The decision store's judgement (memory/decision-judge.ts), as pure functions: when two extracted decisions are the
 * same one (merge), when a later one replaces an earlier one (supersession), and when a later message shows that
 * something was carried out (completion evidence). Every verdict comes with a reason a person can read, and depends
 * only on its inputs (deterministic).
 */
import * as chrono from 'chrono-node';
import {
  MERGE_WINDOW_MS,
  SUPERSEDE_WINDOW_MS,
  type CompletionSentence,
  type ComparableDecision,
  type DecisionJudge,
  type EvidenceCandidate,
  type EvidenceMatch,
  type EvidenceSubject,
  type Verdict,
} from '../memory/decision-judge';
import { isForwardMarker } from './extraction/conversation';
import { contentTerms, overlap, parse, sentencesOf, topicOf } from './extraction/language';
import { completionCue, replacementCue } from './extraction/signals';

const DAY_MS = 86_400_000;

/** Content terms with versions normalized ("16.0" = "16"), shared by every comparison here. */
export function matchTerms(text: string): string[] {
  return [...new Set(contentTerms(text).map((t) => t.replace(/^(\d+)\.0$/, '$1')))];
}

export function topicTermsOf(topic: string): string[] {
  return matchTerms(topic);
}

/** Same topic: the topics share most of their words (or one's words are all in the other's). */
export function sameTopic(a: { topic: string }, b: { topic: string }): { same: boolean; shared: string[] } {
  const ta = topicTermsOf(a.topic);
  const tb = topicTermsOf(b.topic);
  const { shared, coefficient } = overlap(ta, tb);
  const union = new Set([...ta, ...tb]).size;
  const jaccard = union === 0 ? 0 : shared.length / union;
  return { same: shared.some((t) => /\p{L}/u.test(t)) && (jaccard >= 0.5 || coefficient === 1), shared };
}

/** Days (YYYY-MM-DD) a statement names, resolved relative to when it was made. */
export function daysNamed(text: string, at: Date): string[] {
  return [
    ...new Set(
      chrono
        .parse(text, at, { forwardDate: true })
        .filter((r) => r.start.isCertain('day') || r.start.isCertain('weekday'))
        .map((r) => r.start.date().toISOString().slice(0, 10)),
    ),
  ];
}

/** Both name days, and no day in common: "submit on March 12" vs "submit on March 19". */
export function dateConflict(older: ComparableDecision, newer: ComparableDecision): boolean {
  const a = daysNamed(older.statement, older.decidedAt);
  const b = daysNamed(newer.statement, newer.decidedAt);
  return a.length > 0 && b.length > 0 && !a.some((d) => b.includes(d));
}

/** The words in a statement (or its quotes) that say it replaces something: "instead", "move … to". */
export function replacementWords(d: Pick<ComparableDecision, 'statement' | 'quotes'>): string | undefined {
  for (const text of [d.statement, ...d.quotes]) {
    const doc = parse(text);
    const cue = replacementCue(doc, text);
    if (cue) return cue.text;
  }
  return undefined;
}

const overlapsAudience = (a: string[], b: string[]): boolean => a.some((p) => b.includes(p));

/**
 * Merge when: same topic, statements sharing at least three content words (or half of the shorter
 * one's), made within 14 days, before overlapping audiences, and neither replaces the other.
 */
export function mergeVerdict(existing: ComparableDecision, incoming: ComparableDecision): Verdict {
  const topic = sameTopic(existing, incoming);
  if (!topic.same) return { yes: false, reason: 'different topic' };
  if (Math.abs(existing.decidedAt.getTime() - incoming.decidedAt.getTime()) > MERGE_WINDOW_MS) return { yes: false, reason: 'too far apart' };
  if (!overlapsAudience(existing.access, incoming.access)) return { yes: false, reason: 'no common audience' };
  const { shared, coefficient } = overlap(matchTerms(existing.statement), matchTerms(incoming.statement));
  const words = shared.filter((t) => /\p{L}/u.test(t));
  if (!(words.length >= 3 || (words.length >= 2 && coefficient >= 0.5))) return { yes: false, reason: 'statements differ' };
  const [older, newer] = existing.decidedAt <= incoming.decidedAt ? [existing, incoming] : [incoming, existing];
  const replacing = replacementWords(newer);
  if (replacing) return { yes: false, reason: `the later one replaces ("${replacing}")` };
  if (dateConflict(older, newer)) return { yes: false, reason: 'they name different days' };
  const days = Math.round(Math.abs(existing.decidedAt.getTime() - incoming.decidedAt.getTime()) / DAY_MS);
  return {
    yes: true,
    reason: `same decision: topic "${existing.topic}", shared terms [${shared.join(', ')}], ${days} day(s) apart, overlapping audiences`,
  };
}

/**
 * Supersede when a later decision on the same topic, before an overlapping audience, says it replaces
 * ("instead", "move … to", "no longer") or names different days than the earlier one.
 */
export function supersedeVerdict(older: ComparableDecision, newer: ComparableDecision): Verdict {
  if (newer.decidedAt.getTime() <= older.decidedAt.getTime()) return { yes: false, reason: 'not later' };
  if (newer.decidedAt.getTime() - older.decidedAt.getTime() > SUPERSEDE_WINDOW_MS) return { yes: false, reason: 'too far apart' };
  const topic = sameTopic(older, newer);
  if (!topic.same) return { yes: false, reason: 'different topic' };
  if (!overlapsAudience(older.access, newer.access)) return { yes: false, reason: 'no common audience' };
  const replacing = replacementWords(newer);
  if (replacing) return { yes: true, reason: `later decision on "${newer.topic}" says it replaces ("${replacing}")` };
  if (dateConflict(older, newer)) {
    return {
      yes: true,
      reason: `later decision on "${newer.topic}" names ${daysNamed(newer.statement, newer.decidedAt).join(', ')} instead of ${daysNamed(older.statement, older.decidedAt).join(', ')}`,
    };
  }
  return { yes: false, reason: 'nothing says it replaces' };
}

// ---- completion evidence

/** The sentences of a text that report work as finished ("merged", "is live", "here's the draft"), parsed once. */
export function completionSentences(text: string): CompletionSentence[] {
  const doc = parse(text);
  return sentencesOf(doc, text).flatMap((sentence) => {
    const cue = completionCue(sentence.view, text);
    return cue ? [{ text: sentence.text, cue: cue.text, terms: matchTerms(sentence.text) }] : [];
  });
}

/**
 * A sentence reporting work as finished that shares at least two of the subject's distinctive words,
 * said after it by someone who may see it; by the responsible person, or, when someone else says it,
 * sharing three words and half of the subject's distinctive ones.
 */
export function completionMatch(subject: EvidenceSubject, candidate: EvidenceCandidate, distinctive: (term: string) => boolean): EvidenceMatch | undefined {
  if (candidate.sentences.length === 0) return undefined;
  if (candidate.occurredAt.getTime() <= subject.since.getTime()) return undefined;
  if (subject.sourceItemIds.includes(candidate.itemId)) return undefined;
  if (!overlapsAudience(subject.access, candidate.access)) return undefined;
  const keyTerms = matchTerms(subject.text).filter((t) => /\p{L}|\d/u.test(t) && distinctive(t));
  if (keyTerms.length < 2) return undefined;
  const byResponsible = candidate.authorId !== null && subject.responsible.includes(candidate.authorId);
  for (const sentence of candidate.sentences) {
    const shared = overlap(keyTerms, sentence.terms).shared;
    // someone else reporting it must be clearly about it: three words, and half of what distinguishes it
    const aboutIt = shared.length >= 3 && shared.length * 2 >= keyTerms.length;
    if ((shared.length >= 2 && byResponsible) || aboutIt) {
      return { quote: sentence.text, reason: `"${sentence.cue}" with [${shared.join(', ')}]${byResponsible ? ' by the person responsible' : ''}` };
    }
  }
  return undefined;
}

/** The judgement the decision store is given (activities/deps.ts and every store built outside a worker). */
export const decisionJudge: DecisionJudge = {
  terms: matchTerms,
  topicTerms: topicTermsOf,
  topicOf,
  merge: mergeVerdict,
  supersede: supersedeVerdict,
  completionSentences,
  completionMatch,
  isForwardMarker,
};
