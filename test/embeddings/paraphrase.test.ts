/**
 * Search by meaning on the sample team (examples/acme, ingested through the files connector): questions
 * phrased with none of the words of their answer. Full-text search (searchText) does not find the answer
 * in its top 5; the sentence encoder (searchVector) does; the hashing embedder, lexical too, mostly not.
 *
 * The set: 20 paraphrase questions were written against the sample team's messages; these 9 are the ones
 * where full text fails and BOTH local models (all-MiniLM-L6-v2 and bge-small-en-v1.5-q) find the answer
 * in their top 5, so the test holds whichever is the default. The full set's counts per model are in the
 * README ("A real encoder").
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_MODEL } from '../../config/embeddings';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { loadLocalEncoder } from '../../activities/intelligence/embeddings/select';
import { openDb } from '../../activities/memory/db';
import { migrate } from '../../activities/memory/migrate';
import type { Db, Embedder, Hit } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { ingestFolder } from '../../clients/eval/files';
import type { Item } from '../../schemas/entities';

const ACME = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/acme');
const ANCHOR = new Date('2026-03-10T09:30:00Z');
const ALICE = 'alice@acme.test';
const K = 5;

/** question → the text of the turn or message of the sample team that answers it */
const PARAPHRASES: { question: string; answer: RegExp }[] = [
  { question: 'are we dropping support for older iPhones?', answer: /minimum (to )?iOS 16|iOS 15 is 1\.6 percent/ },
  { question: 'did the attorneys okay the opt-in checkbox?', answer: /legal approved the copy and the unchecked default/ },
  { question: 'what bug happens when a phone loses its connection?', answer: /go offline during the very first sync|MOB-2291 \(crash when going offline/ },
  { question: 'why might opening the app be sluggish for heavy users?', answer: /first launch after updating can take up to 15 seconds|about nine seconds|Nine seconds at launch/ },
  { question: 'who baked the Portuguese pastries?', answer: /pasteis de nata|Lisbon office sends its regards/ },
  { question: 'is the espresso maker working again?', answer: /coffee machine on floor 2 is fixed/ },
  { question: 'when is the last day to edit the wording?', answer: /String freeze is in effect|string freeze still Friday|Friday end of day\. Anything after that goes into 4\.3/ },
  { question: 'how will the cost of the subscription be displayed?', answer: /prices come from the stores|Play Billing product details|native store price strings/ },
  { question: 'what should I listen to on my journey?', answer: /Podcast recommendations for a long train ride/ },
];

async function storeWith(embedder: Embedder): Promise<{ db: Db; store: MemoryStore; items: Item[] }> {
  const db = await openDb({});
  await migrate(db);
  const vectors = await chooseVectorIndex(db, embedder.dimensions, { info: () => undefined }, { model: embedder.model });
  const store = new MemoryStore({ db, vectors, embedder });
  const { items } = await ingestFolder(store, ACME, 'acme', ANCHOR);
  return { db, store, items };
}

describe(`search by meaning on the sample team (${DEFAULT_LOCAL_MODEL})`, () => {
  let encoded: { db: Db; store: MemoryStore; items: Item[] };
  let hashed: { db: Db; store: MemoryStore; items: Item[] };

  beforeAll(async () => {
    encoded = await storeWith(await loadLocalEncoder(DEFAULT_LOCAL_MODEL));
    hashed = await storeWith(new LocalHashingEmbedder());
  }, 600_000);
  afterAll(async () => {
    await encoded?.db.close();
    await hashed?.db.close();
  });

  /** Whether one of the hits is a chunk whose text answers. */
  async function answers(store: MemoryStore, hits: Hit[], answer: RegExp): Promise<boolean> {
    const chunks = await store.getChunks(hits);
    return chunks.some((c) => answer.test(c.text.replace(/\s+/g, ' ')));
  }

  it('the answers exist and Alice may see them', async () => {
    const { rows } = await encoded.db.query<{ text: string; access: string[] }>('SELECT c.text, i.access FROM chunks c JOIN items i ON i.id = c.item_id');
    for (const p of PARAPHRASES) {
      const found = rows.filter((r) => p.answer.test(r.text.replace(/\s+/g, ' ')));
      expect(found.length, p.question).toBeGreaterThan(0);
      expect(found.some((r) => r.access.includes(ALICE)), p.question).toBe(true);
    }
  });

  for (const p of PARAPHRASES) {
    it(`"${p.question}": full text misses it, the encoder finds it in its top ${K}`, async () => {
      const filter = { visibleTo: [ALICE] };
      const text = await encoded.store.searchText(p.question, filter, K);
      expect(await answers(encoded.store, text, p.answer), 'full text should not find it').toBe(false);
      const vector = await encoded.store.searchVector(p.question, filter, K);
      expect(await answers(encoded.store, vector, p.answer), 'the encoder should find it').toBe(true);
    });
  }

  it('the lexical hashing vectors find few of them: the meaning comes from the encoder', async () => {
    let hashing = 0;
    let encoder = 0;
    for (const p of PARAPHRASES) {
      const filter = { visibleTo: [ALICE] };
      if (await answers(hashed.store, await hashed.store.searchVector(p.question, filter, K), p.answer)) hashing += 1;
      if (await answers(encoded.store, await encoded.store.searchVector(p.question, filter, K), p.answer)) encoder += 1;
    }
    expect(encoder).toBe(PARAPHRASES.length);
    expect(hashing).toBeLessThanOrEqual(2);
  });
});
