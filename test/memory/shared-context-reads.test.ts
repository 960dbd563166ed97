/**
 * sharedContextReads (the reads behind every attendee's own brief of one meeting): each attendee must be answered
 * exactly what their own reads answer — nothing another attendee may see, nothing missing where the shared read was
 * cut before their rows were in it — while the store is read once for all of them. PGlite and PostgreSQL.
 */
import { describe, expect, it, vi, beforeAll } from 'vitest';
import { decisionJudge } from '../../activities/intelligence/decision-match';
import { contextReads, gatherMeetingContext } from '../../activities/intelligence/meeting-context';
import { sharedContextReads } from '../../activities/intelligence/shared-context-reads';
import { DecisionStore } from '../../activities/memory/decisions';
import type { Item } from '../../schemas/entities';
import { DB_FLAVORS } from '../support/db';
import { useCorpusStore } from './corpus-store';
import { ANA, at, BEN, CY, item, meeting, unit } from './fixtures';

const DEV = 'dev@acme.test';
const TOPICS = ['release checklist for the mobile app', 'budget review of the platform team', 'hiring plan and interview loop'];

/** 240 items in 30 threads: Ana, Ben and Cy see most; Dev only every 60th, all old — the newest rows are others'. */
const corpus: Item[] = Array.from({ length: 240 }, (_, i) => {
  const access = [ANA, BEN, CY].filter((_, k) => (i + k) % 4 !== 0);
  const forDev = i % 60 === 7;
  return item(`m${String(i).padStart(3, '0')}`, {
    body: `${TOPICS[i % TOPICS.length]} — update ${i}: what we still need to settle before the release of the next version`,
    access: forDev ? [DEV, ANA] : access.length > 0 ? access : [ANA],
    authorId: [ANA, BEN, CY][i % 3]!,
    threadId: `t${i % 30}`,
    occurredAt: at(i),
  });
});
const accessOf = new Map(corpus.map((i) => [i.id, i.access]));
const VIEWERS = [ANA, BEN, CY, DEV];
const series = meeting('weekly-2', { title: 'Release checklist weekly', description: 'release checklist, mobile app', seriesId: 'weekly', startsAt: at(260), endsAt: at(261), attendeeIds: VIEWERS });
const earlier = meeting('weekly-1', { title: 'Release checklist weekly', seriesId: 'weekly', startsAt: at(100), endsAt: at(101), attendeeIds: VIEWERS });

describe.each(DB_FLAVORS)('shared context reads on %s', (flavor) => {
  const world = useCorpusStore(flavor, corpus);
  let decisions: DecisionStore;
  beforeAll(async () => {
    await world.store.storeUnit('src', unit('calendar.ics', { meetings: [earlier, series] }));
    decisions = new DecisionStore({ db: world.db, judge: decisionJudge });
  });

  it('answers each viewer their own window of items, read once for all while it holds enough of theirs', async () => {
    const filter = { since: at(0), until: at(500) };
    for (const limit of [500, 20]) {
      const shared = sharedContextReads(world.store, decisions, VIEWERS.map((v) => [v]));
      const spy = vi.spyOn(world.store, 'findItemRefs');
      try {
        for (const viewer of VIEWERS) {
          const alone = await world.store.findItemRefs({ ...filter, visibleTo: [viewer] }, limit);
          expect(alone.length, `${viewer} sees something`).toBeGreaterThan(0);
          spy.mockClear();
          const mine = await shared.findItemRefs({ ...filter, visibleTo: [viewer] }, limit);
          expect(mine, `${viewer} at limit ${limit}`).toEqual(alone);
          for (const ref of mine) expect(accessOf.get(ref.id)).toContain(viewer);
          // read alone only where the shared read was cut before the viewer's rows were in it: Dev's few old items at 20
          expect(spy.mock.calls.length, `${viewer} at limit ${limit} read alone`).toBe(limit === 20 && viewer === DEV ? 1 : 0);
        }
      } finally {
        spy.mockRestore();
      }
    }
  });

  it('builds every attendee the context their own reads build, reading the window and each item once', async () => {
    const now = at(259);
    const windows = vi.spyOn(world.store, 'findItemViewRefs');
    const items = vi.spyOn(world.store, 'getItems');
    const idsFetched = () => items.mock.calls.flatMap(([ids]) => ids);
    try {
      const own = new Map<string, Awaited<ReturnType<typeof gatherMeetingContext>>>();
      for (const viewer of VIEWERS) own.set(viewer, await gatherMeetingContext(contextReads(world.store, decisions), series, now, undefined, [viewer]));
      const ownFetched = idsFetched();
      items.mockClear();

      const shared = sharedContextReads(world.store, decisions, VIEWERS.map((v) => [v]));
      for (const viewer of VIEWERS) {
        const fromShared = await gatherMeetingContext(shared, series, now, undefined, [viewer]);
        expect(fromShared, viewer).toEqual(own.get(viewer));
        expect(fromShared.previous?.id).toBe(earlier.id);
        const cited = [...fromShared.missed, ...fromShared.related].map((e) => e.item);
        expect(cited.length, `${viewer}'s brief cites something`).toBeGreaterThan(0);
        for (const i of cited) expect(i.access).toContain(viewer);
      }
      expect(windows).toHaveBeenCalledTimes(1);
      // the attendees' briefs cite many of the same items: fetched once, not once per brief
      const sharedFetched = idsFetched();
      expect(new Set(sharedFetched).size).toBe(sharedFetched.length);
      expect(sharedFetched.length).toBeLessThan(ownFetched.length);
    } finally {
      windows.mockRestore();
      items.mockRestore();
    }
  });

  it('answers the shared brief (all attendees at once) beside each one\'s own from the same reads', async () => {
    const now = at(259);
    const group = [ANA, BEN, CY];
    const shared = sharedContextReads(world.store, decisions, [group, ...group.map((v) => [v])]);
    const windows = vi.spyOn(world.store, 'findItemViewRefs');
    try {
      const together = await gatherMeetingContext(shared, { ...series, attendeeIds: group }, now);
      expect(together).toEqual(await gatherMeetingContext(contextReads(world.store, decisions), { ...series, attendeeIds: group }, now));
      for (const e of [...together.missed, ...together.related]) for (const p of group) expect(e.item.access).toContain(p);
      for (const viewer of group) {
        expect(await gatherMeetingContext(shared, series, now, undefined, [viewer])).toEqual(
          await gatherMeetingContext(contextReads(world.store, decisions), series, now, undefined, [viewer]),
        );
      }
      expect(windows).toHaveBeenCalledTimes(1);
    } finally {
      windows.mockRestore();
    }
  });

  it('reads anyone who is not one of its attendees, or several viewers at once, as the store does', async () => {
    const shared = sharedContextReads(world.store, decisions, [[ANA], [BEN]]);
    const filter = { since: at(0), until: at(500) };
    for (const visibleTo of [[CY], [ANA, BEN], [DEV]]) {
      expect(await shared.findItemRefs({ ...filter, visibleTo }, 50)).toEqual(await world.store.findItemRefs({ ...filter, visibleTo }, 50));
    }
  });
});
