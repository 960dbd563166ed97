/**
 * Retrieval through MemoryStore (full text, vector, hybrid) on PGlite and PostgreSQL, with the
 * vector index each one really gets. The invariant under test everywhere: a hit is only ever
 * returned to people who are ALL on its item's access list.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import type { Hit, RetrievalFilter } from '../../activities/memory/ports';
import { MemoryStore, searchWords } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import type { Item } from '../../schemas/entities';
import { DB_FLAVORS } from '../support/db';
import { useCorpusStore } from './corpus-store';
import { ANA, at, BEN, CY, item } from './fixtures';

const corpus: Item[] = [
  item('budget-ab', { body: 'The Q3 budget review moved to Friday', access: [ANA, BEN], occurredAt: at(1), threadId: 'fin' }),
  item('budget-a', { body: 'Budget numbers for the hiring plan are final', access: [ANA], occurredAt: at(2) }),
  item('hiring-bc', { body: 'Hiring plan for the platform team', access: [BEN, CY], occurredAt: at(3), kind: 'email' }),
  item('lunch', { body: 'Lunch order for Friday: pizza', access: [ANA, BEN, CY], occurredAt: at(4) }),
  item('both-words', { body: 'Platform budget: the platform team asks for more budget', access: [BEN], occurredAt: at(5) }),
  item('standup', {
    kind: 'transcript',
    body: 'standup',
    access: [ANA, BEN, CY],
    occurredAt: at(6),
    segments: [
      { position: 0, text: 'Yesterday I fixed the deploy script', speakerId: ANA },
      { position: 1, text: 'Today I review the budget spreadsheet', speakerId: BEN },
    ],
  }),
];
const accessOf = new Map(corpus.map((i) => [i.id, i.access]));

/** The access invariant, checked on every result set the tests see. */
function expectVisible(hits: Hit[], visibleTo: string[]): void {
  for (const hit of hits) {
    const access = accessOf.get(hit.itemId) ?? [];
    for (const person of visibleTo) expect(access, `${hit.itemId} returned to ${person}`).toContain(person);
  }
}

describe('searchWords', () => {
  it('keeps letters and digits only, lower-cased, and drops "or"', () => {
    expect(searchWords('Budget OR "hiring" -plan, Q3!')).toEqual(['budget', 'hiring', 'plan', 'q3']);
    expect(searchWords(' !! ')).toEqual([]);
  });
});

describe.each(DB_FLAVORS)('search on %s', (flavor) => {
  const world = useCorpusStore(flavor, corpus);

  const searches = {
    text: (q: string, f: RetrievalFilter, n: number) => world.store.searchText(q, f, n),
    vector: (q: string, f: RetrievalFilter, n: number) => world.store.searchVector(q, f, n),
    hybrid: (q: string, f: RetrievalFilter, n: number) => world.store.searchHybrid(q, f, n),
  };

  describe.each(Object.keys(searches) as (keyof typeof searches)[])('%s search', (kind) => {
    const search = (q: string, f: RetrievalFilter, n = 20) => searches[kind](q, f, n);

    it('never returns an item to someone outside its access list', async () => {
      for (const visibleTo of [[ANA], [BEN], [CY], [ANA, BEN], [BEN, CY], [ANA, CY], [ANA, BEN, CY]]) {
        for (const query of ['budget', 'hiring plan', 'friday lunch', 'platform team budget', 'deploy review']) {
          expectVisible(await search(query, { visibleTo }), visibleTo);
        }
      }
    });

    it('requires every visibleTo person to have access', async () => {
      const ids = (await search('budget hiring plan', { visibleTo: [ANA, BEN] })).map((h) => h.itemId);
      expect(ids).toContain('budget-ab');
      expect(ids).not.toContain('budget-a'); // Ana only
      expect(ids).not.toContain('hiring-bc'); // Ben and Cy
      expect(ids).not.toContain('both-words'); // Ben only
    });

    it('refuses a retrieval on behalf of nobody', async () => {
      await expect(search('budget', { visibleTo: [] })).rejects.toThrow(/visibleTo/);
    });

    it('applies kind, time, thread and item filters', async () => {
      const ids = async (f: Omit<RetrievalFilter, 'visibleTo'>) =>
        (await search('budget hiring plan platform friday', { visibleTo: [BEN], ...f })).map((h) => h.itemId);
      expect(new Set(await ids({ kinds: ['email'] }))).toEqual(new Set(['hiring-bc']));
      for (const id of await ids({ since: at(4), until: at(6) })) expect(['lunch', 'both-words']).toContain(id);
      expect(new Set(await ids({ threadId: 'fin' }))).toEqual(new Set(['budget-ab']));
      expect(new Set(await ids({ itemIds: ['lunch'] }))).toEqual(new Set(['lunch']));
    });

    it('points at transcript turns by position', async () => {
      const hits = await search('deploy script', { visibleTo: [CY], itemIds: ['standup'] }, 1);
      expect(hits[0]).toMatchObject({ itemId: 'standup', position: 0 });
    });

    it('honours the limit', async () => {
      expect(await search('budget', { visibleTo: [BEN] }, 2)).toHaveLength(2);
      expect(await search('budget', { visibleTo: [BEN] }, 0)).toEqual([]);
    });
  });

  describe('full text', () => {
    it('matches any of the words, ranking chunks with more of them first', async () => {
      const hits = await world.store.searchText('platform budget', { visibleTo: [BEN] }, 10);
      expect(hits[0]?.itemId).toBe('both-words');
      // partial matches still come back: "budget" only, "platform" only
      expect(hits.map((h) => h.itemId)).toEqual(expect.arrayContaining(['budget-ab', 'hiring-bc', 'standup']));
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    });

    it('stems English words and ignores query syntax characters', async () => {
      expect((await world.store.searchText('budgets', { visibleTo: [ANA] }, 10)).map((h) => h.itemId)).toContain('budget-a');
      expect((await world.store.searchText('"budget" -(review) & |', { visibleTo: [ANA] }, 10)).length).toBeGreaterThan(0);
      expect(await world.store.searchText('the of and', { visibleTo: [ANA] }, 10)).toEqual([]);
    });

    describe('in a memory large enough to have common words', () => {
      // 7 chunks; a word in 2 or more is common here (what 5 % of a million-chunk memory would be)
      let large: MemoryStore;
      beforeAll(async () => {
        const embedder = new LocalHashingEmbedder();
        const vectors = await chooseVectorIndex(world.db, embedder.dimensions, { info: () => undefined });
        large = new MemoryStore({ db: world.db, vectors, embedder, fullTextMatch: { maxDocShare: 0.25, minDocCap: 2 } });
      });
      const ids = (hits: Hit[]) => hits.map((h) => `${h.itemId}#${h.position}`);

      it('reads only chunks holding a rarer word: a common word ranks, it does not widen the match', async () => {
        // "budget" is in 4 chunks, "yesterday" in 1
        expect(ids(await large.searchText('budget yesterday', { visibleTo: [BEN] }, 10))).toEqual(['standup#0']);
        // the small-memory store reads every chunk with either word
        expect(ids(await world.store.searchText('budget yesterday', { visibleTo: [BEN] }, 10))).toEqual(
          expect.arrayContaining(['standup#0', 'standup#1', 'budget-ab#0', 'both-words#0']),
        );
      });

      it('reads chunks holding all the words when every word is common', async () => {
        // "budget" (4 chunks) and "friday" (2): only the budget review moved to Friday has both; the lunch order does not come back
        expect(ids(await large.searchText('budget Friday', { visibleTo: [BEN] }, 10))).toEqual(['budget-ab#0']);
        expect(ids(await world.store.searchText('budget Friday', { visibleTo: [BEN] }, 10))).toEqual(expect.arrayContaining(['budget-ab#0', 'lunch#0']));
      });

      it('still finds nothing for words no chunk holds, and keeps the access rule', async () => {
        expect(await large.searchText('the of and', { visibleTo: [ANA] }, 10)).toEqual([]);
        expect(await large.searchText('zebra quokka', { visibleTo: [ANA] }, 10)).toEqual([]);
        const hits = await large.searchText('budget numbers', { visibleTo: [BEN] }, 10);
        expect(hits.map((h) => h.itemId)).not.toContain('budget-a');
      });
    });
  });

  describe('vector and hybrid', () => {
    it('finds by word fragments what full text misses', async () => {
      const misspelt = 'budgett reviw';
      expect(await world.store.searchText(misspelt, { visibleTo: [ANA, BEN] }, 5)).toEqual([]);
      const vector = await world.store.searchVector(misspelt, { visibleTo: [ANA, BEN] }, 5);
      expect(vector[0]?.itemId).toBe('budget-ab');
      const hybrid = await world.store.searchHybrid(misspelt, { visibleTo: [ANA, BEN] }, 5);
      expect(hybrid[0]?.itemId).toBe('budget-ab');
    });

    it('fuses both rankings: an item found by both ranks above one found by one', async () => {
      const hybrid = await world.store.searchHybrid('hiring plan', { visibleTo: [ANA] }, 10);
      expect(hybrid[0]?.itemId).toBe('budget-a');
      expect(hybrid[0]?.score).toBeGreaterThan(1 / 61); // more than one list's best possible share
    });
  });
});
