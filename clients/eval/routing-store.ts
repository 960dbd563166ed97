/**
 * Loads a recipient-prediction history into a fresh in-memory store through the normal write path: people into the
 * directory (everyone in the history counts as opted in, as the eval protocol says), every message as an email item
 * (its access list is who it went to, as the mail headers say), stored in units like a connector's pages, so the
 * coordination graph is built by the same ingest a sync runs.
 */
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { subjectThreadKey } from '../../activities/intelligence/routing/threads';
import { itemIdFor } from '../../activities/connectors/files/ids';
import { openDb } from '../../activities/memory/db';
import { migrate } from '../../activities/memory/migrate';
import type { Db } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { Item, PersonId, type Person } from '../../schemas/entities';
import { recipientsOf, type HistoryMessage, type TestQuery } from './routing-data';

export const ROUTING_SOURCE_ID = 'eval-mail';
/** the test messages, stored one by one as they are routed (recipients unknown), as the service would see them arrive */
export const STREAM_SOURCE_ID = 'eval-stream';
const UNIT_SIZE = 500;

export interface LoadedHistory {
  db: Db;
  store: MemoryStore;
  people: number;
  items: number;
  /** addresses that are not valid person ids (left out, with the messages' other addresses kept) */
  droppedAddresses: number;
  loadMs: number;
  /** the history was already in the kept store (`dataDir`): loadMs is only the time to open it */
  reused: boolean;
}

const validAddress = (a: string) => PersonId.safeParse(a).success;

/**
 * A message as an email item of `sourceId`: its access list is who it went to, as the mail headers say. Undefined
 * for a sender that is no valid person id.
 */
function mailItem(sourceId: string, m: TestQuery, recipientAddresses: readonly string[]): Item | undefined {
  if (!validAddress(m.sender)) return undefined;
  const recipients = recipientAddresses.filter(validAddress);
  const threadId = subjectThreadKey(m.subject);
  return Item.parse({
    id: itemIdFor(sourceId, m.id),
    sourceId,
    externalId: m.id,
    kind: 'email',
    title: m.subject,
    body: m.body,
    authorId: m.sender,
    occurredAt: m.date,
    ...(threadId ? { threadId } : {}),
    locator: `mid:${m.id}`,
    access: [...new Set([m.sender, ...recipients])].sort(),
    recipients,
    meta: { subject: m.subject },
    segments: [],
    contentHash: createHash('sha256').update(JSON.stringify([m.id, m.subject, m.body, recipients])).digest('hex'),
  });
}

/**
 * What identifies a loaded history: a kept store holding another one is loaded afresh — and so is one whose messages
 * were threaded by another version of the subject key (threads are stored with the items).
 */
function historyFingerprint(history: readonly HistoryMessage[]): string {
  const hash = createHash('sha256');
  for (const m of history) hash.update(`${m.id}\u0000${m.date.toISOString()}\u0000${subjectThreadKey(m.subject) ?? ''}\u0000`);
  return hash.digest('hex');
}

export interface LoadOptions {
  /** a PGlite directory to keep the loaded store in; a later run on the same history reuses it instead of loading */
  dataDir?: string;
  onProgress?: (done: number) => void;
}

export async function loadHistory(history: readonly HistoryMessage[], options: LoadOptions = {}): Promise<LoadedHistory> {
  const t0 = performance.now();
  const db = await openDb(options.dataDir ? { dataDir: options.dataDir } : {});
  try {
    await migrate(db);
    const embedder = new LocalHashingEmbedder();
    const vectors = await chooseVectorIndex(db, embedder.dimensions, pino({ level: 'silent' }));
    const store = new MemoryStore({ db, vectors, embedder });
    const fingerprint = historyFingerprint(history);
    const kept = await store.getSource(ROUTING_SOURCE_ID);
    if (kept && (kept.cursor as { fingerprint?: string } | null)?.fingerprint === fingerprint) {
      const { rows } = await db.query<{ items: string; people: string }>(
        'SELECT (SELECT count(*) FROM items WHERE source_id = $1) AS items, (SELECT count(*) FROM people) AS people',
        [ROUTING_SOURCE_ID],
      );
      return { db, store, people: Number(rows[0]?.people ?? 0), items: Number(rows[0]?.items ?? 0), droppedAddresses: 0, loadMs: performance.now() - t0, reused: true };
    }
    if (kept) throw new Error(`${options.dataDir}: holds another history (or this one threaded by another version of the subject key); give an empty directory`);
    await store.upsertSource({ id: ROUTING_SOURCE_ID, kind: 'eval', config: {} });
    const addresses = new Set<string>();
    let dropped = 0;
    for (const m of history) for (const a of [m.sender, ...recipientsOf(m)]) addresses.add(a);
    const people: Person[] = [];
    for (const a of addresses) {
      if (!validAddress(a)) {
        dropped += 1;
        continue;
      }
      people.push({ id: a, name: a.split('@')[0] ?? a, timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [] });
    }
    await store.upsertPeople(people);
    let items = 0;
    for (let i = 0; i < history.length; i += UNIT_SIZE) {
      const unitItems = history.slice(i, i + UNIT_SIZE).flatMap((m) => mailItem(ROUTING_SOURCE_ID, m, recipientsOf(m)) ?? []);
      const path = `history/${String(i / UNIT_SIZE).padStart(5, '0')}`;
      await store.storeUnit(ROUTING_SOURCE_ID, { path, fileHash: createHash('sha256').update(unitItems.map((x) => x.contentHash).join()).digest('hex'), people: [], items: unitItems, meetings: [] });
      items += unitItems.length;
      options.onProgress?.(Math.min(history.length, i + UNIT_SIZE));
    }
    // the fingerprint goes in last: a load cut short is never taken for a whole one
    await store.setCursor(ROUTING_SOURCE_ID, { fingerprint, messages: history.length });
    return { db, store, people: people.length, items, droppedAddresses: dropped, loadMs: performance.now() - t0, reused: false };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * A test message after it was routed, as a connector would store it — with what the protocol gives of it (sender,
 * date, subject, body) and no recipients, which it does not give: later messages of its conversation then see that
 * its sender took part, exactly as the running service sees a conversation grow. Everything routing reads is "as of"
 * a message's date, so a message never sees itself or anything after it.
 */
export async function recordRouted(store: MemoryStore, q: TestQuery): Promise<void> {
  const item = mailItem(STREAM_SOURCE_ID, q, []);
  if (!item) return;
  await store.storeUnit(STREAM_SOURCE_ID, { path: `stream/${q.id}`, fileHash: item.contentHash, people: [], items: [item], meetings: [] });
}

/** Forgets the test messages an earlier run stored (a kept store), so every run replays them from the start. */
export async function forgetRouted(store: MemoryStore): Promise<void> {
  await store.upsertSource({ id: STREAM_SOURCE_ID, kind: 'eval', config: {} });
  for (const unitPath of (await store.fileHashes(STREAM_SOURCE_ID)).keys()) await store.removeUnit(STREAM_SOURCE_ID, unitPath);
}
