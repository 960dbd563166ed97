/**
 * MemoryStore.searchHybridEach (a brief per attendee): one shared read for several viewers must answer each of them
 * exactly what their own search answers — nothing anyone in a view may not see, nothing missing when the shared pool
 * holds too few of a view's hits — on PGlite and PostgreSQL with the vector index each really gets.
 */
import { describe, expect, it, vi } from 'vitest';
import { relatedSearchFor } from '../../activities/intelligence/meeting-context';
import type { Hit } from '../../activities/memory/ports';
import type { Item } from '../../schemas/entities';
import { DB_FLAVORS } from '../support/db';
import { useCorpusStore } from './corpus-store';
import { ANA, at, BEN, CY, item } from './fixtures';

const DEV = 'dev@acme.test';
const TOPICS = ['release checklist for the mobile app', 'budget review of the platform team', 'hiring plan and interview loop'];

/**
 * 240 items: Ana, Ben and Cy each see most of them; Dev sees only a few, all weak matches for "release", so a shared
 * pool for everyone is full of hits Dev may not see (Dev's view must be searched alone).
 */
const corpus: Item[] = Array.from({ length: 240 }, (_, i) => {
  const access = [ANA, BEN, CY].filter((_, k) => (i + k) % 4 !== 0);
  const weakForDev = i % 60 === 7;
  return item(`m${String(i).padStart(3, '0')}`, {
    body: weakForDev
      ? `notes ${i}: lunch menu, parking, and one word on the release`
      : `${TOPICS[i % TOPICS.length]} — update ${i}: ${TOPICS[(i * 7) % TOPICS.length]} ${i % 5 === 0 ? 'release release' : ''}`,
    access: weakForDev ? [DEV] : access.length > 0 ? access : [ANA],
    occurredAt: at(i),
  });
});
const accessOf = new Map(corpus.map((i) => [i.id, i.access]));

const strip = (hits: Hit[]) => hits.map((h) => `${h.itemId}#${h.position}`);

describe.each(DB_FLAVORS)('shared search for several viewers on %s', (flavor) => {
  const world = useCorpusStore(flavor, corpus);

  const views = [[ANA], [BEN], [CY], [DEV], [ANA, BEN]];

  it('answers every view what its own search answers, including a view the shared pool barely covers', async () => {
    for (const query of ['release checklist', 'budget review platform', 'interview loop hiring release']) {
      for (const limit of [5, 40]) {
        const shared = await world.store.searchHybridEach(query, { since: at(0), until: at(500) }, views, limit);
        expect(shared).toHaveLength(views.length);
        for (const [i, view] of views.entries()) {
          const alone = await world.store.searchHybrid(query, { visibleTo: view, since: at(0), until: at(500) }, limit);
          expect(strip(shared[i]!), `${query} for ${view.join('+')}`).toEqual(strip(alone));
          for (const h of shared[i]!) for (const p of view) expect(accessOf.get(h.itemId)).toContain(p);
        }
      }
    }
    // Dev's few items are really found (their own search was needed: the shared pool is full of others' hits)
    const [, , , dev] = await world.store.searchHybridEach('release', {}, views, 10);
    expect(dev!.length).toBeGreaterThan(0);
    expect(dev!.every((h) => accessOf.get(h.itemId)!.includes(DEV))).toBe(true);
  });

  it('a shared read ("any") finds items any viewer may see; the default still needs all of them', async () => {
    const any = await world.store.searchText('lunch menu parking', { visibleTo: [DEV, ANA], visibleToMatch: 'any' }, 50);
    const all = await world.store.searchText('lunch menu parking', { visibleTo: [DEV, ANA] }, 50);
    expect(any.length).toBeGreaterThan(0);
    expect(all).toEqual([]);
  });

  it('relatedSearchFor answers its views from one shared read, and any other view alone', async () => {
    const search = relatedSearchFor(world.store, [[ANA], [DEV], [BEN]]);
    const filter = { kinds: ['message' as const], since: at(0), until: at(500) };
    for (const person of [ANA, DEV, BEN, CY]) {
      const got = await search('release checklist', { ...filter, visibleTo: [person] }, 40);
      expect(strip(got)).toEqual(strip(await world.store.searchHybrid('release checklist', { ...filter, visibleTo: [person] }, 40)));
    }
    const both = await search('release checklist', { ...filter, visibleTo: [ANA, BEN] }, 40);
    expect(strip(both)).toEqual(strip(await world.store.searchHybrid('release checklist', { ...filter, visibleTo: [ANA, BEN] }, 40)));
  });

  it('a view of several people (the shared brief beside each attendee\'s own) is answered from the same read', async () => {
    const search = relatedSearchFor(world.store, [[BEN, ANA], [ANA], [BEN]]);
    const filter = { kinds: ['message' as const], since: at(0), until: at(500) };
    const each = vi.spyOn(world.store, 'searchHybridEach');
    const alone = vi.spyOn(world.store, 'searchHybrid');
    try {
      for (const visibleTo of [[ANA, BEN], [ANA], [BEN]]) {
        const got = await search('release checklist', { ...filter, visibleTo }, 40);
        alone.mockClear();
        expect(strip(got), visibleTo.join('+')).toEqual(strip(await world.store.searchHybrid('release checklist', { ...filter, visibleTo }, 40)));
        for (const h of got) for (const p of visibleTo) expect(accessOf.get(h.itemId)).toContain(p);
      }
      expect(each).toHaveBeenCalledTimes(1);
    } finally {
      each.mockRestore();
      alone.mockRestore();
    }
  });
});
