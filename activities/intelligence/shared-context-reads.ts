/**
 * The reads behind several views of one meeting — each attendee's own brief, and the shared brief for all of them
 * together (a view is one person, or several who must all may see what it holds) — made once for all of them:
 * - the window of recent items is read for anyone of the views' people (as many rows as the views' own reads return
 *   together, at most), with each item's access list, and each view is answered with the items all its people may
 *   see, in the store's order, cut at its limit: the rows its own read returns. Where the shared read was cut at its
 *   limit before a view's rows were all in it, that view is read alone;
 * - the related-messages search is one search split per view (relatedSearchFor), and the items its hits are in are
 *   read at once for all the views;
 * - reads by id or by the meeting (items, the series) are made once and kept for the others;
 * - the decision log's lists the same way (DecisionStore's list…Each).
 * Any other view is read as the store reads it.
 */
import type { Item, Meeting, PersonId } from '../../schemas/entities';
import type { DecisionStore } from '../memory/decisions';
import { visibleToOf } from '../memory/filters';
import type { RetrievalFilter } from '../memory/ports';
import type { ItemRef, ItemViewRef, MemoryStore } from '../memory/store';
import { contextReads, relatedSearchFor, viewKey, type MeetingContextReads } from './meeting-context';

export function sharedContextReads(store: MemoryStore, decisions: DecisionStore, views: readonly (readonly PersonId[])[]): MeetingContextReads {
  const alone = contextReads(store, decisions);
  const known = new Set(views.filter((v) => v.length > 0).map(viewKey));
  /** the people of the view a filter is for, when it is one of ours */
  const viewOf = (filter: RetrievalFilter): string[] | undefined => {
    if (filter.visibleToMatch === 'any') return undefined;
    const people = visibleToOf(filter);
    return known.has(viewKey(people)) ? people : undefined;
  };

  const viewList = [...known.keys()];
  const viewPeople = viewList.map((key) => key.split('\n'));
  const windows = new Map<string, Promise<{ rows: ItemViewRef[]; complete: boolean }>>();
  const findItemRefs: MeetingContextReads['findItemRefs'] = async (filter, limit) => {
    const view = viewOf(filter);
    if (view === undefined || limit <= 0) return alone.findItemRefs(filter, limit);
    const { visibleTo: _one, visibleToMatch: _match, ...rest } = filter;
    const key = JSON.stringify([rest, limit]);
    let shared = windows.get(key);
    if (!shared) {
      // as many rows as the views' own reads return together at most: rarely cut, and never more to read than they
      const sharedLimit = limit * viewList.length;
      shared = store.findItemViewRefs(rest, viewPeople, sharedLimit).then((rows) => ({ rows, complete: rows.length < sharedLimit }));
      windows.set(key, shared);
    }
    const { rows, complete } = await shared;
    const index = viewList.indexOf(viewKey(view));
    const mine = rows.filter((r) => r.seenBy[index] === true);
    // a cut shared read holds the newest of the view's rows; only if it holds enough of them is it its answer
    if (!complete && mine.length < limit) return alone.findItemRefs(filter, limit);
    return mine.slice(0, limit).map(({ id, threadId, authorId }): ItemRef => ({ id, threadId, authorId }));
  };

  const items = new Map<string, Promise<Item | undefined>>();
  const getItems: MeetingContextReads['getItems'] = async (ids) => {
    const wanted = [...new Set(ids)];
    const missing = wanted.filter((id) => !items.has(id));
    if (missing.length > 0) {
      const batch = store.getItems(missing).then((found) => new Map(found.map((i) => [i.id, i])));
      for (const id of missing) items.set(id, batch.then((found) => found.get(id)));
    }
    return (await Promise.all(wanted.map((id) => items.get(id)!))).filter((i): i is Item => i !== undefined);
  };

  /** A decision-log list for one of the views, cut from one read for all of them (read alone where that cannot answer). */
  function logList<O extends { visibleTo: PersonId[] }, R>(
    ownRead: (opts: O) => Promise<R[]>,
    eachRead: (opts: Omit<O, 'visibleTo'>, views: string[][]) => Promise<(R[] | undefined)[]>,
  ): (opts: O) => Promise<R[]> {
    const reads = new Map<string, Promise<(R[] | undefined)[]>>();
    return async (opts) => {
      const view = viewOf({ visibleTo: opts.visibleTo });
      if (view === undefined) return ownRead(opts);
      const { visibleTo: _one, ...rest } = opts;
      const key = JSON.stringify(rest);
      if (!reads.has(key)) reads.set(key, eachRead(rest, viewPeople));
      return (await reads.get(key)!)[viewList.indexOf(viewKey(view))] ?? ownRead(opts);
    };
  }

  const byMeeting = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!byMeeting.has(key)) byMeeting.set(key, read());
    return byMeeting.get(key) as Promise<T>;
  };

  return {
    ...alone,
    previousInSeries: (meeting: Pick<Meeting, 'id' | 'seriesId' | 'startsAt'>) =>
      once(JSON.stringify(['previous', meeting.id, meeting.seriesId, meeting.startsAt]), () => store.previousInSeries(meeting)),
    listMeetings: (opts = {}) => once(JSON.stringify(['meetings', opts]), () => store.listMeetings(opts)),
    findItemRefs,
    getItems,
    listDecisions: logList((opts) => decisions.listDecisions(opts), (opts, each) => decisions.listDecisionsEach(opts, each)),
    listActions: logList((opts) => decisions.listActions(opts), (opts, each) => decisions.listActionsEach(opts, each)),
    listQuestions: logList((opts) => decisions.listQuestions(opts), (opts, each) => decisions.listQuestionsEach(opts, each)),
    // every view's brief reads the items its hits are in: read those of all the views at once
    searchRelated: relatedSearchFor(store, views, (ids) => void getItems(ids).catch(() => undefined)),
  };
}
