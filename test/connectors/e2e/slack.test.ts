/**
 * Slack end to end, as a user runs it: `sources_add` (the registry operation every surface calls) with a
 * credentials file → the service's own connector factories → the real syncSource workflow on the Temporal dev
 * server (pages on the slack task queue) → PGlite → search, the decision log and `people` as each person sees
 * them. The Slack side is a local server speaking the Web API's wire format (test/support/fake-slack-api.ts);
 * the requests it received are checked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPerson } from '../../../activities/connectors/files/people';
import { findOperation } from '../../../clients/registry';
import { invoke } from '../../../clients/registry/invoke';
import { syncWorkflowId } from '../../../workflows/ids';
import { SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../../../workflows/sync-defs';
import { startFakeSlackApi, type FakeSlackApi } from '../../support/fake-slack-api';
import { openTestStack, type TestStack } from '../../support/stack';

const ANA = 'ana@acme.test';
const BOB = 'bob@acme.test';
const ERIN = 'erin@acme.test';
const SOURCE = `slack-e2e-${Date.now().toString(36)}`;

describe('Slack through the service: sources add → syncSource → memory', () => {
  let stack: TestStack;
  let slack: FakeSlackApi;
  let credentialsFile: string;
  type Principal = { personId: string; scope: 'read' | 'admin'; owner?: boolean };
  const admin: Principal = { personId: ANA, scope: 'admin', owner: true };
  const as = (personId: string) => ({ principal: { personId, scope: 'read' } as Principal, surface: 'in-process' as const, stack: async () => stack });
  const op = async <T>(name: string, input: unknown, context = { principal: admin, surface: 'in-process' as const, stack: async () => stack }): Promise<T> =>
    (await invoke(findOperation(name)!, input, context)) as T;
  /** the hits of a person's search that hold `words` (hybrid search also ranks loosely related chunks) */
  const found = async (words: string, person: string): Promise<string[]> =>
    (await op<{ text: string }[]>('search', { query: words, limit: 10 }, as(person))).map((hit) => hit.text).filter((text) => text.toLowerCase().includes(words.toLowerCase()));

  /** a pass now (or the running one), and its result */
  async function syncNow(): Promise<SyncResult> {
    const handle = await stack.client.workflow.start<SyncSource>(SYNC_WORKFLOW_TYPE, {
      workflowId: syncWorkflowId(SOURCE),
      taskQueue: stack.taskQueue,
      args: [{ sourceId: SOURCE, immediate: true }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return handle.result();
  }

  beforeAll(async () => {
    process.env.MYCELIUM_SECRET_KEY ??= randomBytes(32).toString('base64');
    // messages an hour old: inside the connector's recheck window, so an incremental pass sees edits and deletions
    slack = await startFakeSlackApi(Math.floor(Date.now() / 1000) - 3600);
    process.env.MYCELIUM_SLACK_BASE_URL = slack.url;
    stack = await openTestStack({ name: 'slack-e2e' });
    await stack.store.upsertPeople(
      [
        { email: ANA, name: 'Ana Lima', optedIn: true, slackId: 'UANA' },
        { email: BOB, name: 'Bob Stone', optedIn: true, slackId: 'UBOB' },
        { email: ERIN, name: 'Erin Park', optedIn: true, slackId: 'UERI' },
      ].map(toPerson),
    );
    for (const [id, email] of [['UANA', ANA], ['UBOB', BOB], ['UERI', ERIN], ['UOUT', 'olga@outside.test']] as const) {
      slack.addUser({ id, name: id.toLowerCase(), real_name: id === 'UOUT' ? 'Olga Outside' : id, email });
    }
    slack.addConversation({ id: 'C1', name: 'general', kind: 'public', members: ['UANA', 'UBOB', 'UERI', 'UOUT'] });
    slack.addConversation({ id: 'G1', name: 'acquisition', kind: 'private', members: ['UANA', 'UBOB'] });
    const question = slack.post('C1', { user: 'UANA', text: 'Should we ship the mobile release on Tuesday or wait for the crash fix?' });
    slack.post('C1', { user: 'UBOB', text: 'We decided to ship the mobile release on Tuesday. Ana owns the rollout.', thread_ts: question.ts });
    slack.post('C1', { user: 'UOUT', text: 'Olga here: the vendor contract renewal is in my inbox.' });
    slack.post('G1', { user: 'UANA', text: 'The Zephyr acquisition closes on March 3rd, keep it quiet.' });
    const dir = await mkdtemp(join(tmpdir(), 'myc-slack-e2e-'));
    credentialsFile = join(dir, 'slack.json');
    await writeFile(credentialsFile, JSON.stringify({ token: slack.token, signingSecret: 'e2e-signing-secret' }));
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await slack?.close();
  });

  it('sources add stores the token sealed, learns the workspace (auth.test) and the first sync stores every thread', async () => {
    const added = await op<{ workflowId: string; credentials: string }>('sources_add', { kind: 'slack', sourceId: SOURCE, credentialsFile, config: { pageSize: 2 } });
    expect(added.credentials).toBe('Slack bot token');
    const source = await stack.sources.get(SOURCE);
    expect(source?.config).toMatchObject({ teamId: slack.teamId, pageSize: 2 });
    expect(JSON.stringify(source?.config)).not.toContain(slack.token);
    // the first sync was asked for by sources add: wait for it
    const first = (await stack.client.workflow.getHandle(added.workflowId).result()) as SyncResult;
    expect(first.paused).toBeUndefined();
    expect(first.failed).toEqual([]);
    // the question with its reply (one thread, two items) and the private message; Olga's message is held back
    expect(first.inserted).toBe(3);

    // the exact requests: the token in the header every time, conversations.history paged by cursor with our limit
    expect(slack.calls('auth.test')).toHaveLength(1);
    expect(slack.requests.every((r) => r.authorization === `Bearer ${slack.token}`)).toBe(true);
    const history = slack.calls('conversations.history').filter((r) => r.params.get('channel') === 'C1');
    expect(history.map((r) => r.params.get('limit'))).toEqual(history.map(() => '2'));
    expect(history.slice(1).every((r) => r.params.get('cursor'))).toBe(true);
  });

  it('a private channel’s message is found by its members only; general by everyone opted in', async () => {
    expect(await found('Zephyr acquisition', ANA)).toHaveLength(1);
    expect(await found('Zephyr acquisition', BOB)).toHaveLength(1);
    expect(await found('Zephyr acquisition', ERIN)).toHaveLength(0);
    expect(await found('mobile release on Tuesday', ERIN)).not.toHaveLength(0);
  });

  it('a decision taken in a thread is in the decision log; the person outside the opt-in is held back and shown in people', async () => {
    const decisions = await op<{ statement: string; sources: unknown[] }[]>('decisions_list', {}, as(ERIN));
    const shipped = decisions.find((d) => /ship the mobile release on Tuesday/i.test(d.statement));
    expect(shipped, JSON.stringify(decisions.map((d) => d.statement))).toBeDefined();
    expect(shipped!.sources.length).toBeGreaterThan(0);

    // Olga is not in the directory: nothing she wrote is stored, but that she was held back is
    expect(await found('vendor contract renewal', ANA)).toHaveLength(0);
    const held = await stack.store.heldBackCounts(['olga@outside.test']);
    expect(held).toEqual([{ personId: 'olga@outside.test', items: 1, files: 1 }]);
  });

  it('a message deleted at the source disappears from memory on the next (incremental) sync', async () => {
    const zephyr = slack.conversation('G1').messages[0]!;
    slack.remove('G1', zephyr.ts);
    const result = await syncNow();
    expect(result.removed).toBeGreaterThanOrEqual(1);
    expect(await found('Zephyr acquisition', ANA)).toHaveLength(0);
    // incremental: the private channel was asked from its last seen ts (within the recheck window), not from the start
    const last = slack.calls('conversations.history').filter((r) => r.params.get('channel') === 'G1').at(-1)!;
    expect(last.params.get('oldest')).toBeTruthy();
  });

  it('a 429 storm is waited out by Slack’s Retry-After (Temporal’s nextRetryDelay), then the page is stored', async () => {
    slack.post('C1', { user: 'UERI', text: 'Budget review moved to Thursday afternoon.' });
    const before = slack.requests.length;
    slack.failNext('conversations.history', { status: 429, retryAfter: 2 }, 3);
    const result = await syncNow();
    expect(result.failed).toEqual([]);
    expect(await found('Budget review moved to Thursday', BOB)).not.toHaveLength(0);
    const tries = slack.requests.slice(before).filter((r) => r.method === 'conversations.history');
    // three refused, then answered; each retry came no sooner than Retry-After (2 s) after the refusal
    expect(tries.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i <= 3; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(1_900);
  });

  it('a revoked token pauses the source and tells its owner; nothing is retried', async () => {
    slack.revoked = true;
    const before = slack.requests.length;
    const result = await syncNow();
    expect(result.paused?.reason).toMatch(/token_revoked/);
    expect((await stack.sources.get(SOURCE))?.status).toBe('paused');
    // one refused request, no retries
    expect(slack.requests.slice(before).filter((r) => r.method !== 'auth.test')).toHaveLength(1);
    const notes = (await readdir(stack.outboxDir)).filter((f) => f.startsWith(`source-paused-${SOURCE}-`));
    expect(notes).toHaveLength(1);
  });
});
