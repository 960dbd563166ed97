/**
 * `ask` on the sample team: examples/acme ingested through the files connector (parseUnit +
 * storeUnit) into an in-memory PGlite, asked through answer().
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, type Passage, type Synthesizer } from '../../activities/intelligence/ask';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { openDb } from '../../activities/memory/db';
import { migrate } from '../../activities/memory/migrate';
import type { Db } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import type { Item } from '../../schemas/entities';
import { ingestFolder } from '../../clients/eval/files';

const ACME = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/acme');
const ANCHOR = new Date('2026-03-10T09:30:00Z');
const RELEASE_SYNC = 'transcripts/2026-02-24-mobile-release-sync.vtt';
const ALICE = 'alice@acme.test';
const INES = 'ines@acme.test'; // Head of Product: not an attendee of the release syncs

describe('ask on the sample team', () => {
  let db: Db;
  let store: MemoryStore;
  let items: Item[];
  let sync: Item;

  beforeAll(async () => {
    db = await openDb({});
    await migrate(db);
    const embedder = new LocalHashingEmbedder();
    store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions, { info: () => undefined }), embedder });
    ({ items } = await ingestFolder(store, ACME, 'acme', ANCHOR));
    const found = items.find((i) => i.externalId === RELEASE_SYNC);
    if (!found) throw new Error(`${RELEASE_SYNC} was not ingested`);
    sync = found;
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('"what did we decide about the rollback runbook?" cites the decision in the 24 Feb release sync', async () => {
    const a = await answer(store, { question: 'what did we decide about the rollback runbook?', visibleTo: [ALICE], k: 5 });
    expect(a.cited).toHaveLength(5);
    expect(a.citations.map((c) => c.marker)).toEqual([1, 2, 3, 4, 5]);
    const decision = a.citations.find((c) => c.itemId === sync.id && c.position === 20);
    expect(decision, JSON.stringify(a.citations, null, 2)).toBeDefined();
    expect(decision?.quote).toMatch(/^So the decision is: no store submission for 4\.2 without the rollback runbook/);
    // the top citation is in the runbook exchange (turns 17-20)
    expect(a.cited[0]?.itemId).toBe(sync.id);
    expect(a.cited[0]?.position).toBeGreaterThanOrEqual(17);
    expect(a.cited[0]?.position).toBeLessThanOrEqual(20);
    // the answer states the decision, citing it
    const stated = a.sentences.find((s) => s.text.startsWith('So the decision is'));
    expect(stated?.citations).toEqual([decision?.marker]);
    for (const s of a.sentences) for (const m of s.citations) expect(a.citations.some((c) => c.marker === m)).toBe(true);
  });

  it('never cites an item the asker may not see, even when it is the best match or in scope', async () => {
    expect(sync.access).not.toContain(INES);
    const question = 'what did we decide about the rollback runbook?';
    const open = await answer(store, { question, visibleTo: [INES], k: 10 });
    const byId = new Map(items.map((i) => [i.id, i]));
    for (const c of open.cited) expect(byId.get(c.itemId)?.access).toContain(INES);
    expect(open.cited.some((c) => c.itemId === sync.id)).toBe(false);

    const scoped = await answer(store, { question, visibleTo: [INES], scope: { itemIds: [sync.id] }, k: 10 });
    expect(scoped).toEqual({ sentences: [], citations: [], cited: [] });

    // on behalf of several people: only what ALL of them may see
    const both = await answer(store, { question, visibleTo: [ALICE, INES], k: 10 });
    for (const c of both.cited) expect(byId.get(c.itemId)?.access).toEqual(expect.arrayContaining([ALICE, INES]));
  });

  it('a scope keeps the answer inside the scoped item', async () => {
    const a = await answer(store, { question: 'who owns the runbook?', visibleTo: [ALICE], scope: { itemIds: [sync.id] }, k: 3 });
    expect(a.cited.length).toBeGreaterThan(0);
    expect(new Set(a.cited.map((c) => c.itemId))).toEqual(new Set([sync.id]));
  });

  it('extra ranked evidence (the decision log seam) is fused in, but only what the asker may see', async () => {
    const question = 'what did we decide about the rollback runbook?';
    const plain = await answer(store, { question, visibleTo: [ALICE], scope: { itemIds: [sync.id] }, k: 3 });
    const extra = { itemId: sync.id, position: 27 }; // a turn about iOS 15, far from the runbook
    expect(plain.cited).not.toContainEqual(extra);
    const withEvidence = await answer(store, {
      question,
      visibleTo: [ALICE],
      scope: { itemIds: [sync.id] },
      k: 3,
      evidence: [{ source: 'decisions', hits: [extra, { itemId: sync.id, position: 20 }] }],
    });
    expect(withEvidence.cited).toContainEqual(extra);
    expect(withEvidence.cited[0]).toEqual({ itemId: sync.id, position: 20 });

    const hidden = await answer(store, { question, visibleTo: [INES], k: 5, evidence: [{ source: 'decisions', hits: [{ itemId: sync.id, position: 20 }] }] });
    expect(hidden.cited.some((c) => c.itemId === sync.id)).toBe(false);
  });

  it('the synthesis seam: a synthesizer gets the ranked passages and may only cite their markers', async () => {
    let seen: Passage[] = [];
    const fake: Synthesizer = {
      name: 'fake',
      synthesize: async ({ passages }) => {
        seen = passages;
        return [
          { text: 'Carla writes the runbook.', citations: [1, 99] },
          { text: 'Invented.', citations: [42] },
        ];
      },
    };
    const a = await answer(store, { question: 'what did we decide about the rollback runbook?', visibleTo: [ALICE], k: 4 }, { synthesizer: fake });
    expect(seen.map((p) => p.marker)).toEqual([1, 2, 3, 4]);
    expect(seen.every((p) => p.text.length > 0 && p.speaker !== undefined)).toBe(true);
    expect(a.sentences).toEqual([{ text: 'Carla writes the runbook.', citations: [1] }]);
  });

  it('refuses a question on behalf of nobody', async () => {
    await expect(answer(store, { question: 'runbook', visibleTo: [], k: 3 })).rejects.toThrow(/at least one person/);
  });
});
