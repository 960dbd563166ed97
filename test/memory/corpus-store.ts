/**
 * A MemoryStore on a real test database (PGlite or PostgreSQL) with the vector index that database really gets,
 * holding one corpus: what the retrieval tests search.
 */
import { beforeAll } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import type { Item } from '../../schemas/entities';
import { useTestDatabase, type DbFlavor } from '../support/db';
import { unit } from './fixtures';

export function useCorpusStore(flavor: DbFlavor, corpus: readonly Item[]): { readonly store: MemoryStore; readonly db: ReturnType<typeof useTestDatabase>['db'] } {
  const database = useTestDatabase(flavor);
  let store: MemoryStore | undefined;
  beforeAll(async () => {
    const embedder = new LocalHashingEmbedder();
    const vectors = await chooseVectorIndex(database.db, embedder.dimensions, { info: () => undefined });
    store = new MemoryStore({ db: database.db, vectors, embedder });
    await store.storeUnit('src', unit('corpus.json', { items: [...corpus] }));
  });
  return {
    get store(): MemoryStore {
      if (!store) throw new Error(`the ${flavor} corpus store is not ready (did its beforeAll fail?)`);
      return store;
    },
    get db() {
      return database.db;
    },
  };
}
