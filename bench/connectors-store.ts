/**
 * What the batched page store buys: the same connector pages (a paged Slack sync of N messages from the local Web
 * API stand-in, read once and kept in memory) stored twice into fresh in-memory PGlite stores with the hashing
 * embedder — unit by unit (MemoryStore.storeUnit: a transaction and an embedding call per thread, the files path)
 * and page by page (MemoryStore.storeUnits: one transaction and one embedding call per page, what syncStreamPage
 * does). Store time only; reading is excluded from both.
 *
 *   npx tsx bench/connectors-store.ts [--messages 10000] [--json]
 */
import pino from 'pino';
import { directoryFrom } from '../activities/connectors/files/directory';
import { toPerson } from '../activities/connectors/files/people';
import type { StreamCursor, StreamPage } from '../activities/connectors/port';
import { createSlackConnector } from '../activities/connectors/slack';
import { LocalHashingEmbedder } from '../activities/intelligence/embeddings/local';
import { openPglite } from '../activities/memory/db';
import { migrate } from '../activities/memory/migrate';
import { MemoryStore } from '../activities/memory/store';
import { chooseVectorIndex } from '../activities/memory/vector-index';
import type { Person } from '../schemas/entities';
import { startFakeSlackApi } from '../test/support/fake-slack-api';

const at = process.argv.indexOf('--messages');
const MESSAGES = at >= 0 ? Number(process.argv[at + 1]) : 10_000;
if (!Number.isInteger(MESSAGES) || MESSAGES <= 0) throw new Error('--messages must be a positive integer');
const SOURCE = 'slack-store-bench';

async function freshStore(people: Person[]): Promise<{ store: MemoryStore; close: () => Promise<void> }> {
  const db = await openPglite(undefined);
  await migrate(db);
  const embedder = new LocalHashingEmbedder();
  const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions, { info: () => undefined }), embedder });
  await store.upsertPeople(people);
  await store.upsertSource({ id: SOURCE, kind: 'slack', config: {} });
  await store.ready();
  return { store, close: () => db.close() };
}

async function main(): Promise<void> {
  const slack = await startFakeSlackApi();
  slack.generate({ messages: MESSAGES, channels: 20, users: 50, threadEvery: 10, repliesPerThread: 2 });
  const people = slack.users.map((u) => toPerson({ email: u.email!, name: u.real_name ?? u.name, optedIn: true, slackId: u.id }));
  const connector = createSlackConnector({ token: slack.token, baseUrl: slack.url });
  const pages: StreamPage[] = [];
  let cursor: StreamCursor | null = null;
  for (;;) {
    const page: StreamPage = await connector.readPage('channels', cursor, { sourceId: SOURCE, directory: directoryFrom(people), now: new Date(), log: pino({ level: 'silent' }), heartbeat: () => undefined });
    pages.push(page);
    cursor = page.cursor;
    if (!page.more) break;
  }
  await slack.close();
  const items = pages.reduce((n, p) => n + p.units.reduce((m, u) => m + u.items.length, 0), 0);

  const perUnit = await freshStore(people);
  let started = performance.now();
  for (const page of pages) for (const unit of page.units) await perUnit.store.storeUnit(SOURCE, unit);
  const perUnitSeconds = (performance.now() - started) / 1000;
  await perUnit.close();

  const perPage = await freshStore(people);
  started = performance.now();
  for (const page of pages) await perPage.store.storeUnits(SOURCE, page.units, { heldBack: page.heldBack ?? [] });
  const perPageSeconds = (performance.now() - started) / 1000;
  await perPage.close();

  const figures = {
    items,
    pages: pages.length,
    units: pages.reduce((n, p) => n + p.units.length, 0),
    perUnitItemsPerSecond: Math.round(items / perUnitSeconds),
    perPageItemsPerSecond: Math.round(items / perPageSeconds),
    ratio: Number((perUnitSeconds / perPageSeconds).toFixed(2)),
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  process.stdout.write(`Storing ${items} Slack items (${figures.units} threads, ${figures.pages} pages) into PGlite, hashing embedder\n`);
  process.stdout.write(`  unit by unit (storeUnit)   ${figures.perUnitItemsPerSecond} items/s\n`);
  process.stdout.write(`  page by page (storeUnits)  ${figures.perPageItemsPerSecond} items/s\n`);
  process.stdout.write(`verdict: the batched page store is ${figures.ratio}× the unit-by-unit one\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
