/**
 * Who needs to know: `resolveStakeholders` weighs the evidence the coordination graph holds about each candidate —
 * communication with the asker, the conversation, the most similar items the asker can see, related decisions, the
 * org — into one score per person, gives each a role (decide, consult, inform) and readable reasons, and bounds the
 * audience per role. Everything is read as of the subject's time, on behalf of the asker: evidence the asker may not
 * see never counts, people outside the opt-in are never selected, and someone who should know but may not see the
 * subject's sources is marked so that nobody sends them its content.
 */
import Graph from 'graphology';
import { routingConfig, type RoutingConfig } from '../../../config/routing';
import type { CoordinationGraph, DirectoryEntry, Edge, ProjectHistory } from '../../memory/coordination';
import type { RetrievalFilter } from '../../memory/ports';
import type { ItemHit, WeightedTermSearch } from '../../memory/term-search';
import type { RoutingSubject, Stakeholder, StakeholderRole } from '../../../schemas/routing';
import { contentTerms } from '../extraction/language';
import { weightedQueryTerms } from './query';

export interface RoutingReads {
  graph: CoordinationGraph;
  history: ProjectHistory;
  /**
   * items sharing distinctive words with the subject, that the asker may see: several searches under one filter, one
   * list each (MemoryStore.searchWeightedTermsEach — one scan for all of them)
   */
  similarItems(searches: readonly WeightedTermSearch[], filter: RetrievalFilter): Promise<ItemHit[][]>;
}

/** What routing reads, over the stores. */
export function routingReadsOver(
  store: { searchWeightedTermsEach(searches: readonly WeightedTermSearch[], filter: RetrievalFilter): Promise<ItemHit[][]> },
  graph: CoordinationGraph,
  history: ProjectHistory,
): RoutingReads {
  return { graph, history, similarItems: (searches, filter) => store.searchWeightedTermsEach(searches, filter) };
}

export type Evidence = keyof RoutingConfig['weights'] | 'named' | 'org';

export interface EvidenceCandidate {
  personId: string;
  parts: Map<Evidence, number>;
  reasons: { evidence: Evidence; strength: number; text: string }[];
  named?: 'owner' | 'decider' | 'assignee' | 'asked' | 'mentioned';
  inConversation: boolean;
  score: number;
}

export interface StakeholderResolution {
  stakeholders: Stakeholder[];
  /** people with some evidence, before opt-in, bounds and the relative cut */
  considered: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const day = (d: Date) => d.toISOString().slice(0, 10);
const quote = (s: string, max = 70) => `“${s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s}”`;

/**
 * Everything the stores say about each candidate for this subject, as 0..1 strengths per kind of evidence with their
 * reasons, before any weighing (scripts/routing-tune.ts fits the weights from these). Kinds weighted 0 are not read.
 */
export async function gatherEvidence(reads: RoutingReads, subject: RoutingSubject, config: RoutingConfig = routingConfig): Promise<Map<string, EvidenceCandidate>> {
  const asker = subject.askerId;
  const at = subject.occurredAt;
  const edgeQuery = { at, halfLifeDays: config.halfLifeDays, horizonDays: config.horizonDays, recentDays: config.recentDays, limit: 200 };
  const candidates = new Map<string, EvidenceCandidate>();
  const candidate = (personId: string): EvidenceCandidate => {
    let c = candidates.get(personId);
    if (!c) candidates.set(personId, (c = { personId, parts: new Map(), reasons: [], inConversation: false, score: 0 }));
    return c;
  };
  const addEvidence = (kind: Evidence, raw: Map<string, { value: number; text: string }>) => {
    const strengths = strengthsOf(raw, config.fusion);
    for (const [personId, { text }] of raw) {
      const strength = strengths.get(personId);
      if (strength === undefined) continue;
      const c = candidate(personId);
      c.parts.set(kind, (c.parts.get(kind) ?? 0) + strength);
      c.reasons.push({ evidence: kind, strength, text });
    }
  };

  const terms = weightedQueryTerms(subject.title, subject.text, config.similarQuery);
  const subjectTerms = weightedQueryTerms(subject.title, '', { titleWeight: 1, textChars: 0, maxWords: config.similarQuery.maxWords });
  const visible: RetrievalFilter = { visibleTo: [asker], until: at, since: new Date(at.getTime() - config.horizonDays * 86_400_000) };
  // the similar items (the subject's words, the asker's own items, the title's words), searched in one scan
  const searches: WeightedTermSearch[] = [
    { terms: config.weights.similar ? terms : [], limit: config.similarItems },
    { terms: config.weights.askerSimilar ? terms : [], limit: config.askerSimilarItems, scope: { authorId: asker, addressed: true } },
    { terms: config.weights.similarSubject ? subjectTerms : [], limit: config.similarSubjectItems },
  ];
  const [wroteTo, wroteToAsker, conversation, latest, similar] = await Promise.all([
    config.weights.wroteTo ? reads.graph.edges(asker, 'out', edgeQuery) : Promise.resolve([]),
    config.weights.wroteToAsker ? reads.graph.edges(asker, 'in', edgeQuery) : Promise.resolve([]),
    subject.threadId && config.weights.conversation ? reads.graph.threadParticipants(subject.threadId, edgeQuery) : Promise.resolve([]),
    subject.threadId && config.weights.latestInConversation ? reads.graph.latestInThread(subject.threadId, at, asker) : Promise.resolve(undefined),
    searches.some((q) => q.terms.length > 0) ? reads.similarItems(searches, visible) : Promise.resolve([]),
  ]);
  const [hits = [], ownHits = [], subjectHits = []] = similar;

  addEvidence('wroteTo', edgeEvidence(wroteTo, (e) => `you wrote to them ${plural(e.count, 'time')}${recentPart(e, config)}`));
  addEvidence('wroteToAsker', edgeEvidence(wroteToAsker, (e) => `wrote to you ${plural(e.count, 'time')}${recentPart(e, config)}`));
  addEvidence('conversation', edgeEvidence(conversation, (e) => `took part in ${plural(e.count, 'earlier message')} of this conversation`));
  for (const e of conversation) candidate(e.personId).inConversation = true;
  if (latest) {
    const on = `was on the latest message of this conversation (${day(latest.occurredAt)})`;
    addEvidence('latestInConversation', new Map(latest.people.map((p) => [p, { value: 1, text: on }])));
  }

  // similar items: the people on them, weighted by how similar and how recent; the asker's own similar messages,
  // searched apart (they are few among everyone's), say whom the asker tells about such things
  const items = await reads.graph.participantsOf([...new Set([...hits, ...ownHits, ...subjectHits].map((h) => h.itemId))]);
  const vote = (found: readonly ItemHit[], skip?: string) => {
    const out = new Map<string, { value: number; items: number; example?: string }>();
    for (const [rank, hit] of found.entries()) {
      const item = items.get(hit.itemId);
      if (!item || (subject.threadId && item.threadId === subject.threadId)) continue; // the conversation counts once, above
      const age = Math.max(0, at.getTime() - item.occurredAt.getTime()) / 86_400_000;
      const score = (config.similarVote === 'rank' ? 1 / (1 + rank) : hit.score) * Math.pow(2, -age / config.similarHalfLifeDays);
      for (const personId of item.people) {
        if (personId === skip) continue;
        const s = out.get(personId) ?? { value: 0, items: 0 };
        s.value += score;
        s.items += 1;
        // quote only what the person may see themselves: the reason may reach them (`myc why`)
        if (!s.example && item.title && item.access.includes(personId)) s.example = item.title;
        out.set(personId, s);
      }
    }
    return out;
  };
  const example = (s: { example?: string }) => (s.example ? `, e.g. ${quote(s.example)}` : '');
  addEvidence('similar', new Map([...vote(hits)].map(([p, s]) => [p, { value: s.value, text: `was on ${s.items} of the ${hits.length} most similar conversations${example(s)}` }])));
  addEvidence('similarSubject', new Map([...vote(subjectHits)].map(([p, s]) => [p, { value: s.value, text: `was on ${s.items} of the ${subjectHits.length} conversations with the most similar subjects${example(s)}` }])));
  addEvidence('askerSimilar', new Map([...vote(ownHits, asker)].map(([p, s]) => [p, { value: s.value, text: `you wrote to them about similar things ${plural(s.items, 'time')}${example(s)}` }])));

  // project history: who decided or owns related decisions
  if (config.weights.relatedDecisions) {
    const terms = contentTerms(`${subject.title} ${subject.text}`).slice(0, 40);
    const related = await reads.history.relatedDecisions(terms, asker, at, 10, subject.kind === 'decision' ? subject.id : undefined);
    const raw = new Map<string, { value: number; text: string }>();
    for (const d of related) {
      for (const [p, as] of [[d.ownerId, 'owns'], [d.deciderId, 'decided']] as const) {
        if (!p || raw.has(p)) continue;
        raw.set(p, { value: d.shared, text: `${as} the related decision ${quote(d.statement, 60)} (${d.id}, ${day(d.decidedAt)})` });
      }
    }
    addEvidence('relatedDecisions', raw);
  }

  // what the subject itself names: the owner and decider decide, the asked and assigned are consulted
  for (const { personId, as } of subject.named) {
    const c = candidate(personId);
    c.named = c.named && rank(c.named) <= rank(as) ? c.named : as;
    c.parts.set('named', 1);
    c.reasons.push({ evidence: 'named', strength: 2, text: namedReason(as, subject) });
  }

  return candidates;
}

export async function resolveStakeholders(reads: RoutingReads, subject: RoutingSubject, config: RoutingConfig = routingConfig): Promise<StakeholderResolution> {
  const asker = subject.askerId;
  const at = subject.occurredAt;
  const candidates = await gatherEvidence(reads, subject, config);

  // one step along the co-involvement graph: who is usually on the same messages as the strongest candidates
  for (const c of candidates.values()) c.score = weighted(c, config);
  if (config.weights.coInvolved) await coInvolvedStep(reads.graph, candidates, asker, config, at);

  candidates.delete(asker);
  const directory = await reads.history.directory([...candidates.keys(), ...subject.named.map((x) => x.personId)]);
  const managers = await reads.history.directory(addManagers(candidates, directory, subject, config));
  for (const [id, entry] of managers) directory.set(id, entry);

  const considered = candidates.size;
  const optedIn = [...candidates.values()].filter((c) => directory.get(c.personId)?.optedIn === true);
  const top = Math.max(0, ...optedIn.map((c) => c.score));
  const kept = optedIn.filter((c) => c.named || (top > 0 && c.score >= config.minRelativeScore * top));
  kept.sort((a, b) => b.score - a.score || (a.personId < b.personId ? -1 : 1));

  const perRole: Record<StakeholderRole, number> = { decide: 0, consult: 0, inform: 0 };
  const stakeholders: Stakeholder[] = [];
  for (const c of kept) {
    // a full role passes its next candidate down (decide → consult → inform): the strongest are never dropped for weaker ones
    const role = ROLES.slice(ROLES.indexOf(roleOf(c, top, config))).find((r) => perRole[r] < config.audience[r]);
    if (!role) continue;
    perRole[role] += 1;
    const maySeeSource = subject.access.length === 0 || subject.access.includes(c.personId);
    stakeholders.push({
      personId: c.personId,
      name: directory.get(c.personId)?.name ?? c.personId,
      role,
      score: top > 0 ? Math.min(1, c.score / top) : 1,
      reasons: [...c.reasons].sort((a, b) => b.strength - a.strength).slice(0, 3).map((r) => r.text),
      maySeeSource,
      shareVia: maySeeSource ? [] : shareVia(subject),
    });
  }
  return { stakeholders, considered };
}

/** each candidate's 0..1 strength for one kind of evidence; none when nobody has any of it */
function strengthsOf(raw: Map<string, { value: number }>, fusion: RoutingConfig['fusion']): Map<string, number> {
  const positive = [...raw].filter(([, v]) => v.value > 0).sort((a, b) => b[1].value - a[1].value || (a[0] < b[0] ? -1 : 1));
  if (positive.length === 0) return new Map();
  if (fusion.method === 'max') return new Map(positive.map(([p, v]) => [p, v.value / positive[0]![1].value]));
  // ties share the rank of the first of them, so the order of equal evidence does not matter
  const out = new Map<string, number>();
  let rank = 1;
  positive.forEach(([p, v], i) => {
    if (i > 0 && v.value < positive[i - 1]![1].value) rank = i + 1;
    out.set(p, (fusion.k + 1) / (fusion.k + rank));
  });
  return out;
}

function recentPart(e: Edge, config: RoutingConfig): string {
  if (e.recent === e.count) return e.count === 1 ? ` in the last ${config.recentDays} days` : `, all in the last ${config.recentDays} days`;
  if (e.recent > 0) return `, ${e.recent} in the last ${config.recentDays} days`;
  return `, last on ${day(e.last)}`;
}

function edgeEvidence(edges: readonly Edge[], text: (e: Edge) => string): Map<string, { value: number; text: string }> {
  return new Map(edges.map((e) => [e.personId, { value: e.weight, text: text(e) }]));
}

function weighted(c: EvidenceCandidate, config: RoutingConfig): number {
  let s = 0;
  for (const [kind, v] of c.parts) {
    if (kind === 'named') s += 2 * v;
    else if (kind === 'org') s += v;
    else s += config.weights[kind] * v;
  }
  return s;
}

const ROLES: readonly StakeholderRole[] = ['decide', 'consult', 'inform'];
const NAMED_ORDER = ['decider', 'owner', 'asked', 'assignee', 'mentioned'] as const;
const rank = (as: (typeof NAMED_ORDER)[number]) => NAMED_ORDER.indexOf(as);

function namedReason(as: (typeof NAMED_ORDER)[number], subject: RoutingSubject): string {
  const what = subject.kind === 'text' ? 'this' : `${subject.kind} ${subject.id ?? ''}`.trim();
  switch (as) {
    case 'owner':
      return `owns the follow-up of ${what}`;
    case 'decider':
      return `made ${what}`;
    case 'assignee':
      return `is assigned ${what}`;
    case 'asked':
      return `was asked in ${what}`;
    case 'mentioned':
      return `is named in ${what}`;
  }
}

function roleOf(c: EvidenceCandidate, top: number, config: RoutingConfig): StakeholderRole {
  if (c.named === 'owner' || c.named === 'decider') return 'decide';
  if (c.named === 'asked' || c.named === 'assignee') return 'consult';
  if (c.inConversation || (c.parts.get('relatedDecisions') ?? 0) > 0.5) return 'consult';
  if (top > 0 && c.score >= config.consultShare * top) return 'consult';
  return 'inform';
}

function shareVia(subject: RoutingSubject): string[] {
  const owners = subject.named.filter((n) => n.as === 'owner' || n.as === 'decider').map((n) => n.personId);
  const can = [subject.askerId, ...owners].filter((p) => subject.access.includes(p));
  return [...new Set(can.length > 0 ? can : subject.access.slice(0, 1))];
}

/** the manager of the owner hears of it (inform), unless they are already in with a stronger role; returns the managers */
function addManagers(candidates: Map<string, EvidenceCandidate>, directory: Map<string, DirectoryEntry>, subject: RoutingSubject, config: RoutingConfig): string[] {
  const added: string[] = [];
  const top = Math.max(0, ...[...candidates.values()].map((c) => c.score));
  for (const { personId, as } of subject.named) {
    if (as !== 'owner') continue;
    const managerId = directory.get(personId)?.managerId;
    if (!managerId || managerId === subject.askerId) continue;
    const c: EvidenceCandidate = candidates.get(managerId) ?? { personId: managerId, parts: new Map(), reasons: [], inConversation: false, score: 0 };
    c.reasons.push({ evidence: 'org', strength: 1, text: `manager of the owner, ${directory.get(personId)?.name ?? personId}` });
    c.score = Math.max(c.score, config.minRelativeScore * 10 * top, 0.3);
    candidates.set(managerId, c);
    added.push(managerId);
  }
  return added;
}

async function coInvolvedStep(graphStore: CoordinationGraph, candidates: Map<string, EvidenceCandidate>, asker: string, config: RoutingConfig, at: Date): Promise<void> {
  const ranked = [...candidates.values()].filter((c) => c.personId !== asker).sort((a, b) => b.score - a.score);
  const seeds = ranked.slice(0, config.coInvolvedSeeds);
  const pool = ranked.slice(0, 60).map((c) => c.personId);
  const pairs = await graphStore.coInvolvement(pool, { at, horizonDays: config.horizonDays });
  const graph = new Graph({ type: 'undirected', multi: false });
  for (const id of pool) graph.addNode(id);
  for (const { a, b, count } of pairs) graph.mergeEdge(a, b, { count });
  const spread = new Map<string, { value: number; via: string }>();
  for (const seed of seeds) {
    const total = graph.reduceEdges(seed.personId, (sum, _e, attrs) => sum + (attrs.count as number), 0);
    if (total === 0) continue;
    graph.forEachNeighbor(seed.personId, (neighbour) => {
      const count = graph.getEdgeAttribute(seed.personId, neighbour, 'count') as number;
      const value = seed.score * (count / total);
      const s = spread.get(neighbour);
      if (!s || value > s.value) spread.set(neighbour, { value: (s?.value ?? 0) + value, via: seed.personId });
      else s.value += value;
    });
  }
  const max = Math.max(0, ...[...spread.values()].map((s) => s.value));
  for (const [personId, s] of spread) {
    const c = candidates.get(personId);
    if (!c || max <= 0) continue;
    const strength = s.value / max;
    c.parts.set('coInvolved', strength);
    c.reasons.push({ evidence: 'coInvolved', strength, text: `usually on the same messages as ${s.via}` });
    c.score += config.weights.coInvolved * strength;
  }
}
