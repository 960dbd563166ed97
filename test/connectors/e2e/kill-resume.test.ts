/**
 * Kill and resume in the middle of a paged Slack sync: the service's workers run in a child process
 * (test/support/sync-worker.ts, openStack as the service opens it); while the third conversations.history page is
 * being asked for, the process is SIGKILLed. A new worker process takes over the page activity's retry (after its
 * heartbeat timeout) and the same syncSource run finishes: every message is stored exactly once, and the sync
 * resumed from the cursor committed before the kill, not from the start.
 *
 * Real parts throughout: the test run's Temporal dev server, a fresh Postgres database shared by the test and
 * both worker processes, the real connector factories, and a local server speaking Slack's Web API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPerson } from '../../../activities/connectors/files/people';
import { LocalHashingEmbedder } from '../../../activities/intelligence/embeddings/local';
import { SourceRegistry } from '../../../activities/memory/sources';
import { MemoryStore } from '../../../activities/memory/store';
import { chooseVectorIndex } from '../../../activities/memory/vector-index';
import { syncWorkflowId } from '../../../workflows/ids';
import { SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../../../workflows/sync-defs';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { startFakeSlackApi, type FakeSlackApi, type SlackRequest } from '../../support/fake-slack-api';
import { ensureTestNamespace, testTemporalAddress } from '../../support/stack';
import type { SyncWorkerMessage } from '../../support/sync-worker';

const workerScript = fileURLToPath(new URL('../../support/sync-worker.ts', import.meta.url));
const NAMESPACE = 'test-connector-kill';
const TASK_QUEUE = `connector-kill-${process.pid}`;
const SOURCE = `slack-kill-${Date.now().toString(36)}`;
const MESSAGES = 24;
const PAGE = 4;
const SECRET_KEY = randomBytes(32).toString('base64');

interface WorkerProcess {
  process: ChildProcess;
  output(): string;
}

describe('a paged Slack sync survives a SIGKILLed worker', () => {
  let database: TestDatabase;
  let slack: FakeSlackApi;
  let connection: Connection;
  let client: Client;
  let outboxDir: string;
  const children: ChildProcess[] = [];

  async function startWorker(): Promise<WorkerProcess> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MYCELIUM_')));
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env: {
        ...inherited,
        DATABASE_URL: database.url!,
        TEMPORAL_TEST_ADDRESS: testTemporalAddress(),
        SYNC_WORKER_NAMESPACE: NAMESPACE,
        SYNC_WORKER_TASK_QUEUE: TASK_QUEUE,
        SYNC_WORKER_OUTBOX_DIR: outboxDir,
        MYCELIUM_SECRET_KEY: SECRET_KEY,
        MYCELIUM_SLACK_BASE_URL: slack.url,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.on('message', (message: SyncWorkerMessage) => message.type === 'ready' && resolve());
      child.once('exit', (code, signal) => reject(new Error(`the sync worker exited (${signal ?? code}) before it was ready:\n${output}`)));
    });
    return { process: child, output: () => output };
  }

  const count = async (sql: string): Promise<number> => (await database.db.query<{ n: number }>(sql, [SOURCE])).rows[0]!.n;

  beforeAll(async () => {
    await ensureTestNamespace(NAMESPACE);
    database = await createTestDatabase('postgres', { migrate: true });
    process.env.MYCELIUM_SECRET_KEY = SECRET_KEY;
    outboxDir = await mkdtemp(join(tmpdir(), 'myc-kill-outbox-'));
    slack = await startFakeSlackApi(Math.floor(Date.now() / 1000) - 3600);
    slack.addUser({ id: 'UANA', name: 'ana', real_name: 'Ana Lima', email: 'ana@kill.test' });
    slack.addConversation({ id: 'C1', name: 'launch', kind: 'public', members: ['UANA'] });
    for (let n = 1; n <= MESSAGES; n++) slack.post('C1', { user: 'UANA', text: `Launch note ${n}: checklist item ${n} is reviewed.` });

    const embedder = new LocalHashingEmbedder();
    const store = new MemoryStore({ db: database.db, vectors: await chooseVectorIndex(database.db, embedder.dimensions), embedder });
    await store.upsertPeople([toPerson({ email: 'ana@kill.test', name: 'Ana Lima', optedIn: true, slackId: 'UANA' })]);
    await new SourceRegistry({ db: database.db }).register({
      id: SOURCE,
      kind: 'slack',
      config: { channels: ['C1'], pageSize: PAGE },
      ownerId: 'ana@kill.test',
      secret: JSON.stringify({ provider: 'slack', kind: 'bot-token', token: slack.token }),
    });
    connection = await Connection.connect({ address: testTemporalAddress() });
    client = new Client({ connection, namespace: NAMESPACE });
  }, 240_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await connection?.close();
    await slack?.close();
    await database?.dispose();
  });

  it('kills the worker while page 3 is read; a new worker resumes from the committed cursor; nothing lost or stored twice', async () => {
    const history = (): SlackRequest[] => slack.calls('conversations.history').filter((r) => r.params.get('channel') === 'C1');
    let release: () => void = () => undefined;
    const third = new Promise<SlackRequest>((resolve) => {
      slack.hold = (request) => {
        if (request.method !== 'conversations.history' || history().length !== 3) return undefined;
        resolve(request);
        slack.hold = undefined;
        return new Promise<void>((r) => (release = r));
      };
    });

    const first = await startWorker();
    const handle = await client.workflow.start<SyncSource>(SYNC_WORKFLOW_TYPE, {
      workflowId: syncWorkflowId(SOURCE),
      taskQueue: TASK_QUEUE,
      args: [{ sourceId: SOURCE, immediate: true }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const held = await third;
    // two pages stored and their cursor committed before the third was asked for
    expect(await count('SELECT count(*)::int AS n FROM items WHERE source_id = $1')).toBe(2 * PAGE);
    const committed = (await database.db.query<{ cursor: { pass?: { current?: { next?: string } } } }>(
      "SELECT cursor FROM source_streams WHERE source_id = $1 AND stream = 'channels'",
      [SOURCE],
    )).rows[0]!.cursor;
    expect(committed.pass?.current?.next).toBe(held.params.get('cursor'));

    first.process.kill('SIGKILL');
    await new Promise<void>((resolve) => first.process.once('exit', () => resolve()));
    expect(first.process.signalCode).toBe('SIGKILL');
    release();
    const askedBeforeRestart = history().length;

    await startWorker();
    const result = (await handle.result()) as SyncResult;
    expect(result.failed).toEqual([]);
    expect(result.paused).toBeUndefined();

    // nothing lost, nothing twice: one item, one chunk and one vector per message
    expect(await count('SELECT count(*)::int AS n FROM items WHERE source_id = $1')).toBe(MESSAGES);
    expect(await count('SELECT count(DISTINCT external_id)::int AS n FROM items WHERE source_id = $1')).toBe(MESSAGES);
    expect(await count('SELECT count(*)::int AS n FROM chunks c JOIN items i ON i.id = c.item_id WHERE i.source_id = $1')).toBe(MESSAGES);
    let vectors = 0;
    // vectors live in a table per model (vector-spaces.ts): count them wherever they are
    const { rows: tables } = await database.db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'chunk\\_vectors%'`);
    expect(tables.length).toBeGreaterThan(0);
    for (const { t } of tables) vectors += await count(`SELECT count(*)::int AS n FROM ${t} v JOIN items i ON i.id = v.item_id WHERE i.source_id = $1`);
    expect(vectors).toBe(MESSAGES);

    // the new worker went on from the committed cursor: its first history request was the killed one's, again
    const after = history().slice(askedBeforeRestart);
    expect(after[0]!.params.get('cursor')).toBe(held.params.get('cursor'));
    expect(history().filter((r) => !r.params.get('cursor') && !r.params.get('oldest'))).toHaveLength(1);
  }, 360_000);
});
