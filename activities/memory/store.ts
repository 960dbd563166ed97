/**
 * The memory of Mycelium: people, sources, items and their chunks, meetings, briefs and their
 * lineage, over one Db (PGlite or Postgres) plus a VectorIndex and an Embedder.
 *
 * Every retrieval goes through RetrievalFilter.visibleTo (see filters.ts); lookups by id
 * (getItems, getChunks, getMeeting) do not filter, they serve ids a retrieval already vetted.
 */
import {
  Brief as BriefSchema,
  type Brief,
  type Item,
  type ItemKind,
  type Meeting,
  type ParsedUnit,
  Person as PersonSchema,
  type Person,
  type PersonId,
  type Quarantined,
} from '../../schemas/entities';
import { isSemanticModel } from '../../config/embeddings';
import { reciprocalRankFusion } from './fusion';
import { commonWordCap, DEFAULT_FULL_TEXT_MATCH, matchAnyWord, planFullTextMatch, type FullTextMatchOptions, type FullTextPlan } from './full-text-match';
import {
  searchWeightedTerms,
  searchWeightedTermsEach,
  TermStatistics,
  type ItemHit,
  type TermSearchOptions,
  type TermSearchScope,
  type WeightedTerm,
  type WeightedTermSearch,
} from './term-search';
import { activateVectorSpace, activeVectorModel, registerVectorSpace, type SpaceStatus } from './vector-spaces';
import { l2Norm } from './vectorpoints';
import { QueryVectors } from './query-vectors';
import { retrievalConditions, SqlParams, visibleToOf } from './filters';
import { chunkIdOf, removeStoredUnit, storeParsedUnit, storeParsedUnits, type StoreUnitsOptions } from './ingest';
import {
  filesAuthoredBy,
  heldBackCounts,
  type HeldBackCount,
  type HeldBackEntry,
  heldBackFilesOf,
  markFilesChangedIn,
  recordHeldBackIn,
  type SeenPerson,
  selectPeople,
  selectSeen,
  setOptedInIn,
  type SourceFile,
  upsertPeopleIn,
} from './people';
import type { Db, Embedder, Hit, LineageEntry, RetrievalFilter, StoredChunk, StoreUnitResult, VectorIndex } from './ports';
import {
  BRIEF_COLUMNS,
  type BriefRow,
  briefFromRow,
  type ChunkRow,
  ITEM_COLUMNS,
  itemFromRow,
  type ItemRow,
  type LineageRecord,
  lineageFromRow,
  type LineageRow,
  MEETING_COLUMNS,
  meetingFromRow,
  type MeetingRow,
  segmentFromChunk,
} from './rows';

export interface MemoryStoreDeps {
  db: Db;
  vectors: VectorIndex;
  embedder: Embedder;
  /**
   * While this store's model is still being re-embedded (`building`), searches use the active model:
   * this gives its embedder and index (undefined when that model cannot run here: vector search then
   * returns nothing and full-text carries the search until the re-embed completes).
   */
  activeSpace?: (model: string) => Promise<{ embedder: Embedder; vectors: VectorIndex } | undefined>;
  /** when a full-text word counts as common (full-text-match.ts); default DEFAULT_FULL_TEXT_MATCH */
  fullTextMatch?: FullTextMatchOptions;
}

/** An item as findItemRefs gives it: its id, its conversation and its author. */
export type ItemRef = Pick<Item, 'id' | 'threadId' | 'authorId'>;
/** An item ref with which views (findItemViewRefs' `views`, in order) may see the item. */
export type ItemViewRef = ItemRef & { seenBy: boolean[] };

/** One attendee's own brief of a meeting (see migrations/011_personal_briefs.sql): only its recipient's to read. */
export interface PersonalBrief {
  recipientId: PersonId;
  markdown: string;
  /** the items it cites */
  sourceItemIds: string[];
}

/** One page of a re-embed: how many chunks got new-model vectors, and where the next page starts. */
export interface ReembedPage {
  embedded: number;
  /** the last chunk id looked at; null when there were no more chunks */
  last: string | null;
}

export interface SourceRecord {
  id: string;
  kind: string;
  config: Record<string, unknown>;
  cursor: unknown;
  updatedAt: Date;
}

export interface QuarantineRecord extends Quarantined {
  fileHash?: string;
  createdAt: Date;
}

/** Hybrid search asks each side for this many candidates per requested hit, so fusion has overlap to work with. */
const HYBRID_CANDIDATES_PER_HIT = 4;
const HYBRID_MIN_CANDIDATES = 20;
const hybridCandidates = (limit: number): number => Math.max(limit * HYBRID_CANDIDATES_PER_HIT, HYBRID_MIN_CANDIDATES);
/** a shared read (searchHybridEach) reads this many times a view's candidates at most: enough where views overlap */
const HYBRID_SHARED_POOL_FACTOR = 4;

export class MemoryStore {
  readonly #db: Db;
  readonly #termStatistics = new TermStatistics();
  readonly #queryVectors = new QueryVectors();
  readonly #vectors: VectorIndex;
  readonly #embedder: Embedder;
  readonly #activeSpace: MemoryStoreDeps['activeSpace'];
  readonly #fullTextMatch: FullTextMatchOptions;
  #ready: Promise<SpaceStatus> | undefined;

  constructor(deps: MemoryStoreDeps) {
    // An encoder's vectors in another model's table would be compared with that model's: refuse.
    // (Test embedders that stand in for the hashing one may share its index.)
    if (deps.vectors.model !== undefined && deps.vectors.model !== deps.embedder.model && isSemanticModel(deps.embedder.model)) {
      throw new Error(
        `the vector index holds ${deps.vectors.model} vectors but the embedder makes ${deps.embedder.model}: ` +
          'choose the index with chooseVectorIndex(db, dims, log, { model: embedder.model })',
      );
    }
    this.#db = deps.db;
    this.#vectors = deps.vectors;
    this.#embedder = deps.embedder;
    this.#activeSpace = deps.activeSpace;
    this.#fullTextMatch = deps.fullTextMatch ?? DEFAULT_FULL_TEXT_MATCH;
  }

  /** The model the vectors of this store's searches are made with. */
  get embedderModel(): string {
    return this.#embedder.model;
  }

  /**
   * Prepares the vector index for the embedder's dimensions and registers its model (vector-spaces.ts);
   * called by the methods that need it. Says whether the model is active or still being re-embedded.
   */
  ready(): Promise<SpaceStatus> {
    this.#ready ??= (async () => {
      await this.#vectors.ensureReady(this.#embedder.dimensions);
      return registerVectorSpace(this.#db, this.#embedder.model, this.#embedder.dimensions);
    })().catch((error: unknown) => {
      this.#ready = undefined; // let a later call retry (e.g. the server was briefly unreachable)
      throw error;
    });
    return this.#ready;
  }

  /** Makes this store's (fully re-embedded) model the one searches use, and drops the previous model's vectors. */
  activateModel(): Promise<{ activated: boolean; previous?: string }> {
    return activateVectorSpace(this.#db, this.#embedder.model);
  }

  /**
   * Gives the next `limit` chunks after `after` (by chunk id) vectors of this store's model, for the
   * re-embed workflow. Embeds outside any transaction, then writes only the chunks whose text is
   * still the one embedded (an ingest that changed or removed a chunk meanwhile wrote its own).
   */
  async reembedChunks(after: string, limit: number): Promise<ReembedPage> {
    await this.ready();
    const { rows } = await this.#db.query<{
      id: string; item_id: string; position: number; text: string; access: string[]; source_id: string; kind: Item['kind']; occurred_at: Date; thread_id: string | null;
    }>(
      `SELECT c.id, c.item_id, c.position, c.text, i.access, i.source_id, i.kind, i.occurred_at, i.thread_id
       FROM chunks c JOIN items i ON i.id = c.item_id
       WHERE c.id > $1 ORDER BY c.id LIMIT $2`,
      [after, limit],
    );
    if (rows.length === 0) return { embedded: 0, last: null };
    const vectors = await this.#embedder.embed(rows.map((r) => r.text));
    return this.#db.transaction(async (tx) => {
      const { rows: current } = await tx.query<{ id: string; text: string }>('SELECT id, text FROM chunks WHERE id = ANY($1::text[]) FOR SHARE', [rows.map((r) => r.id)]);
      const textOf = new Map(current.map((c) => [c.id, c.text]));
      const points = rows.flatMap((r, i) => {
        const vector = vectors[i]!;
        if (textOf.get(r.id) !== r.text || l2Norm(vector) === 0) return [];
        return [{
          chunkId: r.id, itemId: r.item_id, position: Number(r.position), vector, access: r.access, sourceId: r.source_id,
          kind: r.kind, occurredAt: new Date(r.occurred_at), threadId: r.thread_id,
        }];
      });
      await this.#vectors.upsert(points, tx);
      return { embedded: points.length, last: rows[rows.length - 1]!.id };
    });
  }

  // ---- people

  async upsertPeople(people: Person[]): Promise<void> {
    const parsed = PersonSchema.array().parse(people);
    await this.#db.transaction((tx) => upsertPeopleIn(tx, parsed));
  }

  listPeople(): Promise<Person[]> {
    return selectPeople(this.#db);
  }

  async getPerson(id: PersonId): Promise<Person | undefined> {
    return (await selectPeople(this.#db, [id.trim().toLowerCase()]))[0];
  }

  peopleByIds(ids: PersonId[]): Promise<Person[]> {
    return selectPeople(this.#db, ids.map((id) => id.trim().toLowerCase()));
  }

  /** Sets a directory person's opt-in; false when there is no such person. */
  setOptedIn(id: PersonId, optedIn: boolean): Promise<boolean> {
    return setOptedInIn(this.#db, id.trim().toLowerCase(), optedIn);
  }

  // ---- people seen in ingested data and what was held back from them (identity only)

  /** What one file's latest parse held back, replacing the file's earlier record; remembers who was seen. */
  async recordHeldBack(sourceId: string, path: string, authors: readonly HeldBackEntry[], at: Date): Promise<void> {
    await this.#db.transaction((tx) => recordHeldBackIn(tx, sourceId, path, authors, at));
  }

  seenPeople(ids?: PersonId[]): Promise<SeenPerson[]> {
    return selectSeen(this.#db, ids?.map((id) => id.trim().toLowerCase()));
  }

  heldBackCounts(ids?: string[]): Promise<HeldBackCount[]> {
    return heldBackCounts(this.#db, ids);
  }

  /** The files whose latest parse held back this person's content. */
  heldBackFiles(personId: PersonId): Promise<SourceFile[]> {
    return heldBackFilesOf(this.#db, personId.trim().toLowerCase());
  }

  /** The files that stored something this person wrote or said. */
  filesAuthoredBy(personId: PersonId): Promise<SourceFile[]> {
    return filesAuthoredBy(this.#db, personId.trim().toLowerCase());
  }

  /** The next sync re-parses these files whatever their bytes; returns how many were on record. */
  markFilesChanged(files: readonly SourceFile[]): Promise<number> {
    return markFilesChangedIn(this.#db, files);
  }

  // ---- sources and sync state

  async upsertSource(source: { id: string; kind: string; config: Record<string, unknown> }): Promise<void> {
    await this.#db.query(
      `INSERT INTO sources (id, kind, config) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config, updated_at = now()`,
      [source.id, source.kind, JSON.stringify(source.config)],
    );
  }

  async getSource(id: string): Promise<SourceRecord | undefined> {
    const { rows } = await this.#db.query<{ id: string; kind: string; config: Record<string, unknown>; cursor: unknown; updated_at: Date }>(
      'SELECT id, kind, config, cursor, updated_at FROM sources WHERE id = $1',
      [id],
    );
    const row = rows[0];
    return row && { id: row.id, kind: row.kind, config: row.config, cursor: row.cursor, updatedAt: new Date(row.updated_at) };
  }

  async setCursor(id: string, cursor: unknown): Promise<void> {
    const { rows } = await this.#db.query(
      'UPDATE sources SET cursor = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING id',
      [id, JSON.stringify(cursor ?? null)],
    );
    if (rows.length === 0) throw new Error(`unknown source ${id}: upsertSource it first`);
  }

  /** path -> file hash of every file of the source stored so far (quarantined files are not in it). */
  async fileHashes(sourceId: string): Promise<Map<string, string>> {
    const { rows } = await this.#db.query<{ path: string; file_hash: string }>(
      'SELECT path, file_hash FROM source_files WHERE source_id = $1',
      [sourceId],
    );
    return new Map(rows.map((r) => [r.path, r.file_hash]));
  }

  async storeUnit(sourceId: string, unit: ParsedUnit): Promise<StoreUnitResult> {
    await this.ready();
    return storeParsedUnit({ db: this.#db, vectors: this.#vectors, embedder: this.#embedder }, sourceId, unit);
  }

  /** Many units in one transaction, all or nothing (a connector's page), with what each held back. */
  async storeUnits(sourceId: string, units: readonly ParsedUnit[], options: StoreUnitsOptions = {}): Promise<StoreUnitResult> {
    await this.ready();
    return storeParsedUnits({ db: this.#db, vectors: this.#vectors, embedder: this.#embedder }, sourceId, units, options);
  }

  /** Forgets a file that no longer exists: its items (with chunks and vectors), meetings and sync record. */
  async removeUnit(sourceId: string, path: string): Promise<{ removed: number }> {
    await this.ready();
    return removeStoredUnit({ db: this.#db, vectors: this.#vectors }, sourceId, path);
  }

  // ---- quarantine

  async quarantine(q: Quarantined & { fileHash?: string }): Promise<void> {
    await this.#db.query(
      `INSERT INTO quarantine (source_id, path, reason, file_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (source_id, path) DO UPDATE SET reason = EXCLUDED.reason, file_hash = EXCLUDED.file_hash, created_at = now()`,
      [q.sourceId, q.path, q.reason, q.fileHash ?? null],
    );
  }

  async listQuarantine(sourceId?: string): Promise<QuarantineRecord[]> {
    const { rows } = await this.#db.query<{ source_id: string; path: string; reason: string; file_hash: string | null; created_at: Date }>(
      `SELECT source_id, path, reason, file_hash, created_at FROM quarantine
       WHERE $1::text IS NULL OR source_id = $1 ORDER BY source_id, path`,
      [sourceId ?? null],
    );
    return rows.map((r) => ({
      sourceId: r.source_id,
      path: r.path,
      reason: r.reason,
      ...(r.file_hash === null ? {} : { fileHash: r.file_hash }),
      createdAt: new Date(r.created_at),
    }));
  }

  // ---- meetings

  async getMeeting(id: string): Promise<Meeting | undefined> {
    const { rows } = await this.#db.query<MeetingRow>(`SELECT ${MEETING_COLUMNS} FROM meetings WHERE id = $1`, [id]);
    return rows[0] && meetingFromRow(rows[0]);
  }

  /** Meetings starting in [from, to), earliest first. */
  async listMeetings(opts: { from?: Date; to?: Date; status?: Meeting['status'] } = {}): Promise<Meeting[]> {
    const { rows } = await this.#db.query<MeetingRow>(
      `SELECT ${MEETING_COLUMNS} FROM meetings
       WHERE ($1::timestamptz IS NULL OR starts_at >= $1)
         AND ($2::timestamptz IS NULL OR starts_at < $2)
         AND ($3::text IS NULL OR status = $3)
       ORDER BY starts_at, id`,
      [opts.from ?? null, opts.to ?? null, opts.status ?? null],
    );
    return rows.map(meetingFromRow);
  }

  /**
   * The latest earlier occurrence of the meeting's series. Cancelled occurrences are skipped:
   * they did not happen, so they hold nothing to follow up on.
   */
  async previousInSeries(meeting: Pick<Meeting, 'id' | 'seriesId' | 'startsAt'>): Promise<Meeting | undefined> {
    if (!meeting.seriesId) return undefined;
    const { rows } = await this.#db.query<MeetingRow>(
      `SELECT ${MEETING_COLUMNS} FROM meetings
       WHERE series_id = $1 AND starts_at < $2 AND id <> $3 AND status <> 'cancelled'
       ORDER BY starts_at DESC LIMIT 1`,
      [meeting.seriesId, new Date(meeting.startsAt), meeting.id],
    );
    return rows[0] && meetingFromRow(rows[0]);
  }

  // ---- items and chunks

  /** Items in the order of `ids` (unknown ids skipped), segments rebuilt from their chunks. */
  async getItems(ids: string[]): Promise<Item[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = ANY($1::text[])`, [ids]);
    const items = await this.#withSegments(rows);
    const byId = new Map(items.map((i) => [i.id, i]));
    return [...new Set(ids)].flatMap((id) => byId.get(id) ?? []);
  }

  /** Chunks in the order of `refs` (unknown refs skipped). */
  async getChunks(refs: { itemId: string; position: number }[]): Promise<StoredChunk[]> {
    if (refs.length === 0) return [];
    const ids = refs.map((r) => chunkIdOf(r.itemId, r.position));
    const { rows } = await this.#db.query<ChunkRow & { id: string }>(
      'SELECT id, item_id, position, text, speaker_id, start_ms FROM chunks WHERE id = ANY($1::text[])',
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return [];
      return [
        {
          itemId: r.item_id,
          position: Number(r.position),
          text: r.text,
          speakerId: r.speaker_id,
          ...(r.start_ms === null ? {} : { startMs: Number(r.start_ms) }),
        },
      ];
    });
  }

  /**
   * Items written by one of `people` that ALL of them may see (content every one of them can
   * be shown), newest first.
   */
  async itemsAmong(opts: { people: PersonId[]; since?: Date; kinds?: ItemKind[]; limit?: number }): Promise<Item[]> {
    const people = [...new Set(opts.people.map((p) => p.trim().toLowerCase()))];
    if (people.length === 0) return [];
    const { rows } = await this.#db.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM items
       WHERE author_id = ANY($1::text[]) AND access @> $1::text[]
         AND ($2::timestamptz IS NULL OR occurred_at >= $2)
         AND ($3::text[] IS NULL OR kind = ANY($3::text[]))
       ORDER BY occurred_at DESC, id
       LIMIT $4`,
      [people, opts.since ?? null, opts.kinds ?? null, opts.limit ?? 500],
    );
    return this.#withSegments(rows);
  }

  /**
   * Items matching a retrieval filter (visibleTo always applies), newest first: the
   * "what happened lately" read, where searchText/searchHybrid are the "what is relevant" one.
   */
  async findItems(filter: RetrievalFilter, limit: number): Promise<Item[]> {
    if (limit <= 0) return [];
    return this.#withSegments(await this.#window<ItemRow>(ITEM_COLUMNS, filter, limit));
  }

  /**
   * findItems' rows (same filter, order and limit) reduced to who wrote each item in which conversation: for reads that
   * only group a window of items into threads, without the bodies, metadata and segments findItems rebuilds.
   */
  async findItemRefs(filter: RetrievalFilter, limit: number): Promise<ItemRef[]> {
    if (limit <= 0) return [];
    const rows = await this.#window<{ id: string; thread_id: string | null; author_id: string | null }>('id, thread_id, author_id', filter, limit);
    return rows.map((r) => ({ id: r.id, threadId: r.thread_id ?? undefined, authorId: r.author_id }));
  }

  /**
   * The window a shared read splits per view: findItemRefs' rows for anyone of the views' people, each with which of
   * `views` may see it (all of a view's people in its access list) — worked out by the database, so no access list
   * is carried back and parsed.
   */
  async findItemViewRefs(filter: Omit<RetrievalFilter, 'visibleTo' | 'visibleToMatch'>, views: readonly (readonly PersonId[])[], limit: number): Promise<ItemViewRef[]> {
    if (limit <= 0 || views.length === 0) return [];
    const people = views.map((v) => visibleToOf({ visibleTo: [...v] }));
    const params = new SqlParams();
    const seenBy = `ARRAY[${people.map((v) => `access @> ${params.add(v)}::text[]`).join(', ')}]`;
    const where = retrievalConditions(
      { ...filter, visibleTo: [...new Set(people.flat())], visibleToMatch: 'any' },
      { access: 'access', kind: 'kind', itemId: 'id', threadId: 'thread_id', occurredAt: 'occurred_at' },
      params,
    );
    const { rows } = await this.#db.query<{ id: string; thread_id: string | null; author_id: string | null; seen_by: boolean[] }>(
      `SELECT id, thread_id, author_id, ${seenBy} AS seen_by FROM items WHERE ${where} ORDER BY occurred_at DESC, id LIMIT ${params.add(limit)}`,
      params.values,
    );
    return rows.map((r) => ({ id: r.id, threadId: r.thread_id ?? undefined, authorId: r.author_id, seenBy: r.seen_by }));
  }

  /** `columns` of the newest items matching the filter */
  async #window<Row extends object>(columns: string, filter: RetrievalFilter, limit: number): Promise<Row[]> {
    const params = new SqlParams();
    const where = retrievalConditions(
      filter,
      { access: 'access', kind: 'kind', itemId: 'id', threadId: 'thread_id', occurredAt: 'occurred_at' },
      params,
    );
    const { rows } = await this.#db.query<Row>(`SELECT ${columns} FROM items WHERE ${where} ORDER BY occurred_at DESC, id LIMIT ${params.add(limit)}`, params.values);
    return rows;
  }

  async #withSegments(rows: ItemRow[]): Promise<Item[]> {
    const segmented = rows.filter((r) => r.has_segments).map((r) => r.id);
    const chunks =
      segmented.length === 0
        ? []
        : (
            await this.#db.query<ChunkRow>(
              `SELECT item_id, position, text, speaker_id, start_ms FROM chunks
               WHERE item_id = ANY($1::text[]) ORDER BY item_id, position`,
              [segmented],
            )
          ).rows;
    const byItem = new Map<string, ChunkRow[]>();
    for (const c of chunks) byItem.set(c.item_id, [...(byItem.get(c.item_id) ?? []), c]);
    return rows.map((r) => itemFromRow(r, (byItem.get(r.id) ?? []).map(segmentFromChunk)));
  }

  // ---- retrieval

  /**
   * Full-text search over chunks, ranked by ts_rank_cd over all the question's words. Which chunks are read is
   * full-text-match.ts's plan: any of the question's rarer words, or all of them when every word is common — so a
   * chunk that matches only part of a question still comes back, and a large memory is not ranked end to end.
   */
  async searchText(query: string, filter: RetrievalFilter, limit: number): Promise<Hit[]> {
    return (await this.#searchText(query, filter, limit)).map(({ itemId, position, score }) => ({ itemId, position, score }));
  }

  /** searchText's hits with who may see each */
  async #searchText(query: string, filter: RetrievalFilter, limit: number): Promise<(Hit & { access: string[] })[]> {
    const words = searchWords(query);
    if (words.length === 0 || limit <= 0) return [];
    const plan = await this.#fullTextPlan(words);
    if (!plan) return [];
    const params = new SqlParams();
    // Only letters and digits reach websearch_to_tsquery, so "or" (and the implicit "and" between words) are the only operators in it.
    const matchQuery = `websearch_to_tsquery('english', ${params.add(plan.match.words.join(plan.match.mode === 'or' ? ' or ' : ' '))})`;
    const rankQuery = `websearch_to_tsquery('english', ${params.add(plan.rank.join(' or '))})`;
    const where = retrievalConditions(
      filter,
      { access: 'i.access', kind: 'i.kind', itemId: 'c.item_id', threadId: 'i.thread_id', occurredAt: 'i.occurred_at' },
      params,
    );
    const { rows } = await this.#db.query<{ item_id: string; position: number; score: number; access: string[] }>(
      `SELECT c.item_id, c.position, ts_rank_cd(c.tsv, q.rank) AS score, i.access
       FROM chunks c
       JOIN items i ON i.id = c.item_id
       CROSS JOIN ${matchQuery} AS m(query)
       CROSS JOIN ${rankQuery} AS q(rank)
       WHERE c.tsv @@ m.query AND ${where}
       ORDER BY score DESC, i.occurred_at DESC, c.item_id, c.position
       LIMIT ${params.add(limit)}`,
      params.values,
    );
    return rows.map((r) => ({ itemId: r.item_id, position: Number(r.position), score: Number(r.score), access: r.access }));
  }

  /** Common words (document frequencies from the index, remembered a while) match only together; see full-text-match.ts. */
  async #fullTextPlan(words: readonly string[]): Promise<FullTextPlan | undefined> {
    const total = await this.#termStatistics.total(this.#db);
    if (total < this.#fullTextMatch.minDocCap) return matchAnyWord(words);
    const cap = commonWordCap(total, this.#fullTextMatch);
    const df = await this.#termStatistics.frequencies(this.#db, words, cap);
    return planFullTextMatch(words, df, cap);
  }

  /** Items sharing distinctive words with the query, IDF-weighted (term-search.ts). */
  async searchWeightedTerms(terms: readonly WeightedTerm[], filter: RetrievalFilter, limit: number, scope?: TermSearchScope, options?: TermSearchOptions): Promise<ItemHit[]> {
    return searchWeightedTerms(this.#db, terms, filter, limit, scope, options, this.#termStatistics);
  }

  /** Several searchWeightedTerms under one filter, in one scan: one list per search. */
  async searchWeightedTermsEach(searches: readonly WeightedTermSearch[], filter: RetrievalFilter, options?: TermSearchOptions): Promise<ItemHit[][]> {
    return searchWeightedTermsEach(this.#db, searches, filter, options, this.#termStatistics);
  }

  /** Nearest chunks to the embedded query, filtered inside the vector index. */
  async searchVector(query: string, filter: RetrievalFilter, limit: number): Promise<Hit[]> {
    if (limit <= 0) return [];
    const space = await this.ready();
    let embedder: Embedder = this.#embedder;
    let vectors: VectorIndex = this.#vectors;
    // Only vectors of one model are ever compared: while ours is still being re-embedded, the active one's.
    const active = space.state === 'active' ? space.model : await activeVectorModel(this.#db);
    if (active !== this.#embedder.model) {
      const other = active && this.#activeSpace ? await this.#activeSpace(active) : undefined;
      if (!other) return [];
      ({ embedder, vectors } = other);
    }
    const vector = await this.#queryVectors.of(embedder, query);
    if (!vector) return [];
    // equally near chunks (repeated text) come back from the index in any order: one order, so the same search
    // answers the same, and a shared read cut per viewer (searchHybridEach) agrees with each viewer's own
    return (await vectors.query(vector, filter, limit)).sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : a.position - b.position));
  }

  /** Full-text and vector hits fused by reciprocal rank (k = 60); `score` is the fused score. */
  async searchHybrid(query: string, filter: RetrievalFilter, limit: number): Promise<Hit[]> {
    if (limit <= 0) return [];
    const candidates = hybridCandidates(limit);
    const [text, vector] = await Promise.all([
      this.searchText(query, filter, candidates),
      this.searchVector(query, filter, candidates),
    ]);
    return reciprocalRankFusion([text, vector], { limit });
  }

  /**
   * searchHybrid for several viewers at once (a brief per attendee): each list is read once for everyone (hits any
   * of them may see, a deeper pool) and cut per view to the hits every one of its people may see. A list keeps its
   * order under that cut, so a view's first `candidates` hits are exactly the ones its own search returns; only a view
   * that sees too few of a full pool is searched on its own. (The vector list is as exact as the index's approximate
   * search allows.) Returns one list per view, in the order of `views`.
   */
  async searchHybridEach(query: string, filter: Omit<RetrievalFilter, 'visibleTo' | 'visibleToMatch'>, views: readonly (readonly PersonId[])[], limit: number): Promise<Hit[][]> {
    const people = views.map((v) => visibleToOf({ visibleTo: [...v] }));
    if (limit <= 0) return people.map(() => []);
    if (people.length === 1) return [await this.searchHybrid(query, { ...filter, visibleTo: people[0]! }, limit)];
    const candidates = hybridCandidates(limit);
    const pool = candidates * Math.min(people.length, HYBRID_SHARED_POOL_FACTOR);
    const shared: RetrievalFilter = { ...filter, visibleTo: [...new Set(people.flat())], visibleToMatch: 'any' };
    const [text, vector] = await Promise.all([this.#searchText(query, shared, pool), this.searchVector(query, shared, pool)]);
    const access = new Map(text.map((h) => [h.itemId, new Set(h.access)]));
    for (const [id, mayView] of await this.#accessOf([...new Set(vector.map((h) => h.itemId).filter((id) => !access.has(id)))])) access.set(id, mayView);
    const cut = async (hits: readonly Hit[], view: string[], alone: (f: RetrievalFilter, n: number) => Promise<Hit[]>): Promise<Hit[]> => {
      const seen = hits
        .filter((h) => view.every((p) => access.get(h.itemId)?.has(p) === true))
        .slice(0, candidates)
        .map(({ itemId, position, score }) => ({ itemId, position, score }));
      // a full pool that holds too few of this view's hits says nothing of the ones past it
      return seen.length === candidates || hits.length < pool ? seen : alone({ ...filter, visibleTo: view }, candidates);
    };
    return Promise.all(
      people.map(async (view) => {
        const [t, v] = await Promise.all([cut(text, view, (f, n) => this.searchText(query, f, n)), cut(vector, view, (f, n) => this.searchVector(query, f, n))]);
        return reciprocalRankFusion([t, v], { limit });
      }),
    );
  }

  /** who may see each item */
  async #accessOf(itemIds: string[]): Promise<Map<string, Set<string>>> {
    if (itemIds.length === 0) return new Map();
    const { rows } = await this.#db.query<{ id: string; access: string[] }>('SELECT id, access FROM items WHERE id = ANY($1::text[])', [itemIds]);
    return new Map(rows.map((r) => [r.id, new Set(r.access)]));
  }

  // ---- briefs and lineage

  /**
   * Saves a brief and the lineage of what it was built from, in one transaction. Idempotent
   * by brief id: a retried activity finds the brief saved and writes nothing (created: false).
   */
  /**
   * The brief with its lineage and, in the same transaction, each attendee's own brief (`personal`): a brief is
   * there with all of them or not at all. Saving the same brief again changes nothing.
   */
  async saveBrief(brief: Brief, lineage: LineageEntry[], personal: PersonalBrief[] = []): Promise<{ created: boolean }> {
    const b = BriefSchema.parse(brief);
    const own = personal.map((p) => ({ ...p, recipientId: p.recipientId.trim().toLowerCase() }));
    const twice = own.find((p, i) => own.findIndex((q) => q.recipientId === p.recipientId) !== i);
    if (twice) throw new Error(`brief ${b.id}: two personal briefs for ${twice.recipientId}`);
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query(
        `INSERT INTO briefs (id, meeting_id, recipients, sections, citations, markdown, workflow_id, run_id, created_at)
         VALUES ($1, $2, $3::text[], $4::jsonb, $5::jsonb, $6, $7, $8, $9)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [b.id, b.meetingId, b.recipients, JSON.stringify(b.sections), JSON.stringify(b.citations), b.markdown, b.workflowId, b.runId, b.createdAt],
      );
      if (rows.length === 0) return { created: false };
      if (lineage.length > 0) {
        await tx.query(
          `INSERT INTO lineage (artifact_type, artifact_id, item_id, position, workflow_id, run_id, activity)
           SELECT artifact_type, artifact_id, item_id, position, workflow_id, run_id, activity
           FROM jsonb_to_recordset($1::jsonb) AS l(artifact_type text, artifact_id text, item_id text, position integer,
                                                   workflow_id text, run_id text, activity text)`,
          [
            JSON.stringify(
              lineage.map((l) => ({
                artifact_type: l.artifactType,
                artifact_id: l.artifactId,
                item_id: l.itemId,
                position: l.position ?? null,
                workflow_id: l.workflowId,
                run_id: l.runId,
                activity: l.activity,
              })),
            ),
          ],
        );
      }
      if (own.length > 0) {
        await tx.query(
          `INSERT INTO personal_briefs (brief_id, recipient_id, markdown, source_item_ids)
           SELECT $1, recipient_id, markdown, source_item_ids
           FROM jsonb_to_recordset($2::jsonb) AS p(recipient_id text, markdown text, source_item_ids text[])`,
          [b.id, JSON.stringify(own.map((p) => ({ recipient_id: p.recipientId, markdown: p.markdown, source_item_ids: p.sourceItemIds })))],
        );
      }
      return { created: true };
    });
  }

  /** The own briefs of these recipients of a brief (those it has; each is read only for its recipient). */
  async personalBriefs(briefId: string, recipientIds: PersonId[]): Promise<Map<PersonId, PersonalBrief>> {
    const ids = [...new Set(recipientIds.map((id) => id.trim().toLowerCase()))];
    if (ids.length === 0) return new Map();
    const { rows } = await this.#db.query<{ recipient_id: string; markdown: string; source_item_ids: string[] }>(
      'SELECT recipient_id, markdown, source_item_ids FROM personal_briefs WHERE brief_id = $1 AND recipient_id = ANY($2::text[])',
      [briefId, ids],
    );
    return new Map(rows.map((r) => [r.recipient_id, { recipientId: r.recipient_id, markdown: r.markdown, sourceItemIds: r.source_item_ids }]));
  }

  async getBrief(id: string): Promise<Brief | undefined> {
    const { rows } = await this.#db.query<BriefRow>(`SELECT ${BRIEF_COLUMNS} FROM briefs WHERE id = $1`, [id]);
    return rows[0] && briefFromRow(rows[0]);
  }

  async latestBrief(meetingId: string): Promise<Brief | undefined> {
    const { rows } = await this.#db.query<BriefRow>(
      `SELECT ${BRIEF_COLUMNS} FROM briefs WHERE meeting_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [meetingId],
    );
    return rows[0] && briefFromRow(rows[0]);
  }

  async lineageOf(artifactId: string): Promise<LineageRecord[]> {
    const { rows } = await this.#db.query<LineageRow>(
      `SELECT artifact_type, artifact_id, item_id, position, workflow_id, run_id, activity, created_at
       FROM lineage WHERE artifact_id = $1 ORDER BY id`,
      [artifactId],
    );
    return rows.map(lineageFromRow);
  }
}

/** Lower-cased words of a free-text query; "or" is dropped because websearch syntax reads it as the operator. */
export function searchWords(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w !== 'or');
}
