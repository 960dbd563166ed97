/**
 * Connector throughput through the FULL pipeline: a paged sync of N messages (default 10,000) from the local Slack
 * Web API and Gmail stand-ins (test/support/fake-{slack,google}-api.ts, loopback HTTP in the providers' wire
 * formats), registered with credentials as `myc sources add` registers them, read by the service's own connector
 * factories, and driven by the real syncSource workflow on a Temporal dev server (page activities on the provider
 * queue, each storing its page in one transaction and committing the stream's cursor after it), into an in-memory
 * PGlite with pgvector and the local hashing embedder — then extraction over every stored item, as a real sync does.
 *
 * Prints, per provider: items stored per second for the whole workflow run (and for ingest alone: the page
 * activities), the HTTP requests it took (by API method), the pages, and the baseline measured beside it in the
 * same run: the connector reading the same data with no store and no Temporal (what the provider API + normalizing
 * cost on their own).
 *
 *   npx tsx bench/connectors.ts [--messages 10000] [--provider slack|gmail|both] [--json]
 *
 * Uses the Temporal server at TEMPORAL_ADDRESS, else starts a throwaway dev server on a free port.
 */
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { directoryFrom } from '../activities/connectors/files';
import { toPerson } from '../activities/connectors/files/people';
import { connectorFactories } from '../activities/connectors/factories';
import type { Connector, StreamCursor } from '../activities/connectors/port';
import { providerEndpoints } from '../activities/providers/endpoints';
import { openStack, type Stack } from '../clients/runtime';
import { resolveTemporalCli } from '../infra/temporal-cli';
import { startTemporalDevServer } from '../infra/temporal-server';
import { Person } from '../schemas/entities';
import { syncWorkflowId } from '../workflows/ids';
import { SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../workflows/sync-defs';
import { startFakeGoogleApi, type FakeGoogleApi } from '../test/support/fake-google-api';
import { startFakeSlackApi, type FakeSlackApi } from '../test/support/fake-slack-api';
import { workflowResult } from '../clients/client/temporal';

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const opts = new Command('connectors')
  .option('--messages <n>', 'messages at the source', positive, 10_000)
  .addOption(new Option('--provider <p>', 'which provider').choices(['slack', 'gmail', 'both']).default('both'))
  .option('--json', 'one JSON object on stdout')
  .parse()
  .opts<{ messages: number; provider: 'slack' | 'gmail' | 'both'; json?: boolean }>();

interface Figures {
  provider: string;
  messages: number;
  itemsStored: number;
  pages: number;
  requests: number;
  requestsByMethod: Record<string, number>;
  /** the whole syncSource run: ingest, extraction, follow-ups */
  workflowSeconds: number;
  itemsPerSecond: number;
  /** the page activities alone (read + store + cursor), from their history events */
  ingestSeconds: number;
  ingestItemsPerSecond: number;
  /** baseline: the connector alone, same data, no store, no Temporal */
  connectorOnlyItemsPerSecond: number;
  /** ours (ingest) / connector alone */
  ratio: number;
}

const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));

/** Reads every stream of the connector to its end with no store: the baseline. */
async function readAlone(connector: Connector, people: Person[]): Promise<number> {
  let items = 0;
  for (const stream of connector.streams()) {
    let cursor: StreamCursor | null = null;
    for (;;) {
      const page = await connector.readPage(stream, cursor, { sourceId: 'bench', directory: directoryFrom(people), now: new Date(), log, heartbeat: () => undefined });
      items += page.units.reduce((n, u) => n + u.items.length, 0);
      cursor = page.cursor;
      if (!page.more) break;
    }
  }
  return items;
}

async function runSync(stack: Stack, sourceId: string): Promise<{ result: SyncResult; workflowSeconds: number; ingestSeconds: number }> {
  const started = performance.now();
  const handle = await stack.client.workflow.start<SyncSource>(SYNC_WORKFLOW_TYPE, {
    workflowId: syncWorkflowId(sourceId),
    taskQueue: stack.taskQueue,
    args: [{ sourceId, immediate: true }],
  });
  const result = await workflowResult(handle);
  const workflowSeconds = (performance.now() - started) / 1000;
  // ingest alone: from the first page activity scheduled to the last one completed
  const events = (await handle.fetchHistory()).events ?? [];
  const at = (e: (typeof events)[number]): number => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
  const pageScheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncStreamPage');
  const scheduledIds = new Set(pageScheduled.map((e) => String(e.eventId)));
  const pageCompleted = events.filter((e) => e.activityTaskCompletedEventAttributes && scheduledIds.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)));
  const ingestSeconds = (at(pageCompleted.at(-1)!) - at(pageScheduled[0]!)) / 1000;
  return { result, workflowSeconds, ingestSeconds };
}

function figuresOf(provider: string, messages: number, run: Awaited<ReturnType<typeof runSync>>, requests: string[], aloneItemsPerSecond: number): Figures {
  const byMethod: Record<string, number> = {};
  for (const method of requests) byMethod[method] = (byMethod[method] ?? 0) + 1;
  const stored = run.result.inserted;
  const ingestItemsPerSecond = stored / run.ingestSeconds;
  return {
    provider,
    messages,
    itemsStored: stored,
    pages: run.result.pages ?? 0,
    requests: requests.length,
    requestsByMethod: byMethod,
    workflowSeconds: Number(run.workflowSeconds.toFixed(2)),
    itemsPerSecond: Math.round(stored / run.workflowSeconds),
    ingestSeconds: Number(run.ingestSeconds.toFixed(2)),
    ingestItemsPerSecond: Math.round(ingestItemsPerSecond),
    connectorOnlyItemsPerSecond: Math.round(aloneItemsPerSecond),
    ratio: Number((ingestItemsPerSecond / aloneItemsPerSecond).toFixed(3)),
  };
}

async function benchSlack(stack: Stack, messages: number): Promise<Figures> {
  const slack: FakeSlackApi = await startFakeSlackApi(Math.floor(Date.now() / 1000) - messages - 60);
  try {
    process.env.MYCELIUM_SLACK_BASE_URL = slack.url;
    // 20 channels; every 10th top-level message starts a thread of 2 replies (replies count toward N)
    slack.generate({ messages, channels: 20, users: 50, threadEvery: 10, repliesPerThread: 2 });
    const people = slack.users.map((u) => toPerson({ email: u.email!, name: u.real_name ?? u.name, optedIn: true, slackId: u.id }));
    await stack.store.upsertPeople(people);
    const source = { id: `bench-slack-${Date.now().toString(36)}`, kind: 'slack' as const, config: { pageSize: 200 }, ownerId: null };
    const credentials = { provider: 'slack' as const, kind: 'bot-token' as const, token: slack.token };

    const started = performance.now();
    const alone = await readAlone(connectorFactories.slack!(source, credentials, { endpoints: providerEndpoints(process.env) }), people);
    const aloneRate = alone / ((performance.now() - started) / 1000);
    slack.requests.length = 0;

    await stack.sources.register({ ...source, secret: JSON.stringify(credentials) });
    const run = await runSync(stack, source.id);
    return figuresOf('slack', messages, run, slack.requests.map((r) => r.method), aloneRate);
  } finally {
    await slack.close();
  }
}

async function benchGmail(stack: Stack, messages: number): Promise<Figures> {
  const google: FakeGoogleApi = await startFakeGoogleApi();
  try {
    process.env.MYCELIUM_GOOGLE_BASE_URL = google.url;
    process.env.MYCELIUM_GOOGLE_TOKEN_URL = `${google.url}/token`;
    const box = 'bench@acme.test';
    const team = ['ana@acme.test', 'bob@acme.test', 'cara@acme.test', box];
    const people = team.map((id) => Person.parse({ id, name: id.split('@')[0], optedIn: true, identities: [{ provider: 'email', externalId: id }] }));
    await stack.store.upsertPeople(people);
    // threads of 4 messages: 10,000 messages are 2,500 threads
    google.generateMail(box, { threads: Math.ceil(messages / 4), perThread: 4, people: team });
    const source = { id: `bench-gmail-${Date.now().toString(36)}`, kind: 'google' as const, config: { mailboxes: [box] }, ownerId: null };
    const credentials = { provider: 'google' as const, kind: 'oauth' as const, clientId: 'bench', clientSecret: 'bench', refreshToken: 'bench' };

    const started = performance.now();
    const alone = await readAlone(connectorFactories.google!(source, credentials, { endpoints: providerEndpoints(process.env) }), people);
    const aloneRate = alone / ((performance.now() - started) / 1000);
    google.requests.length = 0;

    await stack.sources.register({ ...source, secret: JSON.stringify(credentials) });
    const run = await runSync(stack, source.id);
    const methods = google.requests.map((r) => `${r.method} ${r.path.replace(/\/users\/[^/]+/, '/users/{box}').replace(/\/threads\/[^/]+$/, '/threads/{id}')}`);
    return figuresOf('gmail', messages, run, methods, aloneRate);
  } finally {
    await google.close();
  }
}

async function main(): Promise<void> {
  process.env.MYCELIUM_SECRET_KEY ??= randomBytes(32).toString('base64');
  // no push set-up in a benchmark: only the sync is measured
  delete process.env.MYCELIUM_PUBLIC_URL;
  const namespace = 'mycelium-bench-connectors';
  const server = process.env.TEMPORAL_ADDRESS?.trim()
    ? undefined
    : await startTemporalDevServer({ cli: await resolveTemporalCli({ log }), log, namespace, port: 0, uiPort: false, dbFile: null });
  const address = process.env.TEMPORAL_ADDRESS?.trim() || server!.address;
  if (!server) {
    const connection = await Connection.connect({ address });
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') }).catch(() => undefined);
    await connection.close();
  }
  const stack = await openStack({ worker: true, temporalAddress: address, namespace, taskQueue: `bench-connectors-${process.pid}`, pgliteDir: null, log, outboxDir: `/tmp/myc-bench-outbox-${process.pid}` });
  const results: Figures[] = [];
  try {
    if (opts.provider !== 'gmail') results.push(await benchSlack(stack, opts.messages));
    if (opts.provider !== 'slack') results.push(await benchGmail(stack, opts.messages));
  } finally {
    await stack.close();
    await server?.stop();
  }

  if (opts.json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(results.map((r) => [r.provider, r])))}\n`);
    return;
  }
  for (const f of results) {
    const rows: [string, string][] = [
      ['messages at the source', String(f.messages)],
      ['items stored', String(f.itemsStored)],
      ['pages (activities)', String(f.pages)],
      ['HTTP requests', `${f.requests} (${Object.entries(f.requestsByMethod).map(([m, n]) => `${m} ${n}`).join(', ')})`],
      ['syncSource run (ingest + extraction)', `${f.workflowSeconds} s → ${f.itemsPerSecond} items/s`],
      ['ingest (page activities)', `${f.ingestSeconds} s → ${f.ingestItemsPerSecond} items/s`],
      ['baseline: connector alone', `${f.connectorOnlyItemsPerSecond} items/s`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\n${f.provider}: paged sync through syncSource (Temporal dev server, PGlite, hashing embedder)\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
    process.stdout.write(`verdict: ${f.ingestItemsPerSecond} items/s ingested (${f.ratio}× the connector alone) with ${f.requests} requests for ${f.messages} messages\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
