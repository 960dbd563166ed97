/**
 * `npx tsx bench/connectors-gmail.ts [--threads 2500] [--per-thread 4] [--store pglite|none]`
 *
 * A paged Gmail sync of threads × per-thread messages (10,000 by default) from the local Google API
 * (test/support/fake-google-api.ts, loopback HTTP in Gmail v1's wire format) through the Google connector and, page
 * by page, into the real store (in-memory PGlite with pgvector, the local hashing embedder), committing the cursor
 * after each page as the sync pipeline does. Prints messages stored per second, the HTTP requests it took, and where
 * the time went (reading from the API vs storing). The baseline it is measured against: the same messages read
 * without storing (`--store none`), i.e. what the connector alone costs.
 */
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { directoryFrom } from '../activities/connectors/files';
import { createGoogleConnector } from '../activities/connectors/google';
import type { StreamCursor } from '../activities/connectors/port';
import { LocalHashingEmbedder } from '../activities/intelligence/embeddings/local';
import { openPglite } from '../activities/memory/db';
import { migrate } from '../activities/memory/migrate';
import { MemoryStore } from '../activities/memory/store';
import { chooseVectorIndex } from '../activities/memory/vector-index';
import { Person } from '../schemas/entities';
import { startFakeGoogleApi } from '../test/support/fake-google-api';

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const opts = new Command('connectors-gmail')
  .option('--threads <n>', 'threads in the mailbox', positive, 2500)
  .option('--per-thread <n>', 'messages per thread', positive, 4)
  .option('--store <kind>', 'pglite (store every page) or none (read only)', 'pglite')
  .parse()
  .opts<{ threads: number; perThread: number; store: 'pglite' | 'none' }>();

const MAILBOX = 'alice@acme.test';
const PEOPLE = ['alice@acme.test', 'bob@acme.test', 'cara@acme.test', 'dan@acme.test', 'erin@acme.test'];
const team = PEOPLE.map((id) => Person.parse({ id, name: id.split('@')[0]!, optedIn: true, identities: [{ provider: 'email', externalId: id }] }));

const api = await startFakeGoogleApi();
api.generateMail(MAILBOX, { threads: opts.threads, perThread: opts.perThread, people: PEOPLE });
const total = opts.threads * opts.perThread;

let store: MemoryStore | undefined;
let close = async (): Promise<void> => undefined;
if (opts.store === 'pglite') {
  const db = await openPglite(undefined);
  await migrate(db);
  store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, undefined, pino({ level: 'silent' })), embedder: new LocalHashingEmbedder() });
  await store.ready();
  await store.upsertPeople(team);
  await store.upsertSource({ id: 'bench-gmail', kind: 'google', config: { mailboxes: [MAILBOX] } });
  close = () => db.close();
}

const connector = createGoogleConnector({ mailboxes: [MAILBOX] }, { kind: 'token', accessToken: async () => 'ya29.bench' }, { baseUrl: api.url });
const ctx = { sourceId: 'bench-gmail', directory: directoryFrom(team), now: new Date(), log: pino({ level: 'silent' }), heartbeat: () => undefined };

let cursor: StreamCursor | null = null;
let items = 0;
let pages = 0;
let readMs = 0;
let storeMs = 0;
const started = performance.now();
for (;;) {
  const t0 = performance.now();
  const page = await connector.readPage(`gmail:${MAILBOX}`, cursor, ctx);
  const t1 = performance.now();
  if (store) {
    for (const unit of page.units) await store.storeUnit('bench-gmail', unit);
    await store.setCursor('bench-gmail', page.cursor); // committed after the page's units, as the pipeline does
  }
  storeMs += performance.now() - t1;
  readMs += t1 - t0;
  items += page.units.reduce((n, u) => n + u.items.length, 0);
  pages++;
  cursor = page.cursor;
  if (!page.more) break;
}
const seconds = (performance.now() - started) / 1000;
const requests = api.requests.length;
await api.close();
await close();

if (items !== total) throw new Error(`stored ${items} of ${total} messages`);
console.log(`gmail sync: ${total} messages (${opts.threads} threads × ${opts.perThread}), store: ${opts.store}`);
console.log(`  ${(items / seconds).toFixed(0)} items/s — ${seconds.toFixed(1)} s in ${pages} pages`);
console.log(`  ${requests} HTTP requests (${(total / requests).toFixed(1)} messages per request)`);
console.log(`  reading (HTTP + parsing): ${(readMs / 1000).toFixed(1)} s, storing (chunks, embeddings, PGlite): ${(storeMs / 1000).toFixed(1)} s`);
