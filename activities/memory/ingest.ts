/**
 * Stores parsed units of a source, all or nothing: one (a file: storeParsedUnit) or a connector's page of them
 * (storeParsedUnits).
 *
 * Embedding is slow (a remote model, later) and must not hold a transaction open, so vectors
 * for the items that look new or changed are computed first, outside it. The transaction then
 * re-reads the stored state under row locks and decides for real; an item that only turns out
 * to need vectors at that point (a concurrent writer changed it) is embedded inside.
 */
import { chunkItem, type ChunkDraft } from './chunking';
import { type Item, ParsedUnit } from '../../schemas/entities';
import { recordInteractionsIn } from './coordination';
import { forgetHeldBackIn, recordHeldBackManyIn, upsertPeopleIn, type HeldBackEntry } from './people';
import type { Db, Embedder, Sql, StoreUnitResult, VectorIndex, VectorPoint } from './ports';
import { l2Norm } from './vectorpoints';

export interface IngestDeps {
  db: Db;
  vectors: VectorIndex;
  embedder: Embedder;
}

interface StoredState {
  id: string;
  content_hash: string;
  access: string[];
  source_path: string | null;
}

interface PlannedItem {
  item: Item;
  chunks: ChunkDraft[];
}

export function chunkIdOf(itemId: string, position: number): string {
  return `${itemId}#${position}`;
}

export async function storeParsedUnit(deps: IngestDeps, sourceId: string, input: ParsedUnit): Promise<StoreUnitResult> {
  return storeParsedUnits(deps, sourceId, [input]);
}

/** Who one unit's object held back (identity and counts, never content), recorded with the unit. */
export interface UnitHeldBack {
  path: string;
  authors: readonly HeldBackEntry[];
}

export interface StoreUnitsOptions {
  /**
   * what each unit (or an object that yielded no unit) held back; every stored unit's record is replaced, so a unit
   * listed here with no authors, or not listed, holds nobody back any more
   */
  heldBack?: readonly UnitHeldBack[];
  /** when the held-back people were seen */
  at?: Date;
}

/**
 * Stores many units of a source in one transaction, all or nothing: a connector's page. Each unit keeps the
 * semantics of storing it alone (its items replace what its path produced before; unchanged items, by content
 * hash and access list, are not rewritten), but the embedding is one batched call made before the transaction,
 * and each table is written with one statement for the whole page instead of one per unit.
 */
export async function storeParsedUnits(deps: IngestDeps, sourceId: string, inputs: readonly ParsedUnit[], options: StoreUnitsOptions = {}): Promise<StoreUnitResult> {
  // Activity arguments arrive as JSON (dates as strings): the schema restores and validates them.
  const units = inputs.map((input) => ParsedUnit.parse(input));
  assertBatchBelongsToSource(sourceId, units);
  const planned: (PlannedItem & { path: string })[] = units.flatMap((unit) => unit.items.map((item) => ({ item, chunks: chunkItem(item), path: unit.path })));
  const itemIds = planned.map((p) => p.item.id);
  const paths = units.map((u) => u.path);
  const heldBack = options.heldBack ?? [];
  if (units.length === 0 && heldBack.length === 0) return { inserted: 0, updated: 0, unchanged: 0, removed: 0 };

  const before = await storedStates(deps.db, itemIds, false);
  const vectorsAhead = await embedPlans(
    deps.embedder,
    planned.filter((p) => needsWrite(p.item, before.get(p.item.id))),
  );

  return deps.db.transaction(async (tx) => {
    await upsertPeopleIn(tx, units.flatMap((u) => u.people));

    const stored = await storedStates(tx, itemIds, true);
    const toWrite = planned.filter((p) => needsWrite(p.item, stored.get(p.item.id)));
    const replaced = toWrite.filter((p) => stored.has(p.item.id)).map((p) => p.item.id);
    const unchanged = planned.filter((p) => !needsWrite(p.item, stored.get(p.item.id)));

    if (toWrite.length > 0) {
      await upsertItems(tx, sourceId, toWrite);
      if (replaced.length > 0) {
        await tx.query('DELETE FROM chunks WHERE item_id = ANY($1::text[])', [replaced]);
        await deps.vectors.deleteByItems(replaced, tx);
      }
      await insertChunks(tx, toWrite);
      await recordInteractionsIn(tx, toWrite.map((p) => p.item));
      const missing = toWrite.filter((p) => !vectorsAhead.has(p.item.id));
      const lateVectors = await embedPlans(deps.embedder, missing);
      await deps.vectors.upsert(
        toWrite.flatMap((p) => pointsOf(p, vectorsAhead.get(p.item.id) ?? lateVectors.get(p.item.id) ?? [])),
        tx,
      );
    }

    // An unchanged item may have moved to this unit; record that, or the old unit's next parse would "remove" it.
    const moved = unchanged.filter((p) => stored.get(p.item.id)?.source_path !== p.path).map((p) => ({ id: p.item.id, path: p.path }));
    if (moved.length > 0) {
      await tx.query(
        `UPDATE items SET source_path = m.path FROM jsonb_to_recordset($1::jsonb) AS m(id text, path text) WHERE items.id = m.id`,
        [JSON.stringify(moved)],
      );
    }

    // every item of the batch now names its unit: what else these paths produced before is gone
    const removed = await removeVanishedItems(tx, sourceId, paths, itemIds);
    await deps.vectors.deleteByItems(removed, tx);

    await upsertMeetings(tx, sourceId, units);
    if (units.length > 0) {
      await tx.query(
        `INSERT INTO source_files (source_id, path, file_hash, item_ids)
         SELECT $1, f.path, f.file_hash, ARRAY(SELECT jsonb_array_elements_text(f.item_ids))
         FROM jsonb_to_recordset($2::jsonb) AS f(path text, file_hash text, item_ids jsonb)
         ON CONFLICT (source_id, path) DO UPDATE SET file_hash = EXCLUDED.file_hash, item_ids = EXCLUDED.item_ids, updated_at = now()`,
        [sourceId, JSON.stringify(units.map((u) => ({ path: u.path, file_hash: u.fileHash, item_ids: u.items.map((i) => i.id) })))],
      );
      await tx.query('DELETE FROM quarantine WHERE source_id = $1 AND path = ANY($2::text[])', [sourceId, paths]);
    }
    if (options.heldBack !== undefined) {
      // a stored unit holds back what it says now, or nobody; an object with no unit holds back what it says
      const byPath = new Map<string, HeldBackEntry[]>(paths.map((path) => [path, []]));
      for (const entry of heldBack) byPath.set(entry.path, [...(byPath.get(entry.path) ?? []), ...entry.authors]);
      await recordHeldBackManyIn(tx, sourceId, [...byPath].map(([path, authors]) => ({ path, authors })), options.at ?? new Date());
    }

    return {
      inserted: toWrite.length - replaced.length,
      updated: replaced.length,
      unchanged: unchanged.length,
      removed: removed.length,
    };
  });
}

/** Forgets a file that no longer exists: its items (chunks cascade, vectors explicitly), meetings, sync record, quarantine row and held-back record. */
export async function removeStoredUnit(
  deps: Pick<IngestDeps, 'db' | 'vectors'>,
  sourceId: string,
  path: string,
): Promise<{ removed: number }> {
  return deps.db.transaction(async (tx) => {
    const removed = await removeVanishedItems(tx, sourceId, [path], []);
    await deps.vectors.deleteByItems(removed, tx);
    await tx.query('DELETE FROM meetings WHERE source_id = $1 AND source_path = $2', [sourceId, path]);
    await tx.query('DELETE FROM source_files WHERE source_id = $1 AND path = $2', [sourceId, path]);
    await tx.query('DELETE FROM quarantine WHERE source_id = $1 AND path = $2', [sourceId, path]);
    await forgetHeldBackIn(tx, sourceId, path);
    return { removed: removed.length };
  });
}

function assertBatchBelongsToSource(sourceId: string, units: readonly ParsedUnit[]): void {
  const seen = new Map<string, string>();
  const paths = new Set<string>();
  for (const unit of units) {
    if (paths.has(unit.path)) throw new Error(`unit ${unit.path} appears twice in one batch`);
    paths.add(unit.path);
    for (const item of unit.items) {
      if (item.sourceId !== sourceId) throw new Error(`item ${item.id} belongs to source ${item.sourceId}, not ${sourceId}`);
      const other = seen.get(item.id);
      if (other === unit.path) throw new Error(`item ${item.id} appears twice in ${unit.path}`);
      if (other !== undefined) throw new Error(`item ${item.id} appears in both ${other} and ${unit.path}`);
      seen.set(item.id, unit.path);
    }
    for (const m of unit.meetings) {
      if (m.sourceId !== sourceId) throw new Error(`meeting ${m.id} belongs to source ${m.sourceId}, not ${sourceId}`);
    }
  }
}

/**
 * Unchanged = same content hash AND same access list. Access is compared on its own because
 * it decides who may retrieve the item (and is copied into every vector's payload): a change
 * of audience must reach the index even if a connector left it out of the content hash.
 */
function needsWrite(item: Item, stored: StoredState | undefined): boolean {
  if (!stored) return true;
  return stored.content_hash !== item.contentHash || !sameMembers(stored.access, item.access);
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((x) => setB.has(x));
}

async function storedStates(sql: Sql, ids: string[], lock: boolean): Promise<Map<string, StoredState>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql.query<StoredState>(
    `SELECT id, content_hash, access, source_path FROM items WHERE id = ANY($1::text[]) ${lock ? 'FOR UPDATE' : ''}`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Vectors per item id, one per chunk (in chunk order). */
async function embedPlans(embedder: Embedder, plans: PlannedItem[]): Promise<Map<string, number[][]>> {
  const texts = plans.flatMap((p) => p.chunks.map((c) => c.text));
  const vectors = texts.length > 0 ? await embedder.embed(texts) : [];
  if (vectors.length !== texts.length) throw new Error(`embedder ${embedder.model} returned ${vectors.length} vectors for ${texts.length} texts`);
  const byItem = new Map<string, number[][]>();
  let next = 0;
  for (const p of plans) {
    byItem.set(p.item.id, vectors.slice(next, next + p.chunks.length));
    next += p.chunks.length;
  }
  return byItem;
}

function pointsOf(plan: PlannedItem, vectors: number[][]): VectorPoint[] {
  const { item } = plan;
  return plan.chunks.flatMap((chunk, i) => {
    const vector = vectors[i];
    // A chunk without words embeds to zero, which no cosine can rank; full-text still has it.
    if (!vector || l2Norm(vector) === 0) return [];
    return [
      {
        chunkId: chunkIdOf(item.id, chunk.position),
        itemId: item.id,
        position: chunk.position,
        vector,
        access: item.access,
        sourceId: item.sourceId,
        kind: item.kind,
        occurredAt: item.occurredAt,
        threadId: item.threadId ?? null,
      },
    ];
  });
}

async function upsertItems(tx: Sql, sourceId: string, entries: readonly { item: Item; path: string }[]): Promise<void> {
  const rows = entries.map(({ item, path }) => ({
    id: item.id,
    source_id: sourceId,
    external_id: item.externalId,
    kind: item.kind,
    title: item.title ?? null,
    body: item.body,
    author_id: item.authorId,
    occurred_at: item.occurredAt.toISOString(),
    thread_id: item.threadId ?? null,
    locator: item.locator,
    access: item.access,
    recipients: item.recipients,
    meta: item.meta,
    content_hash: item.contentHash,
    has_segments: item.segments.length > 0,
    source_path: path,
  }));
  await tx.query(
    `INSERT INTO items (id, source_id, external_id, kind, title, body, author_id, occurred_at, thread_id, locator,
                        access, recipients, meta, content_hash, has_segments, source_path)
     SELECT id, source_id, external_id, kind, title, body, author_id, occurred_at, thread_id, locator,
            access, recipients, meta, content_hash, has_segments, source_path
     FROM jsonb_to_recordset($1::jsonb) AS i(id text, source_id text, external_id text, kind text, title text, body text,
          author_id text, occurred_at timestamptz, thread_id text, locator text, access text[], recipients text[],
          meta jsonb, content_hash text, has_segments boolean, source_path text)
     ON CONFLICT (id) DO UPDATE SET
       source_id = EXCLUDED.source_id, external_id = EXCLUDED.external_id, kind = EXCLUDED.kind,
       title = EXCLUDED.title, body = EXCLUDED.body, author_id = EXCLUDED.author_id,
       occurred_at = EXCLUDED.occurred_at, thread_id = EXCLUDED.thread_id, locator = EXCLUDED.locator,
       access = EXCLUDED.access, recipients = EXCLUDED.recipients, meta = EXCLUDED.meta,
       content_hash = EXCLUDED.content_hash, has_segments = EXCLUDED.has_segments,
       source_path = EXCLUDED.source_path, updated_at = now()`,
    [JSON.stringify(rows)],
  );
}

async function insertChunks(tx: Sql, plans: PlannedItem[]): Promise<void> {
  const rows = plans.flatMap((p) =>
    p.chunks.map((c) => ({
      id: chunkIdOf(p.item.id, c.position),
      item_id: p.item.id,
      position: c.position,
      text: c.text,
      speaker_id: c.speakerId,
      start_ms: c.startMs ?? null,
    })),
  );
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO chunks (id, item_id, position, text, speaker_id, start_ms)
     SELECT id, item_id, position, text, speaker_id, start_ms
     FROM jsonb_to_recordset($1::jsonb) AS c(id text, item_id text, position integer, text text, speaker_id text, start_ms integer)`,
    [JSON.stringify(rows)],
  );
}

/** Items these files produced before but no longer do. Chunks go with them (ON DELETE CASCADE). */
async function removeVanishedItems(tx: Sql, sourceId: string, paths: readonly string[], keep: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `DELETE FROM items WHERE source_id = $1 AND source_path = ANY($2::text[]) AND NOT (id = ANY($3::text[])) RETURNING id`,
    [sourceId, [...paths], [...keep]],
  );
  return rows.map((r) => r.id);
}

/** Upserts the units' meetings and drops the ones these files produced before but no longer do. */
async function upsertMeetings(tx: Sql, sourceId: string, units: readonly ParsedUnit[]): Promise<void> {
  if (units.length === 0) return;
  // (one meeting listed by two units of a batch is stored once, as the later unit says: as if stored one by one)
  const byId = new Map(units.flatMap((unit) => unit.meetings.map((m) => [m.id, { m, unit }] as const)));
  const rows = [...byId.values()].map(({ m, unit }) => ({
    id: m.id,
    calendar_id: m.calendarId,
    event_id: m.eventId,
    series_id: m.seriesId ?? null,
    title: m.title,
    description: m.description,
    starts_at: m.startsAt.toISOString(),
    ends_at: m.endsAt.toISOString(),
    organizer_id: m.organizerId,
    attendee_ids: m.attendeeIds,
    outside_opt_in_count: m.outsideOptInCount,
    status: m.status,
    location: m.location ?? null,
    source_id: m.sourceId,
    item_id: m.itemId ?? null,
    source_path: unit.path,
  }));
  if (rows.length > 0) {
    await tx.query(
      `INSERT INTO meetings (id, calendar_id, event_id, series_id, title, description, starts_at, ends_at, organizer_id,
                             attendee_ids, outside_opt_in_count, status, location, source_id, item_id, source_path)
       SELECT id, calendar_id, event_id, series_id, title, description, starts_at, ends_at, organizer_id,
              attendee_ids, outside_opt_in_count, status, location, source_id, item_id, source_path
       FROM jsonb_to_recordset($1::jsonb) AS m(id text, calendar_id text, event_id text, series_id text, title text,
            description text, starts_at timestamptz, ends_at timestamptz, organizer_id text, attendee_ids text[],
            outside_opt_in_count integer, status text, location text, source_id text, item_id text, source_path text)
       ON CONFLICT (id) DO UPDATE SET
         calendar_id = EXCLUDED.calendar_id, event_id = EXCLUDED.event_id, series_id = EXCLUDED.series_id,
         title = EXCLUDED.title, description = EXCLUDED.description, starts_at = EXCLUDED.starts_at,
         ends_at = EXCLUDED.ends_at, organizer_id = EXCLUDED.organizer_id, attendee_ids = EXCLUDED.attendee_ids,
         outside_opt_in_count = EXCLUDED.outside_opt_in_count, status = EXCLUDED.status, location = EXCLUDED.location,
         source_id = EXCLUDED.source_id, item_id = EXCLUDED.item_id, source_path = EXCLUDED.source_path,
         updated_at = now()`,
      [JSON.stringify(rows)],
    );
  }
  await tx.query(`DELETE FROM meetings WHERE source_id = $1 AND source_path = ANY($2::text[]) AND NOT (id = ANY($3::text[]))`, [
    sourceId,
    units.map((u) => u.path),
    rows.map((m) => m.id),
  ]);
}
