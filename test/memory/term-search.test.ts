/**
 * IDF-weighted term search (MemoryStore.searchWeightedTerms), on PGlite and PostgreSQL: a rare shared word decides
 * over a common one, the caller's weights count, long items are damped, words in most chunks are left out, and a hit
 * only ever goes to people on its access list.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TERM_SEARCH } from '../../activities/memory/term-search';
import type { Item } from '../../schemas/entities';
import { DB_FLAVORS } from '../support/db';
import { useCorpusStore } from './corpus-store';
import { ANA, at, BEN, CY, item } from './fixtures';

// "patch" is on every item; "gqspi" on one only; "clock" on two
const corpus: Item[] = [
  item('rare', { body: 'patch: zynqmp gqspi fix the build', access: [ANA, BEN], occurredAt: at(1) }),
  // sent to Ben; the other clock item names only its author as recipient, the rest none
  item('clock-1', { body: 'patch: clock rate for the controller', access: [ANA, BEN, CY], recipients: [BEN], occurredAt: at(2) }),
  item('clock-2', { body: 'patch: clock gating on suspend', access: [ANA, BEN, CY], recipients: [ANA], occurredAt: at(3) }),
  item('common-1', { body: 'patch: typo in a comment', access: [ANA, BEN, CY], occurredAt: at(4) }),
  item('common-2', { body: 'patch: whitespace', access: [ANA, BEN, CY], occurredAt: at(5) }),
  item('private', { body: 'patch: gqspi secret board bring-up', access: [CY], occurredAt: at(6) }),
  item('long-clock', { body: `patch: clock ${'unrelated words about many other things '.repeat(25)}`, access: [ANA, BEN, CY], occurredAt: at(7) }),
];

describe.each(DB_FLAVORS)('searchWeightedTerms on %s', (flavor) => {
  const world = useCorpusStore(flavor, corpus);

  it('ranks the item sharing the rare word above those sharing only common ones', async () => {
    const hits = await world.store.searchWeightedTerms([{ word: 'patch', weight: 3 }, { word: 'gqspi', weight: 1 }, { word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10);
    expect(hits[0]?.itemId).toBe(corpus[0]!.id);
    // the word on every chunk counts for nothing: items with only "patch" in common are not returned at all
    expect(hits.map((h) => h.itemId)).not.toContain(corpus[3]!.id);
  });

  it('weighs words by what the caller gives them', async () => {
    const heavyClock = await world.store.searchWeightedTerms([{ word: 'gqspi', weight: 1 }, { word: 'clock', weight: 10 }], { visibleTo: [ANA] }, 10);
    expect(heavyClock[0]?.itemId).not.toBe(corpus[0]!.id);
    expect([corpus[1]!.id, corpus[2]!.id]).toContain(heavyClock[0]?.itemId);
  });

  it('damps long items: a short item with the word ranks above a long one with it', async () => {
    const hits = await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10);
    const ids = hits.map((h) => h.itemId);
    expect(ids.indexOf(corpus[6]!.id)).toBeGreaterThan(ids.indexOf(corpus[1]!.id));
  });

  it('returns a hit only to people on its access list', async () => {
    const forAna = await world.store.searchWeightedTerms([{ word: 'gqspi', weight: 1 }], { visibleTo: [ANA] }, 10);
    expect(forAna.map((h) => h.itemId)).toEqual([corpus[0]!.id]);
    const forCy = await world.store.searchWeightedTerms([{ word: 'gqspi', weight: 1 }], { visibleTo: [CY] }, 10);
    expect(forCy.map((h) => h.itemId)).toEqual([corpus[5]!.id]);
  });

  it('leaves out words in more than the allowed share of chunks, however small the memory', async () => {
    const strict = { ...DEFAULT_TERM_SEARCH, maxDocShare: 0.3, minDocCap: 0 };
    // "clock" is on 3 of 7 items: above 30 %, so it no longer finds anything
    expect(await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10, {}, strict)).toEqual([]);
    expect((await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10)).length).toBe(3);
  });

  it('narrows to one author when asked', async () => {
    const all = await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10);
    expect(all.length).toBe(3);
    expect(await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10, { authorId: BEN })).toEqual([]);
    const byAna = await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10, { authorId: ANA });
    expect(byAna.map((h) => h.itemId).sort()).toEqual(all.map((h) => h.itemId).sort());
  });

  it('narrows to items that went to someone besides their author when asked', async () => {
    const addressed = await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10, { addressed: true });
    expect(addressed.map((h) => h.itemId)).toEqual([corpus[1]!.id]);
    const ownAddressed = await world.store.searchWeightedTerms([{ word: 'clock', weight: 1 }], { visibleTo: [ANA] }, 10, { authorId: ANA, addressed: true });
    expect(ownAddressed).toEqual(addressed);
  });

  it('answers several searches in one scan exactly as it answers each apart: hits, scores, scopes and limits', async () => {
    const opts = { ...DEFAULT_TERM_SEARCH, minDocCap: 4 }; // "patch" (on every chunk) is common here, as at scale
    const searches = [
      { terms: [{ word: 'clock', weight: 2 }, { word: 'gqspi', weight: 1 }, { word: 'patch', weight: 1 }], limit: 10 },
      { terms: [{ word: 'clock', weight: 2 }, { word: 'gqspi', weight: 1 }], limit: 10, scope: { authorId: BEN } },
      { terms: [{ word: 'clock', weight: 1 }, { word: 'controller', weight: 1 }], limit: 10, scope: { authorId: ANA, addressed: true } },
      { terms: [{ word: 'gating', weight: 1 }, { word: 'rate', weight: 3 }, { word: 'whitespace', weight: 1 }], limit: 2 },
      { terms: [], limit: 5 },
      { terms: [{ word: 'typo', weight: 1 }], limit: 0 },
    ];
    for (const visibleTo of [[ANA], [CY], [ANA, BEN]]) {
      const together = await world.store.searchWeightedTermsEach(searches, { visibleTo }, opts);
      expect(together).toHaveLength(searches.length);
      for (const [i, q] of searches.entries()) {
        expect(together[i], `search ${i} for ${visibleTo.join('+')}`).toEqual(await world.store.searchWeightedTerms(q.terms, { visibleTo }, q.limit, q.scope, opts));
      }
    }
    // the searches really differ (this is not one answer repeated)
    const [all, bens, addressed, subject] = await world.store.searchWeightedTermsEach(searches, { visibleTo: [ANA] }, opts);
    expect(all!.length).toBeGreaterThan(2);
    expect(addressed!.map((h) => h.itemId)).toEqual([corpus[1]!.id]);
    expect(subject).toHaveLength(2);
    expect(bens).toEqual([]); // Ben wrote none of them (the fixture's author is Ana)
  });

  it('answers nothing for no usable words, and stop words are not words', async () => {
    expect(await world.store.searchWeightedTerms([], { visibleTo: [ANA] }, 10)).toEqual([]);
    expect(await world.store.searchWeightedTerms([{ word: 'the', weight: 1 }], { visibleTo: [ANA] }, 10)).toEqual([]);
    expect(await world.store.searchWeightedTerms([{ word: 'gqspi', weight: 0 }], { visibleTo: [ANA] }, 10)).toEqual([]);
  });
});

// what an item says first decides: a word it repeats counts more (saturating), a word only in its tail (quoted
// history, a signature) counts for nothing
const paragraph = (words: string) => `${words} ${'filler text on nothing in particular, '.repeat(28)}`.trim();
const openingCorpus: Item[] = [
  item('repeats', { body: 'regulator regulator regulator: the regulator supply for the spi bus', access: [ANA], occurredAt: at(1) }),
  item('once', { body: 'regulator: the voltage supply for the spi bus, not this time', access: [ANA], occurredAt: at(2) }),
  item('late-word', { body: [paragraph('first'), paragraph('second'), paragraph('third'), paragraph('dmaengine at last')].join('\n\n'), access: [ANA], occurredAt: at(3) }),
  item('early-word', { body: [paragraph('dmaengine first'), paragraph('second'), paragraph('third'), paragraph('fourth')].join('\n\n'), access: [ANA], occurredAt: at(4) }),
  ...Array.from({ length: 6 }, (_, i) => item(`other-${i}`, { body: `unrelated note number ${i}`, access: [ANA], occurredAt: at(5 + i) })),
];

describe.each(DB_FLAVORS)('searchWeightedTerms reads openings on %s', (flavor) => {
  const world = useCorpusStore(flavor, openingCorpus);

  it('counts a word an item repeats more than one it uses once, and not at all when told to count it once', async () => {
    const [first, second] = await world.store.searchWeightedTerms([{ word: 'regulator', weight: 1 }], { visibleTo: [ANA] }, 10);
    expect(first?.itemId).toBe(openingCorpus[0]!.id);
    expect(second?.itemId).toBe(openingCorpus[1]!.id);
    // ts_rank's saturation: 4 uses weigh 1 + 1/4 + 1/9 + 1/16 ≈ 1.42 times one use (same length, damped alike)
    expect(first!.score / second!.score).toBeGreaterThan(1.3);
    expect(first!.score / second!.score).toBeLessThan(1.645);
    const binary = await world.store.searchWeightedTerms([{ word: 'regulator', weight: 1 }], { visibleTo: [ANA] }, 10, {}, { ...DEFAULT_TERM_SEARCH, termFrequency: 'binary' });
    expect(binary[0]!.score / binary[1]!.score).toBeCloseTo(1, 1);
  });

  it('reads only the first chunks of an item, unless told to read them all', async () => {
    const opening = await world.store.searchWeightedTerms([{ word: 'dmaengine', weight: 1 }], { visibleTo: [ANA] }, 10);
    expect(opening.map((h) => h.itemId)).toEqual([openingCorpus[3]!.id]);
    const whole = await world.store.searchWeightedTerms([{ word: 'dmaengine', weight: 1 }], { visibleTo: [ANA] }, 10, {}, { ...DEFAULT_TERM_SEARCH, openingChunks: null });
    expect(whole.map((h) => h.itemId).sort()).toEqual([openingCorpus[2]!.id, openingCorpus[3]!.id].sort());
  });
});
