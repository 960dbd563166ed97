/**
 * Slack connector throughput: a full paged sync of N messages (default 10,000) from the local Slack Web API
 * stand-in, through the connector and into the store (MemoryStore.storeUnit per unit on an in-memory PGlite with
 * the local hashing embedder), as the sync pipeline does it. Prints items/s for the whole sync and for the
 * connector alone (read + normalize, the baseline the store's share is measured against), and how many HTTP
 * requests the sync took, per API method.
 *
 *   npx tsx bench/connectors-slack.ts [--messages 10000] [--channels 20] [--json]
 */
import pino from 'pino';
import { LocalHashingEmbedder } from '../activities/intelligence/embeddings/local';
import { directoryFrom } from '../activities/connectors/files/directory';
import { toPerson } from '../activities/connectors/files/people';
import type { ConnectorContext, StreamCursor, StreamPage } from '../activities/connectors/port';
import { createSlackConnector } from '../activities/connectors/slack';
import { openPglite } from '../activities/memory/db';
import { migrate } from '../activities/memory/migrate';
import { MemoryStore } from '../activities/memory/store';
import { chooseVectorIndex } from '../activities/memory/vector-index';
import { startFakeSlackApi } from '../test/support/fake-slack-api';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const MESSAGES = option('messages', 10_000);
const CHANNELS = option('channels', 20);
const USERS = 50;
const SOURCE = 'slack-bench';

async function main(): Promise<void> {
  const slack = await startFakeSlackApi();
  // every 10th top-level message starts a thread of 2 replies (replies count toward N)
  slack.generate({ messages: MESSAGES, channels: CHANNELS, users: USERS, threadEvery: 10, repliesPerThread: 2 });
  const people = slack.users.map((u) =>
    toPerson({ email: u.email!, name: u.real_name ?? u.name, optedIn: true, slackId: u.id }),
  );
  const ctx = (): ConnectorContext => ({
    sourceId: SOURCE,
    directory: directoryFrom(people),
    now: new Date(),
    log: pino({ level: 'silent' }),
    heartbeat: () => undefined,
  });
  const connector = createSlackConnector({ token: slack.token, baseUrl: slack.url });

  // the baseline: the connector alone (HTTP + normalization), no store
  let started = performance.now();
  let cursor: StreamCursor | null = null;
  let readItems = 0;
  for (;;) {
    const page: StreamPage = await connector.readPage('channels', cursor, ctx());
    readItems += page.units.reduce((n, u) => n + u.items.length, 0);
    cursor = page.cursor;
    if (!page.more) break;
  }
  const readSeconds = (performance.now() - started) / 1000;
  slack.requests.length = 0;

  // the sync: connector and store, page by page, units then deletions then the cursor (kept in memory here)
  const db = await openPglite(undefined);
  await migrate(db);
  const embedder = new LocalHashingEmbedder();
  const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions, { info: () => undefined }), embedder });
  await store.upsertPeople(people);
  await store.upsertSource({ id: SOURCE, kind: 'slack', config: {} });
  await store.ready();

  started = performance.now();
  cursor = null;
  let units = 0;
  let inserted = 0;
  let pages = 0;
  for (;;) {
    const page: StreamPage = await connector.readPage('channels', cursor, ctx());
    for (const unit of page.units) {
      const result = await store.storeUnit(SOURCE, unit);
      inserted += result.inserted;
      units += 1;
    }
    for (const path of page.deleted) await store.removeUnit(SOURCE, path);
    cursor = page.cursor;
    pages += 1;
    if (!page.more) break;
  }
  const syncSeconds = (performance.now() - started) / 1000;
  const byMethod: Record<string, number> = {};
  for (const r of slack.requests) byMethod[r.method] = (byMethod[r.method] ?? 0) + 1;
  await db.close();
  await slack.close();

  const figures = {
    messages: MESSAGES,
    channels: CHANNELS,
    itemsStored: inserted,
    units,
    pages,
    requests: slack.requests.length,
    requestsByMethod: byMethod,
    syncSeconds: Number(syncSeconds.toFixed(2)),
    itemsPerSecond: Math.round(inserted / syncSeconds),
    connectorOnlyItemsPerSecond: Math.round(readItems / readSeconds),
    ratio: Number((inserted / syncSeconds / (readItems / readSeconds)).toFixed(3)),
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['messages at the source', String(MESSAGES)],
    ['channels', String(CHANNELS)],
    ['items stored', String(inserted)],
    ['units (threads) / pages', `${units} / ${pages}`],
    ['HTTP requests', `${figures.requests} (${Object.entries(byMethod).map(([m, n]) => `${m} ${n}`).join(', ')})`],
    ['sync wall time', `${figures.syncSeconds} s`],
    ['items/s, connector + store', String(figures.itemsPerSecond)],
    ['items/s, connector alone (baseline)', String(figures.connectorOnlyItemsPerSecond)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`Slack connector, full paged sync (local Web API stand-in, PGlite, hashing embedder)\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  process.stdout.write(
    `verdict: ${figures.itemsPerSecond} items/s stored with ${figures.requests} requests for ${MESSAGES} messages; the store takes ${Math.round((1 - figures.ratio) * 100)}% of the time\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  let cause: unknown = error instanceof Error ? error.cause : undefined;
  while (cause instanceof Error) {
    process.stderr.write(`caused by: ${cause.stack ?? cause.message}\n`);
    cause = cause.cause ?? (cause as { original?: unknown }).original;
  }
  process.exit(1);
});
