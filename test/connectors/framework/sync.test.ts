/**
 * The connector pipeline (activities/connector-sync.ts) driven by the real syncSource workflow on the Temporal dev
 * server, over PGlite and a real Postgres, with a connector that reads a local server speaking Slack's wire format
 * through the real Slack client (channel-connector.ts): the exact requests it receives are checked.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemIdFor } from '../../../activities/connectors/files/ids';
import { SecretBox, parseSecretKey } from '../../../activities/memory/secrets';
import { SourceRegistry } from '../../../activities/memory/sources';
import { addSource, listSources, requestSync, resumeSource } from '../../../clients/sources';
import { syncWorkflowId } from '../../../workflows/ids';
import { SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../../../workflows/sync-defs';
import { createTestDatabase, DB_FLAVORS, type TestDatabase } from '../../support/db';
import { openTestStack, type TestStack } from '../../support/stack';
import { startWireServer, type RecordedRequest, type WireServer } from '../../delivery/wire-server';
import { channelConnector } from './channel-connector';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** a history as text, with every payload's bytes decoded, so a secret in any argument or result would show */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value));
}

const TOKEN = `xoxb-framework-${randomBytes(8).toString('hex')}`;
const TOKEN_ENV = 'FRAMEWORK_TEST_SLACK_TOKEN';
const OWNER = 'owner@team.test';

interface Message {
  ts: string;
  text: string;
  user: string;
}

/** One channel as the Slack stand-in holds it, with the knobs a test turns. */
interface Channel {
  messages: Message[];
  /** delete events served by the next incremental read */
  deletions: string[];
  /** the next incremental read answers "list again" */
  reset: boolean;
  revoked: boolean;
  /** answers served once, before the normal one, in order */
  interrupts: ((request: RecordedRequest) => { status?: number; headers?: Record<string, string>; body?: unknown })[];
  /** the first answer of a page may be altered once (a fault on the way in) */
  alterOnce?: (messages: Message[]) => Message[];
  /** the next paging cursor handed out carries a NUL once: the store refuses it when the page's cursor is committed */
  badCursorOnce?: boolean;
  /** what the server saw, with the store's state at that moment */
  seen: { at: number; cursor?: string; oldest?: string; auth?: string; items: number; storedCursor: unknown }[];
}

function message(n: number, text?: string): Message {
  return { ts: `17000000${String(n).padStart(2, '0')}.000100`, text: text ?? `Message ${n}: the launch checklist needs item ${n} reviewed by Friday.`, user: 'U01OWNER' };
}

describe.each(DB_FLAVORS)('connector framework on %s', (flavor) => {
  let stack: TestStack;
  let database: TestDatabase | undefined;
  let slack: WireServer;
  const channels = new Map<string, Channel>();
  const run = `${flavor}-${Date.now().toString(36)}`;

  const items = async (sourceId: string): Promise<number> =>
    (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE source_id = $1', [sourceId])).rows[0]!.n;
  const storedCursor = async (sourceId: string, stream: string): Promise<unknown> =>
    (await stack.db.query<{ cursor: unknown }>('SELECT cursor FROM source_streams WHERE source_id = $1 AND stream = $2', [sourceId, stream])).rows[0]?.cursor ?? null;

  /** chunks and vectors (whichever vector table this store has) of these items */
  async function leftovers(ids: string[]): Promise<{ chunks: number; vectors: number }> {
    const chunks = (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE item_id = ANY($1::text[])', [ids])).rows[0]!.n;
    let vectors = 0;
    // a table per embedding model (vector-spaces.ts): count in all of them, and there must be one
    const { rows: tables } = await stack.db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'chunk\\_vectors%'`);
    expect(tables.length).toBeGreaterThan(0);
    for (const { t } of tables) vectors += (await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t} WHERE item_id = ANY($1::text[])`, [ids])).rows[0]!.n;
    return { chunks, vectors };
  }

  function channel(id: string, messages: Message[]): Channel {
    const state: Channel = { messages, deletions: [], reset: false, revoked: false, interrupts: [], seen: [] };
    channels.set(id, state);
    return state;
  }

  async function register(sourceId: string, channelId: string, pageSize = 2): Promise<void> {
    await stack.sources.register({
      id: sourceId,
      kind: 'slack',
      config: { channels: [channelId], pageSize, members: [OWNER] },
      ownerId: OWNER,
      secret: JSON.stringify({ provider: 'slack', kind: 'bot-token', token: TOKEN }),
    });
  }

  async function syncNow(sourceId: string): Promise<{ result: SyncResult; history: HistoryEvent[] }> {
    const handle = await stack.client.workflow.start<SyncSource>(SYNC_WORKFLOW_TYPE, {
      workflowId: syncWorkflowId(sourceId),
      taskQueue: stack.taskQueue,
      args: [{ sourceId, immediate: true }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const result = await handle.result();
    return { result, history: (await handle.fetchHistory()).events ?? [] };
  }

  const pageStarts = (history: HistoryEvent[]): HistoryEvent[] => {
    const scheduled = new Set(
      history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncStreamPage').map((e) => String(e.eventId)),
    );
    return history.filter((e) => e.activityTaskStartedEventAttributes && scheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)));
  };

  beforeAll(async () => {
    process.env.MYCELIUM_SECRET_KEY = randomBytes(32).toString('base64');
    database = flavor === 'postgres' ? await createTestDatabase('postgres') : undefined;
    stack = await openTestStack({ name: `connector-framework-${flavor}`, databaseUrl: database?.url, connectors: { slack: channelConnector } });
    slack = await startWireServer();
    process.env.MYCELIUM_SLACK_BASE_URL = slack.url;
    slack.on('POST', '/api/conversations.history', async (request) => {
      const form = request.form();
      const channelId = form.get('channel') ?? '';
      const state = channels.get(channelId);
      if (!state) return { body: { ok: false, error: 'channel_not_found' } };
      const at = Date.now();
      const sourceId = sourceOf.get(channelId) ?? '';
      state.seen.push({
        at,
        cursor: form.get('cursor') ?? undefined,
        oldest: form.get('oldest') ?? undefined,
        auth: request.headers.authorization,
        items: await items(sourceId),
        storedCursor: await storedCursor(sourceId, `channel:${channelId}`),
      });
      if (state.revoked) return { body: { ok: false, error: 'invalid_auth' } };
      if (request.headers.authorization !== `Bearer ${TOKEN}`) return { body: { ok: false, error: 'not_authed' } };
      const interrupt = state.interrupts.shift();
      if (interrupt) return interrupt(request);
      const limit = Number(form.get('limit') ?? 100);
      const oldest = form.get('oldest');
      if (oldest !== null) {
        if (state.reset) {
          state.reset = false;
          return { body: { ok: true, reset: true, messages: [] } };
        }
        const fresh = state.messages.filter((m) => Number(m.ts) > Number(oldest));
        const newest = Math.max(Number(oldest), ...state.messages.map((m) => Number(m.ts)));
        const deleted = state.deletions.map((ts, i) => ({ type: 'message', subtype: 'message_deleted', deleted_ts: ts, ts: `${Math.floor(newest) + 1 + i}.000200` }));
        state.deletions = [];
        return { body: { ok: true, messages: [...fresh, ...deleted], has_more: false } };
      }
      const offset = Number((form.get('cursor') ?? 'c0').slice(1));
      let page = state.messages.slice(offset, offset + limit);
      if (state.alterOnce) {
        page = state.alterOnce(page);
        state.alterOnce = undefined;
      }
      const more = offset + limit < state.messages.length;
      let next = more ? `c${offset + limit}` : '';
      if (more && state.badCursorOnce) {
        state.badCursorOnce = false;
        next = `${next}\u0000`;
      }
      return { body: { ok: true, messages: page, has_more: more, response_metadata: { next_cursor: next } } };
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await slack?.close();
    await database?.dispose();
  });

  /** channel id → source id (a test's channel and its source share a suffix) */
  const sourceOf = new Map<string, string>();
  function setup(name: string, messages: Message[]): { sourceId: string; channelId: string; stream: string; state: Channel } {
    const channelId = `C${name.toUpperCase()}${run.replace(/\W/g, '')}`;
    const sourceId = `slack-${name}-${run}`;
    sourceOf.set(channelId, sourceId);
    return { sourceId, channelId, stream: `channel:${channelId}`, state: channel(channelId, messages) };
  }

  it('lists a channel page by page on the slack task queue, committing each cursor only after its page is stored', async () => {
    const { sourceId, channelId, stream, state } = setup('pages', [1, 2, 3, 4, 5].map((n) => message(n)));
    await register(sourceId, channelId);

    const { result, history } = await syncNow(sourceId);
    expect(result).toMatchObject({ inserted: 5, pages: 3, removed: 0, swept: 0 });
    expect(result.paused).toBeUndefined();
    expect(await items(sourceId)).toBe(5);

    // the exact requests: the token in the header, the paging cursors in order
    expect(state.seen.map((s) => s.cursor)).toEqual([undefined, 'c2', 'c4']);
    expect(state.seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
    // when page k was asked for, page k-1's units were stored AND its cursor committed (never the cursor first)
    expect(state.seen.map((s) => s.items)).toEqual([0, 2, 4]);
    expect(state.seen.map((s) => s.storedCursor)).toEqual([null, { mode: 'full', next: 'c2', newest: message(2).ts }, { mode: 'full', next: 'c4', newest: message(4).ts }]);
    expect(await storedCursor(sourceId, stream)).toEqual({ mode: 'incremental', oldest: message(5).ts });
    const [streamState] = await stack.sources.listStreams(sourceId);
    expect(streamState).toMatchObject({ stream, fullPassId: null, fullPassComplete: false });

    // page activities ran on the provider's own queue; the rest on the main one
    const scheduled = history.filter((e) => e.activityTaskScheduledEventAttributes);
    const queueOf = (name: string): string[] =>
      scheduled.filter((e) => e.activityTaskScheduledEventAttributes!.activityType?.name === name).map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name!);
    expect(queueOf('syncStreamPage')).toEqual([`${stack.taskQueue}-slack`, `${stack.taskQueue}-slack`, `${stack.taskQueue}-slack`]);
    expect(queueOf('describeSyncSource')).toEqual([stack.taskQueue]);

    // a second sync reads incrementally from the newest message: nothing new
    const again = await syncNow(sourceId);
    expect(again.result).toMatchObject({ inserted: 0, pages: 1 });
    expect(state.seen.at(-1)).toMatchObject({ oldest: message(5).ts, cursor: undefined });
  });

  it('a page is stored all or nothing: a unit the store refuses fails the page, whose retry stores it whole from the same cursor', async () => {
    const { sourceId, channelId, stream, state } = setup('crash', [1, 2, 3, 4].map((n) => message(n)));
    // the first answer's third message carries a NUL, which the store refuses (Postgres text cannot hold it): the
    // page's one transaction writes nothing, the activity fails; the retry gets the clean page
    state.alterOnce = (page) => page.map((m, i) => (i === 2 ? { ...m, text: `${m.text}\u0000` } : m));
    await register(sourceId, channelId, 4);

    const { result, history } = await syncNow(sourceId);
    expect(state.seen).toHaveLength(2);
    // the retry asked for the same page (no cursor committed), with nothing of it stored
    expect(state.seen.map((s) => s.cursor)).toEqual([undefined, undefined]);
    expect(state.seen[1]).toMatchObject({ items: 0, storedCursor: null });
    const starts = pageStarts(history);
    expect(starts.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([2]);

    const ids = [1, 2, 3, 4].map((n) => itemIdFor(sourceId, `${channelId}/${message(n).ts}`));
    expect(await items(sourceId)).toBe(4);
    expect(result).toMatchObject({ inserted: 4, unchanged: 0 });
    // one chunk and one vector per message: nothing twice
    expect(await leftovers(ids)).toEqual({ chunks: 4, vectors: 4 });
    expect(await storedCursor(sourceId, stream)).toEqual({ mode: 'incremental', oldest: message(4).ts });
  });

  it('a page whose cursor cannot be committed after its units are stored is read again: nothing lost, nothing stored twice, all of it extracted', async () => {
    const { sourceId, channelId, stream, state } = setup('commit', [1, 2, 3, 4].map((n) => message(n)));
    // the first page's paging cursor carries a NUL: its units are stored, then the store refuses the cursor
    state.badCursorOnce = true;
    await register(sourceId, channelId, 2);

    const { result, history } = await syncNow(sourceId);
    // page 1 twice (its cursor was never committed), then page 2
    expect(state.seen.map((s) => s.cursor)).toEqual([undefined, undefined, 'c2']);
    // the retry found page 1's units stored by the failed attempt, and no cursor
    expect(state.seen[1]).toMatchObject({ items: 2, storedCursor: null });
    const ids = [1, 2, 3, 4].map((n) => itemIdFor(sourceId, `${channelId}/${message(n).ts}`));
    expect(await items(sourceId)).toBe(4);
    expect(result).toMatchObject({ inserted: 2, unchanged: 2 });
    expect(await leftovers(ids)).toEqual({ chunks: 4, vectors: 4 });
    expect(await storedCursor(sourceId, stream)).toEqual({ mode: 'incremental', oldest: message(4).ts });
    // extraction read all four, including the two stored by the failed attempt
    const extracted = history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'extractFromItems');
    const asked = extracted.flatMap((e) => (JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString()) as { itemIds: string[] }).itemIds);
    expect(asked.sort()).toEqual([...ids].sort());
  });

  it('deletes on incremental delete events, with chunks and vectors', async () => {
    const { sourceId, channelId, state } = setup('deletes', [1, 2, 3].map((n) => message(n)));
    await register(sourceId, channelId, 10);
    await syncNow(sourceId);
    const gone = itemIdFor(sourceId, `${channelId}/${message(2).ts}`);
    expect(await leftovers([gone])).toEqual({ chunks: 1, vectors: 1 });

    state.messages = state.messages.filter((m) => m.ts !== message(2).ts).concat(message(4));
    state.deletions = [message(2).ts];
    const { result } = await syncNow(sourceId);
    expect(result).toMatchObject({ inserted: 1, removed: 1 });
    expect(await items(sourceId)).toBe(3);
    expect(await leftovers([gone])).toEqual({ chunks: 0, vectors: 0 });
    expect((await stack.db.query('SELECT 1 FROM source_files WHERE source_id = $1 AND path = $2', [sourceId, `channel:${channelId}/${message(2).ts}`])).rows).toEqual([]);
  });

  it('a full relisting sweeps the units it did not list, with their chunks and vectors', async () => {
    const { sourceId, channelId, stream, state } = setup('sweep', [1, 2, 3, 4, 5].map((n) => message(n)));
    await register(sourceId, channelId);
    await syncNow(sourceId);
    const vanished = [2, 4].map((n) => itemIdFor(sourceId, `${channelId}/${message(n).ts}`));
    expect(await leftovers(vanished)).toEqual({ chunks: 2, vectors: 2 });

    // gone at the source without a delete event; the incremental window expires (as a Google 410 would say)
    state.messages = state.messages.filter((m) => m.ts !== message(2).ts && m.ts !== message(4).ts);
    state.reset = true;
    const before = state.seen.length;
    const { result, history } = await syncNow(sourceId);
    expect(state.seen.slice(before).map((s) => (s.oldest ? `oldest=${s.oldest}` : (s.cursor ?? 'first')))).toEqual([`oldest=${message(5).ts}`, 'first', 'c2']);
    expect(result).toMatchObject({ inserted: 0, swept: 2, removed: 2 });
    expect(await items(sourceId)).toBe(3);
    expect(await leftovers(vanished)).toEqual({ chunks: 0, vectors: 0 });
    expect(history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sweepStream')).toHaveLength(1);
    const [streamState] = await stack.sources.listStreams(sourceId);
    expect(streamState).toMatchObject({ stream, fullPassId: null, fullPassComplete: false });
  });

  it('refused credentials pause the source after one attempt and tell its owner; a paused source is refused until resumed', async () => {
    const { sourceId, channelId, state } = setup('auth', [1, 2].map((n) => message(n)));
    await register(sourceId, channelId);
    state.revoked = true;

    const { result, history } = await syncNow(sourceId);
    expect(result.paused?.reason).toMatch(/invalid_auth/);
    // not retried: one attempt, one request
    expect(pageStarts(history).map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    expect(state.seen).toHaveLength(1);
    expect(history.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(true);

    const source = await stack.sources.get(sourceId);
    expect(source).toMatchObject({ status: 'paused', ownerId: OWNER });
    expect(source?.pausedReason).toMatch(/invalid_auth/);
    const notes = (await readdir(stack.outboxDir)).filter((f) => f.startsWith(`source-paused-${sourceId}-`));
    expect(notes).toHaveLength(1);
    const note = await readFile(join(stack.outboxDir, notes[0]!), 'utf8');
    expect(note).toContain(`to: ["${OWNER}"]`);
    expect(note).toContain(`myc sources resume ${sourceId}`);

    // requests are refused with the reason; a sync that starts anyway reads nothing
    await expect(requestSync(stack, sourceId, { reason: 'test' })).rejects.toThrow(new RegExp(`paused.*invalid_auth.*myc sources resume ${sourceId}`));
    const whilePaused = await syncNow(sourceId);
    expect(whilePaused.result.paused).toBeDefined();
    expect(state.seen).toHaveLength(1);
    expect((await listSources(stack)).find((s) => s.id === sourceId)).toMatchObject({ status: 'paused', ownerId: OWNER });

    // fixed at the provider's side: resume, and the sync it asks for reads the channel
    state.revoked = false;
    const resumed = await resumeSource(stack, sourceId, 'admin@team.test');
    expect(resumed.wasPaused).toBe(true);
    const after = await stack.client.workflow.getHandle(resumed.workflowId, resumed.runId).result();
    expect(after.paused).toBeUndefined();
    expect(await items(sourceId)).toBe(2);
  });

  it("a rate limit is retried after the provider's Retry-After, carried as the failure's nextRetryDelay", async () => {
    const { sourceId, channelId, state } = setup('ratelimit', [1, 2].map((n) => message(n)));
    state.interrupts.push(() => ({ status: 429, headers: { 'retry-after': '3' }, body: { ok: false, error: 'ratelimited' } }));
    await register(sourceId, channelId);

    const { result, history } = await syncNow(sourceId);
    expect(await items(sourceId)).toBe(2);
    expect(result.failed).toEqual([]);
    const [start] = pageStarts(history);
    const attrs = start!.activityTaskStartedEventAttributes!;
    expect(attrs.attempt).toBe(2);
    expect(attrs.lastFailure?.applicationFailureInfo?.type).toBe('SourceRateLimited');
    expect(Number(attrs.lastFailure?.applicationFailureInfo?.nextRetryDelay?.seconds)).toBe(3);
    // the retry waited the 3 s the server asked for, not the policy's 2 s initial interval
    expect(state.seen[1]!.at - state.seen[0]!.at).toBeGreaterThanOrEqual(2_900);
  });

  it('sources add reads the token on the service side, stores it encrypted, and never puts it in workflow history', async () => {
    const { sourceId, channelId } = setup('secret', [1].map((n) => message(n)));
    process.env[TOKEN_ENV] = TOKEN;
    const added = await addSource(stack, { kind: 'slack', sourceId, tokenEnv: TOKEN_ENV, owner: OWNER, config: { channels: [channelId], members: [OWNER] } }, 'admin@team.test');
    expect(added).toMatchObject({ sourceId, kind: 'slack', ownerId: OWNER, status: 'active', credentials: 'Slack bot token' });
    expect(JSON.stringify(added)).not.toContain(TOKEN);

    // at rest: the raw row, in every representation, holds no trace of the token
    const raw = await stack.db.query<{ row: string; hex: string }>(
      "SELECT s::text AS row, encode(ciphertext, 'hex') AS hex FROM source_secrets s WHERE source_id = $1",
      [sourceId],
    );
    expect(raw.rows).toHaveLength(1);
    expect(raw.rows[0]!.row).not.toContain(TOKEN);
    expect(raw.rows[0]!.hex).not.toContain(Buffer.from(TOKEN).toString('hex'));
    const sourceRow = await stack.db.query<{ row: string }>('SELECT s::text AS row FROM sources s WHERE id = $1', [sourceId]);
    expect(sourceRow.rows[0]!.row).not.toContain(TOKEN);

    // the first sync (asked for by sources add) used it, and its history never saw it
    const handle = stack.client.workflow.getHandle(added.workflowId, added.runId);
    await handle.result();
    expect(await items(sourceId)).toBe(1);
    expect(channels.get(channelId)!.seen[0]!.auth).toBe(`Bearer ${TOKEN}`);
    const history = historyText(await handle.fetchHistory());
    expect(history).toContain(sourceId); // payloads are decoded: the check below can see them
    expect(history).not.toContain(TOKEN);
    expect(JSON.stringify(await listSources(stack))).not.toContain(TOKEN);

    // under another key the secret does not open, and says why
    const otherKey = new SourceRegistry({ db: stack.db, secretBox: () => new SecretBox(randomBytes(32)) });
    await expect(otherKey.secret(sourceId)).rejects.toThrow(/encrypted with another MYCELIUM_SECRET_KEY/);
  });
});

describe('MYCELIUM_SECRET_KEY', () => {
  it('is required, and must be 32 bytes in hex or base64', () => {
    expect(() => parseSecretKey(undefined)).toThrow(/MYCELIUM_SECRET_KEY is not set.*openssl rand -base64 32/);
    expect(() => parseSecretKey(randomBytes(16).toString('base64'))).toThrow(/must be 32 bytes.*16 bytes/);
    expect(parseSecretKey(randomBytes(32).toString('hex'))).toHaveLength(32);
    expect(parseSecretKey(randomBytes(32).toString('base64'))).toHaveLength(32);
  });

  it('binds a sealed secret to its source: moved to another source it does not open', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('xoxb-1', 'source-a');
    expect(box.open(sealed, 'source-a')).toBe('xoxb-1');
    expect(() => box.open(sealed, 'source-b')).toThrow(/does not authenticate/);
  });
});
