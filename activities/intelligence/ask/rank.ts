/**
 * Turn-level ranking over the transcripts (or other segmented items) a question is scoped to.
 *
 * Evidence for an answer in a meeting comes in runs: the turn that names the topic, the
 * replies around it. So besides its own BM25 match, a turn is scored as the centre of a
 * passage (itself and its neighbours, weighted by distance), times a prior that favours
 * substantive turns over back-channel ("Yeah. Right."). A question that names a participant
 * favours that participant's turns; a question about a decision favours decision statements;
 * one round of pseudo-relevance feedback adds the words the best passages share. The passage
 * ranking and the single-turn ranking are fused by reciprocal rank, so the answer draws on the
 * best region without losing turns that match well on their own elsewhere.
 *
 * Lexical and generic: nothing here knows a corpus, a meeting or a query.
 */
import { isDecisionStatement } from '../cues';
import { reciprocalRankFusion } from '../../memory/fusion';
import { Bm25Index } from './bm25';
import { contentTerms, queryWeights, questionIntent, stem, type QuestionIntent } from './text';

/** One addressable turn (segment) of an item, in the item's order. */
export interface RankTurn {
  itemId: string;
  position: number;
  text: string;
  speakerId?: string | null;
  /** display name of the speaker, for questions that name a participant */
  speakerName?: string | null;
}

export interface RankParams {
  /** BM25 */
  k1: number;
  b: number;
  /** weight of the words a question is phrased with ("discuss", "think", "decide") */
  questionWordWeight: number;
  /** neighbours on each side that make a turn's passage, and the weight decay^d of one at distance d */
  window: number;
  decay: number;
  /** prior of a turn: (its number of content words) ^ lengthExponent */
  lengthExponent: number;
  /** pseudo-relevance feedback: top passages looked at, terms added, their total weight relative to the question's */
  feedbackTurns: number;
  feedbackTerms: number;
  feedbackWeight: number;
  /** prior multiplier of the turns of a participant the question names */
  speakerBoost: number;
  /** prior multiplier of decision statements when the question asks what was decided */
  intentBoost: number;
  /** reciprocal-rank-fusion constant for the passage and single-turn rankings */
  fusionK: number;
}

export const RANK_DEFAULTS: RankParams = {
  k1: 1.2,
  b: 0.75,
  questionWordWeight: 0.25,
  window: 4,
  decay: 0.8,
  lengthExponent: 0.75,
  feedbackTurns: 5,
  feedbackTerms: 10,
  feedbackWeight: 0.3,
  speakerBoost: 2,
  intentBoost: 1.5,
  fusionK: 60,
};

export interface RankedTurn {
  itemId: string;
  position: number;
  score: number;
}

export interface RankExplain {
  /** the weighted query terms (stems), feedback terms included */
  terms: Record<string, number>;
  expansion: string[];
  /** ids of the participants the question names */
  speakers: string[];
  intent: QuestionIntent;
}

/**
 * The turns of `items` ranked for `question`; turns without any score are left out. `items` are
 * the scoped items' turns, each list in the item's order; passages never cross items.
 */
export function rankTurns(
  question: string,
  items: readonly (readonly RankTurn[])[],
  params: Partial<RankParams> = {},
): { ranked: RankedTurn[]; explain: RankExplain } {
  const p = { ...RANK_DEFAULTS, ...params };
  const flat = items.flat();
  const itemOf: number[] = [];
  items.forEach((turns, i) => turns.forEach(() => itemOf.push(i)));

  const termsOf = flat.map((t) => analyzed(t.text));
  const tfs = termsOf.map((terms) => {
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    return tf;
  });
  const index = new Bm25Index(termsOf, { k1: p.k1, b: p.b });
  const intent = questionIntent(question);
  const { ids: speakers, words: nameWords } = namedSpeakers(question, flat);
  const weights = queryWeights(question, { questionWordWeight: p.questionWordWeight, ignore: nameWords });

  const prior = flat.map((t, i) => {
    let m = (termsOf[i]?.length ?? 0) ** p.lengthExponent;
    if (speakers.size > 0 && t.speakerId && speakers.has(t.speakerId)) m *= p.speakerBoost;
    if (intent === 'decision' && isDecisionStatement(t.text)) m *= p.intentBoost;
    return m;
  });

  // The passage of turn i: itself and up to `window` neighbours each side (same item), weighted.
  const passageOf = flat.map((_, i) => {
    const near = [{ j: i, w: 1 }];
    for (let d = 1; d <= p.window; d++) {
      const w = p.decay ** d;
      if (itemOf[i - d] === itemOf[i]) near.push({ j: i - d, w });
      if (itemOf[i + d] === itemOf[i]) near.push({ j: i + d, w });
    }
    return near;
  });
  const passageLength = passageOf.map((near) => near.reduce((a, { j, w }) => a + w * (termsOf[j]?.length ?? 0), 0));
  const avgPassage = passageLength.reduce((a, b) => a + b, 0) / Math.max(1, passageLength.length) || 1;

  // Where each term occurs: a passage's term frequency is scattered from these few turns to their
  // neighbours, instead of gathered by every turn from all of its own (most terms are rare).
  const postings = new Map<string, { j: number; tf: number }[]>();
  tfs.forEach((tf, j) => {
    for (const [term, f] of tf) {
      const list = postings.get(term);
      if (list) list.push({ j, tf: f });
      else postings.set(term, [{ j, tf: f }]);
    }
  });
  const norms = passageLength.map((length) => 1 - p.b + (p.b * length) / avgPassage);

  /** BM25 of each turn's passage (term frequencies and length summed with the distance weights), times the prior. */
  const passageScores = (q: ReadonlyMap<string, number>): number[] => {
    const scores = new Float64Array(flat.length);
    const f = new Float64Array(flat.length);
    for (const [term, weight] of q) {
      const list = postings.get(term);
      if (!list) continue;
      f.fill(0);
      const touched: number[] = [];
      // passageOf is symmetric: i is in j's passage with the weight j has in i's
      for (const { j, tf } of list) {
        for (const { j: i, w } of passageOf[j] ?? []) {
          if (f[i] === 0) touched.push(i);
          f[i] = (f[i] ?? 0) + w * tf;
        }
      }
      const idf = index.idf(term);
      for (const i of touched) {
        const fi = f[i] ?? 0;
        scores[i] = (scores[i] ?? 0) + weight * idf * ((fi * (p.k1 + 1)) / (fi + p.k1 * (norms[i] ?? 1)));
      }
    }
    return Array.from(scores, (score, i) => score * (prior[i] ?? 0));
  };

  let query = weights;
  let passages = passageScores(query);
  let expansion: string[] = [];
  if (p.feedbackTurns > 0 && p.feedbackTerms > 0 && p.feedbackWeight > 0 && weights.size > 0) {
    expansion = feedbackTerms(passages, passageOf, termsOf, index, new Set(weights.keys()), p.feedbackTurns, p.feedbackTerms);
    if (expansion.length > 0) {
      const total = [...weights.values()].reduce((a, b) => a + b, 0);
      query = new Map(weights);
      for (const t of expansion) query.set(t, (p.feedbackWeight * total) / expansion.length);
      passages = passageScores(query);
    }
  }
  // The single-turn ranking uses the question's own words only: it is the literal-match voice.
  let single = index.scores([...weights.keys()], weights);

  // Topic support: when no passage holds any topic word of the question, there is nothing to
  // answer from (turns matching only its phrasing, "decide", "discuss", are no answer). When some
  // do, the others still rank (on phrasing and feedback words): measured on the QMSum tuning
  // half, demoting them below every supported turn costs CES recall@10 0.339 → 0.328.
  const topic = new Map([...weights].filter(([, w]) => w >= 1));
  if (topic.size > 0 && !passageScores(topic).some((s) => s > 0)) {
    passages = passages.map(() => 0);
    single = single.map(() => 0);
  }

  const order = (scores: readonly number[]): RankedTurn[] =>
    flat
      .map((t, i) => ({ itemId: t.itemId, position: t.position, score: scores[i] ?? 0, i }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .map(({ itemId, position, score }) => ({ itemId, position, score }));
  const ranked = p.fusionK > 0 ? reciprocalRankFusion([order(passages), order(single)], { k: p.fusionK }) : order(passages);
  return { ranked, explain: { terms: Object.fromEntries(query), expansion, speakers: [...speakers], intent } };
}

/**
 * RM-style feedback: the terms carrying most of the top passages' weight (tf · idf in the
 * passage, weighted by the passage's score), excluding the query's own terms, very short
 * tokens, and terms found in a single turn only.
 */
function feedbackTerms(
  scores: readonly number[],
  passageOf: readonly { j: number; w: number }[][],
  termsOf: readonly (readonly string[])[],
  index: Bm25Index,
  exclude: ReadonlySet<string>,
  topPassages: number,
  topTerms: number,
): string[] {
  const top = scores
    .map((s, i) => ({ s, i }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, topPassages);
  const best = top[0]?.s ?? 0;
  if (best <= 0) return [];
  const mass = new Map<string, number>();
  for (const { s, i } of top) {
    const tf = new Map<string, number>();
    let length = 0;
    for (const { j, w } of passageOf[i] ?? []) {
      for (const t of termsOf[j] ?? []) tf.set(t, (tf.get(t) ?? 0) + w);
      length += w * (termsOf[j]?.length ?? 0);
    }
    if (length === 0) continue;
    for (const [t, f] of tf) {
      if (exclude.has(t) || t.length < 3 || index.documentFrequency(t) < 2) continue;
      mass.set(t, (mass.get(t) ?? 0) + (s / best) * (f / length) * index.idf(t));
    }
  }
  return [...mass.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, topTerms)
    .map(([t]) => t);
}

/**
 * The content terms of a turn's text, remembered: a process that answers many questions (the
 * eval, a server) ranks the same turns again and again, and analysing them is most of the work.
 * Bounded; the oldest entries go first.
 */
const analysis = new Map<string, readonly string[]>();
const ANALYSIS_LIMIT = 100_000;

function analyzed(text: string): readonly string[] {
  let terms = analysis.get(text);
  if (terms === undefined) {
    terms = contentTerms(text);
    if (analysis.size >= ANALYSIS_LIMIT) analysis.delete(analysis.keys().next().value as string);
    analysis.set(text, terms);
  }
  return terms;
}

const NAME_TOKEN = /[\p{L}\p{N}]+/gu;

/**
 * The speakers a question names, and the question words that named them (not topic words).
 * A speaker is named by their full name of two words or more (any case, word endings aside:
 * "the industrial designer" names "Industrial Designer"), or by one word of the name that no other speaker of
 * the scope shares, capitalized as in the name and not the question's first word ("What did
 * Carla say", "What did C think", "What did Marketing propose").
 */
export function namedSpeakers(question: string, turns: readonly RankTurn[]): { ids: Set<string>; words: Set<string> } {
  const nameOf = new Map<string, string>();
  for (const t of turns) if (t.speakerId && t.speakerName && !nameOf.has(t.speakerId)) nameOf.set(t.speakerId, t.speakerName);
  const owners = new Map<string, Set<string>>();
  for (const [id, name] of nameOf) {
    for (const tok of new Set(name.match(NAME_TOKEN) ?? [])) owners.set(tok, (owners.get(tok) ?? new Set<string>()).add(id));
  }
  const tokens = question.match(NAME_TOKEN) ?? [];
  const stems = tokens.map((t) => stem(t.toLowerCase()));
  const ids = new Set<string>();
  const named = new Set<string>();
  for (const [id, name] of nameOf) {
    const nameTokens: string[] = name.match(NAME_TOKEN) ?? [];
    const nameStems = nameTokens.map((t) => stem(t.toLowerCase()));
    let found = false;
    if (nameStems.length > 1) {
      for (let i = 0; i + nameStems.length <= stems.length; i++) {
        if (nameStems.every((s, k) => stems[i + k] === s)) {
          found = true;
          for (let k = 0; k < nameStems.length; k++) named.add((tokens[i + k] ?? '').toLowerCase());
        }
      }
    }
    for (let i = 1; i < tokens.length; i++) {
      const tok = tokens[i] ?? '';
      if (/^\p{Lu}/u.test(tok) && nameTokens.includes(tok) && owners.get(tok)?.size === 1) {
        found = true;
        named.add(tok.toLowerCase());
      }
    }
    if (found) ids.add(id);
  }
  return { ids, words: named };
}
