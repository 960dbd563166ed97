/**
 * The ports of the memory layer. Activities depend on these interfaces only, so tests
 * swap the world (PGlite or a real Postgres server), never the code.
 */
import type { Item, PersonId } from '../../schemas/entities';

/** The minimal SQL surface both PGlite and node-postgres provide. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * Sql that can also run a parameterless multi-statement script (migrations, DDL).
 * Separate from `query` because PGlite's `query` speaks the extended protocol, which
 * accepts exactly one statement.
 */
export interface ScriptableSql extends Sql {
  exec(script: string): Promise<void>;
}

export interface Db extends ScriptableSql {
  /**
   * Runs fn in one transaction: committed if it resolves, rolled back if it throws.
   * Inside fn use only `tx`: calling the Db itself from inside fn throws (on PGlite it would deadlock).
   */
  transaction<T>(fn: (tx: ScriptableSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** "pglite" or "postgres", for messages and tests */
  readonly flavor: 'pglite' | 'postgres';
}

export interface Embedder {
  /** the model that makes the vectors; every stored vector is tagged with it */
  readonly model: string;
  readonly dimensions: number;
  /** document (chunk) vectors */
  embed(texts: string[]): Promise<number[][]>;
  /** query vectors, for models that embed queries differently (BGE's instruction prefix); default embed */
  embedQueries?(texts: string[]): Promise<number[][]>;
}

/** One vector per chunk. Point ids are deterministic (derived from the chunk id) so upserts are idempotent. */
export interface VectorPoint {
  chunkId: string;
  itemId: string;
  position: number;
  vector: number[];
  /** payload used for filtering: who may see it, where it came from */
  access: PersonId[];
  sourceId: string;
  kind: Item['kind'];
  occurredAt: Date;
  /** the item's conversation key, so RetrievalFilter.threadId can be applied inside the index */
  threadId?: string | null;
  /**
   * the chunk's text, for indexes that also keep a lexical (sparse BM25) vector beside the dense
   * one (Qdrant); indexes without one ignore it
   */
  text?: string;
}

export interface RetrievalFilter {
  /** every one of these people must be allowed to see a hit (retrieval on behalf of all of them) */
  visibleTo: PersonId[];
  /**
   * 'any': at least one of visibleTo may see a hit instead — only for a read shared by several viewers that the caller
   * filters per viewer afterwards (MemoryStore.searchHybridEach), never for content shown as it is
   */
  visibleToMatch?: 'all' | 'any';
  kinds?: Item['kind'][];
  itemIds?: string[];
  threadId?: string;
  since?: Date;
  until?: Date;
}

export interface Hit {
  itemId: string;
  position: number;
  score: number;
}

export interface VectorIndex {
  readonly name: string;
  /** the model whose vectors it holds; an index never compares vectors of two models */
  readonly model?: string;
  ensureReady(dimensions: number): Promise<void>;
  upsert(points: VectorPoint[], tx?: Sql): Promise<void>;
  deleteByItems(itemIds: string[], tx?: Sql): Promise<void>;
  query(vector: number[], filter: RetrievalFilter, limit: number): Promise<Hit[]>;
  /**
   * Optional: dense kNN and lexical (sparse BM25) search fused by reciprocal rank inside the index,
   * in one round trip, the filter applied inside each of the two searches. Offered by indexes that
   * hold a sparse vector (Qdrant); where absent, callers fuse full-text and vector hits
   * themselves (MemoryStore.searchHybrid). `score` is the fused score.
   */
  hybridQuery?(vector: number[], text: string, filter: RetrievalFilter, limit: number): Promise<Hit[]>;
}

export interface StoreUnitResult {
  inserted: number;
  updated: number;
  unchanged: number;
  removed: number;
}

export interface LineageEntry {
  artifactType: 'brief' | 'decision' | 'notification';
  artifactId: string;
  itemId: string;
  position?: number;
  workflowId: string;
  runId: string;
  activity: string;
}

export interface StoredChunk {
  itemId: string;
  position: number;
  text: string;
  speakerId: PersonId | null;
  /** start offset in ms, when the chunk is a timed transcript turn */
  startMs?: number;
}
