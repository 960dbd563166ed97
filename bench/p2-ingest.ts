/**
 * P2 ingest: N Slack messages (a synthetic team written as the files connector reads it) through the real
 * syncSource workflow — plan, parse, normalise, chunk, embed, store one transaction per file, then extract —
 * against a raw multi-row INSERT of the very same rows (read back from what the sync stored: items, chunks,
 * vectors) into a fresh store of the same kind, with the same schema and indexes. Twice: without an encoder
 * (every chunk still gets a vector, a cheap function of its text, so the index is written the same way) and
 * with the selected embedder, whose share of the time is counted inside the worker.
 *
 * "Ingest" is the sync from its start to the last stored batch (read from the run's Temporal history); the
 * whole sync (with extraction and reconcile) is reported beside it. Above `wholeSyncMax` items the run is ended
 * once its ingest is done (the workflow's progress leaves 'ingesting'): extraction costs the same per item at any
 * size and would take hours at 100k on one core, while ingest is what this benchmark measures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { requiredTsToMs } from '@temporalio/common/lib/time';
import type { Logger } from 'pino';
import type { Db, Embedder } from '../activities/memory/ports';
import { migrate } from '../activities/memory/migrate';
import { vectorTableName } from '../activities/memory/vectorpoints';
import { syncWorkflowId } from '../workflows/ids';
import { SourceIdAttribute } from '../workflows/search-attributes';
import { progressQuery, SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../workflows/sync-defs';
import { openBenchDb, PrecomputedVectorEmbedder, selectEmbedder, selectVectorIndex, TimedEmbedder, type DbBackend } from './support/backends';
import { say, table, timed, type BenchOutcome } from './support/report';
import { writeSlackTeam } from './support/team';
import { openBenchStack, type BenchTemporal } from './support/world';
import { workflowResult } from '../clients/client/temporal';

export interface P2Options {
  sizes: number[];
  /** the largest size also run with the encoder (default: every size) */
  embeddedMax?: number;
  backend: DbBackend;
  temporal: BenchTemporal;
  embedderName?: string;
  /** sizes above this measure ingest only: the sync is terminated once its ingest is complete (default 10,000) */
  wholeSyncMax?: number;
  log: Logger;
}

const DEFAULT_WHOLE_SYNC_MAX = 10_000;
const wholeSyncMax = (o: P2Options) => o.wholeSyncMax ?? DEFAULT_WHOLE_SYNC_MAX;

interface Run {
  size: number;
  embedding: boolean;
  embedder: string;
  files: number;
  ingest_s: number;
  /** the whole sync (extraction, reconcile); null when the run was ended after its ingest */
  sync_s: number | null;
  items_per_s: number;
  raw_s: number;
  raw_items_per_s: number;
  raw_embed_s: number;
  encoder_s: number;
  encoder_share: number | null;
  chunks: number;
  ratio: number;
  us_per_item: number;
  /** bytes the store holds for this run: the items, chunks and vector tables with their indexes and TOAST */
  store_bytes: number;
  bytes_per_chunk: number;
}

export async function runP2(o: P2Options): Promise<BenchOutcome> {
  const selected = await selectEmbedder(o.embedderName);
  const runs: Run[] = [];
  for (const size of o.sizes) {
    const dir = await mkdtemp(join(tmpdir(), `mycelium-bench-p2-${size}-`));
    try {
      say(`P2: writing a team of ${size} messages`);
      const { files } = await writeSlackTeam(dir, size);
      runs.push(await once(o, dir, size, files, new PrecomputedVectorEmbedder(selected.dimensions), false));
      if (o.embeddedMax === undefined || size <= o.embeddedMax) runs.push(await once(o, dir, size, files, selected, true));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const plain = runs.filter((r) => !r.embedding);
  const smallest = plain[0];
  const largest = plain[plain.length - 1];
  const growth = smallest && largest && largest !== smallest ? largest.us_per_item / smallest.us_per_item : null;
  const worst = Math.min(...plain.map((r) => r.ratio));
  const text = table(
    ['items', 'encoder', 'files', 'ingest s', 'items/s', 'raw INSERT s', 'raw items/s', 'ratio', 'µs/item', 'encoder share', 'bytes/chunk', 'whole sync s'],
    runs.map((r) => [
      r.size,
      r.embedding ? r.embedder : 'none',
      r.files,
      r.ingest_s,
      r.items_per_s,
      r.raw_s + r.raw_embed_s,
      r.raw_items_per_s,
      r.ratio,
      r.us_per_item,
      r.encoder_share === null ? '–' : `${(r.encoder_share * 100).toFixed(1)} %`,
      r.bytes_per_chunk,
      r.sync_s ?? 'ingest only',
    ]),
  );
  const growthText =
    growth === null
      ? 'one size only: no growth figure'
      : `per-item cost ×${growth.toFixed(2)} from ${smallest!.size.toLocaleString('en-US')} to ${largest!.size.toLocaleString('en-US')} items (${growth < 1.25 ? 'linear' : 'super-linear'})`;
  const verdict = `P2 ${worst >= 0.5 ? 'MET' : 'MISSED'}: without an encoder the sync stores at ${worst.toFixed(2)}× the raw INSERT's rate at worst (goal ≥ 0.5); ${growthText}`;
  return {
    key: 'p2',
    title: 'P2 ingest',
    command: '',
    text: `${text}\n(${o.backend}; "ingest" = sync start → last batch stored; raw = multi-row INSERT of the same items, chunks and vectors, 500 rows a statement, same schema and indexes; bytes/chunk = the tables and indexes holding items, chunks and vectors, over chunks; above ${wholeSyncMax(o).toLocaleString('en-US')} items the sync is ended after its ingest)`,
    verdict,
    figures: { backend: o.backend, runs, growth_per_item: growth, ratio: worst, goal: 0.5 },
  };
}

async function once(o: P2Options, dir: string, size: number, files: number, embedder: Embedder, embedding: boolean): Promise<Run> {
  const timedEmbedder = new TimedEmbedder(embedder);
  const suffix = `${size}-${embedding ? 'emb' : 'plain'}-${process.pid}-${Date.now().toString(36)}`;
  const stack = await openBenchStack({ temporal: o.temporal, backend: o.backend, embedder: timedEmbedder, taskQueue: `bench-p2-${suffix}`, worker: true, log: o.log });
  try {
    const sourceId = `bench-p2-${suffix}`;
    await stack.store.upsertSource({ id: sourceId, kind: 'files', config: { root: dir, timeShiftMs: 0 } });
    say(`P2: syncSource of ${size} items (${embedding ? `encoder ${embedder.model}` : 'no encoder'})`);
    const ingestOnly = size > wholeSyncMax(o);
    const sync = await timed(async () => {
      const handle = await o.temporal.client.workflow.start<SyncSource>(SYNC_WORKFLOW_TYPE, {
        workflowId: syncWorkflowId(sourceId),
        taskQueue: stack.taskQueue,
        args: [{ sourceId, immediate: true }],
        typedSearchAttributes: [{ key: SourceIdAttribute, value: sourceId }],
      });
      if (ingestOnly) {
        await ingestDone(handle);
        await handle.terminate(`P2: ingest measured; extraction is skipped above ${wholeSyncMax(o).toLocaleString('en-US')} items`);
        return { handle, inserted: await countItems(stack.db, sourceId) };
      }
      const result: SyncResult = await workflowResult(handle);
      if (result.quarantined.length > 0) throw new Error(`P2: the sync quarantined ${result.quarantined.length} files: ${result.quarantined[0]!.reason}`);
      return { handle, inserted: result.inserted };
    });
    if (sync.value.inserted !== size) throw new Error(`P2: the sync stored ${sync.value.inserted} items, expected ${size}`);
    const ingestMs = await ingestSpanMs(sync.value.handle);
    const encoderMs = timedEmbedder.ms;

    say(`P2: raw INSERT of the same rows`);
    const vectorTable = vectorTableName('chunk_vectors', embedder.model);
    const rows = await readBack(stack.db, vectorTable);
    const storeBytes = await storedBytes(stack.db, vectorTable);
    const raw = await rawInsert(o, rows, embedder, embedding, vectorTable);
    const itemsPerS = size / (ingestMs / 1000);
    const rawPerS = size / ((raw.insertMs + raw.embedMs) / 1000);
    return {
      size,
      embedding,
      embedder: embedder.model,
      files,
      ingest_s: ingestMs / 1000,
      sync_s: ingestOnly ? null : sync.ms / 1000,
      items_per_s: itemsPerS,
      raw_s: raw.insertMs / 1000,
      raw_items_per_s: rawPerS,
      raw_embed_s: raw.embedMs / 1000,
      encoder_s: encoderMs / 1000,
      encoder_share: embedding ? encoderMs / ingestMs : null,
      chunks: rows.chunks.length,
      ratio: itemsPerS / rawPerS,
      us_per_item: (ingestMs * 1000) / size,
      store_bytes: storeBytes,
      bytes_per_chunk: rows.chunks.length > 0 ? storeBytes / rows.chunks.length : 0,
    };
  } finally {
    await stack.close();
  }
}

/** Waits until the sync's progress has left planning and ingest (extraction has begun, or the run ended). */
async function ingestDone(handle: WorkflowHandle): Promise<void> {
  for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return;
    const progress = await handle.query(progressQuery);
    if (progress.phase === 'extracting' || progress.phase === 'reconciling' || progress.phase === 'done') return;
    await setTimeout(delayMs);
  }
}

async function countItems(db: Db, sourceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE source_id = $1`, [sourceId]);
  return rows[0]?.n ?? 0;
}

/** Bytes held by the tables (with their indexes and TOAST) that store items, chunks and vectors. */
async function storedBytes(db: Db, vectorTable: string): Promise<number> {
  const { rows } = await db.query<{ bytes: string }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c WHERE c.relkind = 'r' AND c.relname = ANY($1::text[])`,
    [['items', 'chunks', vectorTable]],
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** From the run's start to the completion of its last ingestFiles activity, as Temporal recorded them. */
async function ingestSpanMs(handle: { fetchHistory(): Promise<{ events?: import('@temporalio/proto').temporal.api.history.v1.IHistoryEvent[] | null }> }): Promise<number> {
  const { events = [] } = await handle.fetchHistory();
  const list = events ?? [];
  const started = requiredTsToMs(list[0]?.eventTime, 'eventTime');
  const ingestScheduled = new Set(
    list.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ingestFiles').map((e) => String(e.eventId)),
  );
  let last = started;
  for (const e of list) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done && ingestScheduled.has(String(done.scheduledEventId))) last = Math.max(last, requiredTsToMs(e.eventTime, 'eventTime'));
  }
  return last - started;
}

interface StoredRows {
  items: Record<string, unknown>[];
  chunks: Record<string, unknown>[];
  vectors: Record<string, unknown>[];
}

const ITEM_COLS = ['id', 'source_id', 'external_id', 'kind', 'title', 'body', 'author_id', 'occurred_at', 'thread_id', 'locator', 'access', 'recipients', 'meta', 'content_hash', 'has_segments', 'source_path'];
const CHUNK_COLS = ['id', 'item_id', 'position', 'text', 'speaker_id', 'start_ms'];
const VECTOR_COLS = ['chunk_id', 'model', 'item_id', 'position', 'embedding', 'access', 'source_id', 'kind', 'occurred_at', 'thread_id'];

async function readBack(db: Db, vectorTable: string): Promise<StoredRows> {
  const items = (await db.query<Record<string, unknown>>(`SELECT ${ITEM_COLS.join(', ')} FROM items ORDER BY id`)).rows;
  const chunks = (await db.query<Record<string, unknown>>(`SELECT ${CHUNK_COLS.join(', ')} FROM chunks ORDER BY id`)).rows;
  const vectors = (await db.query<Record<string, unknown>>(`SELECT ${VECTOR_COLS.filter((c) => c !== 'embedding').join(', ')}, embedding::text AS embedding FROM ${vectorTable} ORDER BY chunk_id`)).rows;
  return { items, chunks, vectors };
}

/** The baseline: the same rows, multi-row INSERT, into a fresh migrated store with the app's vector index ready. */
async function rawInsert(o: P2Options, rows: StoredRows, embedder: Embedder, embedding: boolean, vectorTable: string): Promise<{ insertMs: number; embedMs: number }> {
  const fresh = await openBenchDb(o.backend);
  try {
    await migrate(fresh.db);
    const dims = rows.vectors[0] ? String(rows.vectors[0].embedding).split(',').length : 256;
    await selectVectorIndex(fresh.db, dims, o.log, { model: embedder.model });
    await fresh.db.query(`INSERT INTO sources (id, kind, config) SELECT DISTINCT source_id, 'files', '{}'::jsonb FROM unnest($1::text[]) AS s(source_id)`, [
      [...new Set(rows.items.map((i) => String(i.source_id)))],
    ]);
    let embedMs = 0;
    if (embedding) {
      // with an encoder, the baseline embeds the same chunk texts (same batches as a sync's files: 100 a call)
      const texts = rows.chunks.map((c) => String(c.text));
      const t = await timed(async () => {
        for (let i = 0; i < texts.length; i += 100) await embedder.embed(texts.slice(i, i + 100));
      });
      embedMs = t.ms;
    }
    const insert = await timed(async () => {
      await insertMany(fresh.db, 'items', ITEM_COLS, rows.items, { meta: '::jsonb', access: '::text[]', recipients: '::text[]' });
      await insertMany(fresh.db, 'chunks', CHUNK_COLS, rows.chunks, {});
      await insertMany(fresh.db, vectorTable, VECTOR_COLS, rows.vectors, { embedding: '::vector', access: '::text[]' });
    });
    return { insertMs: insert.ms, embedMs };
  } finally {
    await fresh.dispose();
  }
}

async function insertMany(db: Db, table: string, cols: string[], rows: Record<string, unknown>[], casts: Record<string, string>, perStatement = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += perStatement) {
    const slice = rows.slice(i, i + perStatement);
    const params: unknown[] = [];
    const values = slice.map((row) => `(${cols.map((c) => {
      const v = row[c];
      params.push(c === 'meta' ? JSON.stringify(v ?? {}) : v);
      return `$${params.length}${casts[c] ?? ''}`;
    }).join(', ')})`);
    await db.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values.join(', ')}`, params);
  }
}
