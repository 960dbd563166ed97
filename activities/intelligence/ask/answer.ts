/**
 * `myc ask "<question>" [--as <person>]`: retrieval and answering over the team's memory, on
 * behalf of people (every read is filtered by `visibleTo`).
 *
 *   1. candidates: the store's hybrid search (full text + vector, fused by reciprocal rank);
 *      with a scope, the scoped items themselves (by id or conversation);
 *   2. turn-level ranking inside the candidate items (rank.ts: question processing, BM25 with
 *      stemming, passages of neighbouring turns, length prior, speaker and decision cues,
 *      pseudo-relevance feedback);
 *   3. reciprocal rank fusion of (2), the hybrid hits, and any extra ranked evidence the caller
 *      brings (the decision log, say), each checked against `visibleTo` and the scope;
 *   4. the top k distinct segments are cited, and a Synthesizer writes the answer from them:
 *      locally extractive (extractive.ts), a model later, through the same port.
 */
import type { Item, PersonId } from '../../../schemas/entities';
import { chunkItem } from '../../memory/chunking';
import { RRF_K } from '../../memory/fusion';
import type { Hit, RetrievalFilter } from '../../memory/ports';
import type { MemoryStore } from '../../memory/store';
import { ExtractiveSynthesizer, type AnswerSentence, type Passage, type Synthesizer } from './extractive';
import { rankTurns, type RankExplain, type RankParams, type RankTurn } from './rank';
import { QUESTION_WORDS, STOP_WORDS, stripAnnotations, words } from './text';

/** What `answer` needs of the memory: reads that are all filtered by visibleTo (plus names). */
export type AskStore = Pick<MemoryStore, 'searchHybrid' | 'findItems' | 'peopleByIds'> & Partial<Pick<MemoryStore, 'searchVector'>>;

export interface AskScope {
  /** only these items */
  itemIds?: string[];
  /** only the items of this conversation (a meeting, a thread) */
  threadId?: string;
}

/** One ranked list of extra evidence, best first (e.g. the decision log's matches). */
export interface EvidenceList {
  /** where it comes from, for explanations */
  source: string;
  hits: { itemId: string; position: number; score?: number }[];
}

export interface AskRequest {
  question: string;
  /** the people the answer is for: only what every one of them may see is used */
  visibleTo: PersonId[];
  scope?: AskScope;
  /** how many distinct segments to cite */
  k: number;
  /** extra ranked evidence, fused with the retrieval (items the people may not see are dropped) */
  evidence?: EvidenceList[];
  /** how many sentences the answer may have (default 5) */
  maxSentences?: number;
}

export interface AskCitation {
  marker: number;
  itemId: string;
  position: number;
  quote: string;
  score: number;
}

export interface Answer {
  sentences: AnswerSentence[];
  citations: AskCitation[];
  /** the top k distinct segments, best first */
  cited: { itemId: string; position: number }[];
}

export interface AskOptions {
  synthesizer?: Synthesizer;
  rank?: Partial<RankParams>;
  /**
   * Weight of the store's hybrid hits (full text + vectors) in the fusion with the turn ranking
   * (weight 1); 0 leaves them out. Default: 1 without a scope, where the hybrid search is what
   * reaches beyond the few items whose turns are ranked; 0 within a scope, where the turn ranking
   * sees every turn and the coarser hybrid list only dilutes it (measured on the QMSum tuning
   * half: CES recall@10 0.305 → 0.274 at weight 1, see clients/eval).
   */
  hybridWeight?: number;
  /**
   * Weight of the sentence encoder's own ranking (the store's searchVector on the whole question)
   * in the fusion; 0 (default) leaves it out. Unlike the hybrid list, its hits may be cited on their
   * own: a paraphrase shares no word with its answer, and the turn ranking is lexical. Only
   * meaningful with a semantic embedder (never the hashing one, whose vectors are lexical too).
   */
  vectorWeight?: number;
}

/** Upper bound on the items of a scope (a long thread, a series of meetings). */
const MAX_SCOPE_ITEMS = 200;
const MIN_HYBRID_CANDIDATES = 40;
const QUOTE_CHARS = 300;

export interface Retrieval {
  ranked: Hit[];
  /** the loaded (visible, in-scope) items by id */
  items: Map<string, Item>;
  /** every segment of those items by `${itemId}#${position}`, with its speaker's name */
  segments: Map<string, RankTurn>;
  explain: RankExplain;
}

/**
 * The fused ranking of segments for a question, all of them visible to every person of
 * `visibleTo` and inside the scope.
 */
export async function retrieve(store: AskStore, request: AskRequest, options: AskOptions = {}): Promise<Retrieval> {
  const visibleTo = request.visibleTo;
  if (visibleTo.length === 0) throw new Error('ask needs at least one person to answer for (visibleTo)');
  const filter: RetrievalFilter = {
    visibleTo,
    ...(request.scope?.itemIds ? { itemIds: request.scope.itemIds } : {}),
    ...(request.scope?.threadId !== undefined ? { threadId: request.scope.threadId } : {}),
  };
  const scoped = request.scope?.itemIds !== undefined || request.scope?.threadId !== undefined;
  const hybridLimit = Math.max(request.k * 4, MIN_HYBRID_CANDIDATES);
  const hybridWeight = options.hybridWeight ?? (scoped ? 0 : 1);
  const hybrid = hybridWeight <= 0 && scoped ? [] : await store.searchHybrid(searchText(request.question), filter, hybridLimit);
  const vectorWeight = options.vectorWeight ?? 0;
  if (vectorWeight > 0 && !store.searchVector) throw new Error('ask: vectorWeight needs a store with searchVector');
  const vector = vectorWeight > 0 && store.searchVector ? await store.searchVector(request.question, filter, hybridLimit) : [];

  // The items whose turns are ranked: the scope, or the items of the hybrid hits (and of extra evidence).
  const hybridItemIds = [...new Set([...hybrid, ...vector].map((h) => h.itemId))];
  let items: Item[];
  if (scoped) items = await store.findItems(filter, MAX_SCOPE_ITEMS);
  else items = hybridItemIds.length === 0 ? [] : await store.findItems({ visibleTo, itemIds: hybridItemIds }, hybridItemIds.length);
  // Extra evidence may point at items not loaded yet: load them through the same filter.
  const evidenceItemIds = new Set((request.evidence ?? []).flatMap((l) => l.hits.map((h) => h.itemId)));
  const missing = [...evidenceItemIds].filter((id) => !items.some((i) => i.id === id) && inScope(id, request.scope));
  if (missing.length > 0) items = [...items, ...(await store.findItems({ ...filter, itemIds: missing }, missing.length))];
  // Deterministic order (findItems returns newest first): by time, then id.
  items.sort((a, b) => new Date(a.occurredAt).getTime() - new Date(b.occurredAt).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map(items.map((i) => [i.id, i]));

  const names = await speakerNames(store, items);
  const turnsOf = (item: Item): RankTurn[] =>
    chunkItem(item).map((c) => {
      const speakerId = c.speakerId ?? item.authorId ?? null;
      return { itemId: item.id, position: c.position, text: c.text, speakerId, speakerName: speakerId ? (names.get(speakerId) ?? null) : null };
    });
  const segments = new Map<string, RankTurn>();
  const turnsByItem: RankTurn[][] = [];
  for (const item of items) {
    const turns = turnsOf(item);
    for (const t of turns) segments.set(keyOf(t), t);
    turnsByItem.push(turns);
  }
  const known = new Set(segments.keys());
  const { ranked: turns, explain } = rankTurns(request.question, turnsByItem, options.rank);

  const lists: { hits: Hit[]; weight: number }[] = [{ hits: turns, weight: 1 }];
  if (hybridWeight > 0) lists.push({ hits: hybrid.filter((h) => known.has(keyOf(h))), weight: hybridWeight });
  const vectorHits = vector.filter((h) => known.has(keyOf(h)));
  if (vectorWeight > 0) lists.push({ hits: vectorHits, weight: vectorWeight });
  const evidenceHits: Hit[] = [];
  for (const list of request.evidence ?? []) {
    const hits = list.hits.filter((h) => byId.has(h.itemId) && known.has(keyOf(h))).map((h) => ({ ...h, score: h.score ?? 0 }));
    evidenceHits.push(...hits);
    lists.push({ hits, weight: 1 });
  }
  // Only segments the turn ranking, the encoder or the caller's evidence stands behind are cited:
  // the hybrid list orders them, it cannot add one (its vector side always finds *something*).
  const supported = new Set([...turns, ...vectorHits, ...evidenceHits].map(keyOf));
  const ranked = weightedRrf(lists).filter((h) => supported.has(keyOf(h)));
  return { ranked, items: byId, segments, explain };
}

/** Answers a question from what every person of `visibleTo` may see, citing the top k segments. */
export async function answer(store: AskStore, request: AskRequest, options: AskOptions = {}): Promise<Answer> {
  if (!Number.isInteger(request.k) || request.k <= 0) throw new Error(`k must be a positive integer, got ${request.k}`);
  const { ranked, segments } = await retrieve(store, request, options);
  const top = ranked.slice(0, request.k);
  const passages: Passage[] = top.map((hit, i) => {
    const seg = segments.get(keyOf(hit));
    const speaker = seg?.speakerName ?? undefined;
    return { marker: i + 1, itemId: hit.itemId, position: hit.position, text: seg?.text ?? '', score: hit.score, ...(speaker ? { speaker } : {}) };
  });
  const synthesizer = options.synthesizer ?? new ExtractiveSynthesizer();
  const markers = new Set(passages.map((p) => p.marker));
  const sentences = (
    await synthesizer.synthesize({ question: request.question, passages, maxSentences: request.maxSentences ?? 5 })
  )
    // A synthesizer may only cite what it was given.
    .map((s) => ({ text: s.text, citations: [...new Set(s.citations)].filter((m) => markers.has(m)) }))
    .filter((s) => s.text.trim().length > 0 && s.citations.length > 0);
  return {
    sentences,
    citations: passages.map((p) => ({ marker: p.marker, itemId: p.itemId, position: p.position, quote: quoteOf(p.text), score: p.score })),
    cited: top.map((h) => ({ itemId: h.itemId, position: h.position })),
  };
}

/** The question as handed to the store's full-text and vector search: its topic words (or all of it). */
export function searchText(question: string): string {
  const topic = words(question).filter((w) => !STOP_WORDS.has(w) && !QUESTION_WORDS.has(w));
  return topic.length > 0 ? topic.join(' ') : question;
}

/**
 * Reciprocal rank fusion with a weight per list: sum of weight / (RRF_K + rank). With every
 * weight 1 it is memory/fusion.ts's RRF; ties go to the better single rank, then the key.
 */
export function weightedRrf(lists: readonly { hits: readonly Hit[]; weight: number }[]): Hit[] {
  const fused = new Map<string, { hit: Hit; score: number; best: number }>();
  for (const { hits, weight } of lists) {
    const seen = new Set<string>();
    let rank = 0;
    for (const hit of hits) {
      const key = keyOf(hit);
      if (seen.has(key)) continue;
      seen.add(key);
      rank += 1;
      const add = weight / (RRF_K + rank);
      const entry = fused.get(key);
      if (entry) {
        entry.score += add;
        entry.best = Math.min(entry.best, rank);
      } else fused.set(key, { hit, score: add, best: rank });
    }
  }
  return [...fused.entries()]
    .sort(([ka, a], [kb, b]) => b.score - a.score || a.best - b.best || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, e]) => ({ itemId: e.hit.itemId, position: e.hit.position, score: e.score }));
}

function inScope(itemId: string, scope: AskScope | undefined): boolean {
  return scope?.itemIds === undefined || scope.itemIds.includes(itemId);
}

const keyOf = (h: { itemId: string; position: number }): string => `${h.itemId}#${h.position}`;

async function speakerNames(store: AskStore, items: readonly Item[]): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const item of items) {
    if (item.authorId) ids.add(item.authorId);
    for (const s of item.segments) if (s.speakerId) ids.add(s.speakerId);
  }
  if (ids.size === 0) return new Map();
  return new Map((await store.peopleByIds([...ids])).map((p) => [p.id, p.name]));
}

function quoteOf(text: string): string {
  const clean = stripAnnotations(text).replace(/\s+([,.;:!?])/g, '$1').replace(/\s+/g, ' ').trim();
  return clean.length <= QUOTE_CHARS ? clean : `${clean.slice(0, QUOTE_CHARS - 1).trimEnd()}…`;
}
