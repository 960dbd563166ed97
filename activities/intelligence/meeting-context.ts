/**
 * Gathers what a meeting's attendees should know, on behalf of all of them at once: every read is
 * filtered to items that each recipient may see.
 */
import type { Item, Meeting, PersonId } from '../../schemas/entities';
import type { DecisionStore } from '../memory/decisions';
import type { Hit, RetrievalFilter } from '../memory/ports';
import type { ItemRef, MemoryStore } from '../memory/store';
import type { Evidence, MeetingContext } from './brief';

/**
 * The reads a meeting's context is gathered from: the stores' own (contextReads), or one read shared by every
 * attendee's brief and split per attendee (shared-context-reads.ts). Each is filtered by `visibleTo` as the store's is.
 */
export interface MeetingContextReads {
  previousInSeries: MemoryStore['previousInSeries'];
  listMeetings: MemoryStore['listMeetings'];
  findItemRefs: MemoryStore['findItemRefs'];
  getItems: MemoryStore['getItems'];
  listDecisions: DecisionStore['listDecisions'];
  listActions: DecisionStore['listActions'];
  listQuestions: DecisionStore['listQuestions'];
  /** how the meeting's related messages are searched */
  searchRelated: RelatedSearch;
}

/** The stores' own reads, each made as asked. */
export function contextReads(store: MemoryStore, decisions: DecisionStore): MeetingContextReads {
  return {
    previousInSeries: (meeting) => store.previousInSeries(meeting),
    listMeetings: (opts) => store.listMeetings(opts),
    findItemRefs: (filter, limit) => store.findItemRefs(filter, limit),
    getItems: (ids) => store.getItems(ids),
    listDecisions: (opts) => decisions.listDecisions(opts),
    listActions: (opts) => decisions.listActions(opts),
    listQuestions: (opts) => decisions.listQuestions(opts),
    searchRelated: (query, filter, limit) => store.searchHybrid(query, filter, limit),
  };
}

export interface ContextLimits {
  /** how far back threads, questions, decisions and missed messages are looked for */
  lookbackDays: number;
  maxOpenDecisions: number;
  maxSeriesDecisions: number;
  maxOverdueActions: number;
  maxUnanswered: number;
  maxMissed: number;
  maxRelated: number;
}

export const defaultContextLimits: ContextLimits = {
  lookbackDays: 21,
  maxOpenDecisions: 5,
  maxSeriesDecisions: 4,
  maxOverdueActions: 5,
  maxUnanswered: 4,
  maxMissed: 2,
  maxRelated: 5,
};

const DAY_MS = 86_400_000;

export async function gatherMeetingContext(
  reads: MeetingContextReads,
  meeting: Meeting,
  now: Date,
  limits: ContextLimits = defaultContextLimits,
  /** whose eyes the context is gathered for; default every attendee (a per-recipient brief names one) */
  viewers?: readonly string[],
): Promise<MeetingContext> {

  const recipients = [...meeting.attendeeIds].sort();
  const visibleTo = viewers ? [...viewers] : recipients;
  const empty: MeetingContext = { meeting, recipients, seriesDecisions: [], openDecisions: [], overdueActions: [], unanswered: [], missed: [], related: [] };
  const previous = await reads.previousInSeries(meeting);
  if (visibleTo.length === 0) return { ...empty, previous };

  const horizon = new Date(Math.min(now.getTime(), meeting.startsAt.getTime()));
  const lookbackStart = new Date(horizon.getTime() - limits.lookbackDays * DAY_MS);
  // Newest first; everything below reads this one permission-filtered window. Only who wrote what in which thread is
  // read of it (the items cited are read whole below): a window of a thousand items is no longer parsed per brief.
  const recent = await reads.findItemRefs({ visibleTo, since: lookbackStart, until: horizon }, 2000);
  const threads = groupByThread(recent);
  const threadOf = new Map(recent.map((i) => [i.id, i.threadId]));

  // From the decision log: what this series or these people decided and never followed up, what they
  // committed to and let slip, and what they were asked and never answered.
  const seriesMeetingIds = new Set(
    meeting.seriesId
      ? (await reads.listMeetings({ from: lookbackStart, to: meeting.startsAt }))
          .filter((m) => m.seriesId === meeting.seriesId && m.id !== meeting.id)
          .map((m) => m.id)
      : [],
  );
  const seriesItemIds = new Set(
    recent.filter((i) => i.threadId !== undefined && seriesMeetingIds.has(i.threadId)).map((i) => i.id),
  );
  const concernsUs = (ids: (string | null)[]) => ids.some((id) => id !== null && recipients.includes(id));
  const fromSeries = (sources: { itemId: string }[]) => sources.some((s) => seriesItemIds.has(s.itemId));

  const decided = await reads.listDecisions({ visibleTo, since: lookbackStart, limit: 200 });
  const open = decided
    .filter((d) => d.open && (fromSeries(d.sources) || concernsUs([d.deciderId, d.ownerId])))
    .sort((a, b) => a.decidedAt.getTime() - b.decidedAt.getTime())
    .slice(-limits.maxOpenDecisions);
  const followedUp = previous
    ? decided
        .filter((d) => d.followUps.length > 0 && d.sources.some((s) => threadOf.get(s.itemId) === previous.id))
        .slice(0, limits.maxSeriesDecisions)
    : [];
  const overdue = (await reads.listActions({ visibleTo, open: true, overdueAt: horizon, limit: 200 }))
    .filter((a) => a.ownerId !== null && recipients.includes(a.ownerId))
    .slice(0, limits.maxOverdueActions);
  const questions = (await reads.listQuestions({ visibleTo, unanswered: true, askedOf: recipients, since: lookbackStart, limit: 50 }))
    .sort((a, b) => b.askedAt.getTime() - a.askedAt.getTime())
    .slice(0, limits.maxUnanswered);

  const logItems = new Map(
    (
      await reads.getItems([
        ...new Set(
          [...open, ...followedUp, ...overdue, ...questions].flatMap((x) => x.sources.map((s) => s.itemId)).concat(
            followedUp.flatMap((d) => d.followUps.map((f) => f.itemId)),
          ),
        ),
      ])
    ).map((i) => [i.id, i]),
  );
  const evidenceOf = (sources: { itemId: string; position: number; quote: string }[]): Evidence | undefined => {
    // the fullest statement among the sources, not the "Agreed." that settled it
    for (const source of [...sources].sort((a, b) => b.quote.length - a.quote.length)) {
      const item = logItems.get(source.itemId);
      if (item) return { item, position: item.segments.length > 0 ? source.position : undefined, quote: source.quote };
    }
    return undefined;
  };

  const openDecisions: MeetingContext['openDecisions'] = open.flatMap((d) => {
    const evidence = evidenceOf(d.sources);
    return evidence ? [{ evidence, madeAt: d.decidedAt }] : [];
  });
  const seriesDecisions: MeetingContext['seriesDecisions'] = followedUp.flatMap((d) => {
    const evidence = evidenceOf(d.sources);
    const followUp = evidenceOf(d.followUps.slice(0, 1));
    return evidence && followUp ? [{ evidence, followUp }] : [];
  });
  const overdueActions: MeetingContext['overdueActions'] = overdue.flatMap((a) => {
    const evidence = evidenceOf(a.sources);
    return evidence && a.ownerId && a.dueAt ? [{ evidence, ownerId: a.ownerId, what: a.what, dueAt: a.dueAt }] : [];
  });
  const unanswered: MeetingContext['unanswered'] = questions.flatMap((q) => {
    const evidence = evidenceOf(q.sources.slice(0, 1));
    return evidence ? [{ evidence, askedOf: q.askedOfIds.filter((p) => recipients.includes(p)) }] : [];
  });
  const used = new Set(
    [...openDecisions, ...seriesDecisions, ...overdueActions, ...unanswered].map((x) => `${x.evidence.item.id}#${x.evidence.position ?? ''}`),
  );

  // What is relevant to the meeting's subject: messages nobody answered first, then related threads.
  const topic = [meeting.title, meeting.description].join('\n');
  const hits = await reads.searchRelated(topic, { visibleTo, kinds: ['message', 'email', 'doc'], since: lookbackStart, until: horizon }, 40);
  const hitItems = new Map((await reads.getItems([...new Set(hits.map((h) => h.itemId))])).map((i) => [i.id, i]));
  const missed: Evidence[] = [];
  const related: Evidence[] = [];
  const threadsSeen = new Set([...used].map((key) => key.split('#')[0]));
  for (const hit of hits) {
    const item = hitItems.get(hit.itemId);
    if (!item) continue;
    const key = threadKey(item);
    if (threadsSeen.has(key) || threadsSeen.has(item.id)) continue;
    threadsSeen.add(key);
    const segment = item.segments.find((s) => s.position === hit.position);
    const evidence: Evidence = { item, position: segment ? hit.position : undefined, quote: segment?.text ?? item.body };
    const conversation = threads.get(key) ?? [item];
    const nobodyElseReplied = conversation.every((other) => other.authorId === item.authorId);
    if (nobodyElseReplied && isWorthReading(item) && missed.length < limits.maxMissed) missed.push(evidence);
    else if (related.length < limits.maxRelated) related.push(evidence);
  }

  return { meeting, recipients, previous, seriesDecisions, openDecisions, overdueActions, unanswered, missed, related };
}

export type RelatedSearch = (query: string, filter: RetrievalFilter, limit: number) => Promise<Hit[]>;

/**
 * The related-messages search for several views of one meeting (each attendee's own brief, and the shared brief for
 * all of them together): the first search reads once for all of them (MemoryStore.searchHybridEach) and each view's
 * search is answered from it — the same hits its own search finds. A view is one person, or several who must all
 * may see a hit. A search for any other view, or for another query, searches alone.
 */
export function relatedSearchFor(
  store: MemoryStore,
  views: readonly (readonly PersonId[])[],
  /** told the items the shared read found for all the views together, once it has them (to read them in one go) */
  onShared?: (itemIds: string[]) => void,
): RelatedSearch {
  const known = new Map<string, PersonId[]>();
  for (const view of views) known.set(viewKey(view), [...view]);
  const keys = [...known.keys()];
  let shared: { key: string; hits: Promise<Hit[][]> } | undefined;
  return async (query, filter, limit) => {
    const { visibleTo, visibleToMatch, ...rest } = filter;
    const view = visibleToMatch === 'any' ? -1 : keys.indexOf(viewKey(visibleTo));
    if (view < 0) return store.searchHybrid(query, filter, limit);
    const key = JSON.stringify([query, rest, limit]);
    if (shared?.key !== key) {
      const hits = store.searchHybridEach(query, rest, [...known.values()], limit);
      shared = { key, hits };
      if (onShared) void hits.then((each) => onShared([...new Set(each.flat().map((h) => h.itemId))]), () => undefined);
    }
    return (await shared.hits)[view]!;
  };
}

/** who a view is, whatever the order or case its people are named in */
export function viewKey(people: readonly PersonId[]): string {
  return [...new Set(people.map((p) => p.trim().toLowerCase()))].sort().join('\n');
}

function threadKey(item: Pick<Item, 'id' | 'threadId'>): string {
  return item.threadId ?? item.id;
}

function groupByThread(items: ItemRef[]): Map<string, ItemRef[]> {
  const threads = new Map<string, ItemRef[]>();
  for (const item of items) {
    const key = threadKey(item);
    const thread = threads.get(key);
    if (thread) thread.push(item);
    else threads.set(key, [item]);
  }
  return threads;
}

/** a one-liner like "thanks!" is not "the message everyone missed" */
function isWorthReading(item: Item): boolean {
  return item.body.split(/\s+/).filter(Boolean).length >= 12;
}

/** Everyone a brief may name: the authors and speakers of its evidence, the people asked, the owners of what slipped. */
export function collectAuthors(context: MeetingContext): PersonId[] {
  const evidence = [
    ...context.seriesDecisions.flatMap((d) => [d.evidence, d.followUp]),
    ...context.openDecisions.map((d) => d.evidence),
    ...context.overdueActions.map((a) => a.evidence),
    ...context.unanswered.map((u) => u.evidence),
    ...context.missed,
    ...context.related,
  ];
  const ids = new Set<PersonId>();
  for (const e of evidence) {
    if (e.item.authorId) ids.add(e.item.authorId);
    for (const s of e.item.segments) if (s.speakerId) ids.add(s.speakerId);
  }
  for (const u of context.unanswered) u.askedOf.forEach((p) => ids.add(p));
  for (const a of context.overdueActions) ids.add(a.ownerId);
  return [...ids];
}
