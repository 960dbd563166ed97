/**
 * Routing (`resolveStakeholders`): how much each kind of evidence counts, how fast involvement fades, and how many
 * people each role may hold. Each evidence score is divided by its strongest candidate before weighting, so the
 * weights compare kinds of evidence, not raw counts. Chosen on a validation split cut from the end of the linux-spi
 * history (never on its test messages) with scripts/routing-tune.ts: fitted on the earlier half of 1,500 validation
 * messages, the weights held on the later half and the reverse; these are the fit on all of them. See the README's
 * routing section.
 */
import type { WeightedQueryShape } from '../activities/intelligence/routing/query';

export interface RoutingConfig {
  /** an interaction counts half as much after this many days */
  halfLifeDays: number;
  /** involvement older than this is not read at all: stale involvement drops out */
  horizonDays: number;
  /** "this month" in reasons */
  recentDays: number;
  weights: {
    /** the asker wrote to them */
    wroteTo: number;
    /** they wrote to the asker */
    wroteToAsker: number;
    /** they took part in this conversation before */
    conversation: number;
    /** they were on the conversation's latest message (the one a reply answers) */
    latestInConversation: number;
    /** they were on the most similar items the asker can see */
    similar: number;
    /** the asker wrote to them about similar things */
    askerSimilar: number;
    /** they were on the items whose titles (subjects) are most like this one's: a short reply says little, its subject a lot */
    similarSubject: number;
    /** decided, own or were consulted on related decisions */
    relatedDecisions: number;
    /** one step along the co-involvement graph from the strongest candidates */
    coInvolved: number;
  };
  /** how many similar items to read (the k of the nearest-neighbour vote) */
  similarItems: number;
  /** how many of the asker's own similar items to read */
  askerSimilarItems: number;
  /** how many items with a similar subject to read */
  similarSubjectItems: number;
  /** the weighted words similar items are searched by, from the subject's title and text */
  similarQuery: WeightedQueryShape;
  /** a similar item's vote halves every this many days: who was on last month's similar thread matters more */
  similarHalfLifeDays: number;
  /** a similar item's vote: its full-text score, or by its rank among the similar items (1 / (1 + rank)) */
  similarVote: 'score' | 'rank';
  /**
   * how each kind of evidence becomes a 0..1 strength before weighting: divided by its strongest candidate
   * ('max'), or by rank, (k + 1) / (k + rank) — reciprocal rank fusion, which does not let one very strong
   * candidate flatten everyone else's evidence
   */
  fusion: { method: 'max' | 'rank'; k: number };
  /** the strongest candidates the co-involvement step starts from */
  coInvolvedSeeds: number;
  /** at most this many people per role */
  audience: { decide: number; consult: number; inform: number };
  /** a candidate below this share of the strongest one is left out */
  minRelativeScore: number;
  /** consult rather than inform: took part in the conversation, or at least this share of the strongest score */
  consultShare: number;
}

export const routingConfig: RoutingConfig = {
  halfLifeDays: 30,
  horizonDays: 730,
  recentDays: 30,
  weights: { wroteTo: 0.5, wroteToAsker: 0, conversation: 4, latestInConversation: 2, similar: 0.5, askerSimilar: 0.75, similarSubject: 1.5, relatedDecisions: 1, coInvolved: 0 },
  similarItems: 30,
  askerSimilarItems: 20,
  similarSubjectItems: 30,
  similarQuery: { titleWeight: 2, textChars: 3000, maxWords: 60 },
  similarHalfLifeDays: 180,
  similarVote: 'score',
  fusion: { method: 'max', k: 10 },
  coInvolvedSeeds: 5,
  audience: { decide: 3, consult: 6, inform: 12 },
  minRelativeScore: 0.02,
  consultShare: 0.5,
};
