/**
 * Google Workspace end to end, as a user runs it: `sources_add` with an OAuth `authorized_user` file → the service's
 * connector factories (token endpoint and API root from MYCELIUM_GOOGLE_TOKEN_URL / MYCELIUM_GOOGLE_BASE_URL) →
 * the real syncSource workflow (push upkeep first: the Drive watch channel, then the pages on the google queue) →
 * PGlite → search and the decision log as each person sees them. Google is a local server speaking the Gmail and
 * Drive wire formats (test/support/fake-google-api.ts); the requests it received are checked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOperation } from '../../../clients/registry';
import { desiredSchedules, pushUpkeepScheduleId } from '../../../clients/schedules';
import { PUSH_UPKEEP_WORKFLOW_TYPE } from '../../../workflows/push-upkeep-defs';
import { invoke } from '../../../clients/registry/invoke';
import { WebhookStore } from '../../../activities/memory/webhooks';
import { syncWorkflowId } from '../../../workflows/ids';
import { SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../../../workflows/sync-defs';
import { startFakeGoogleApi, TOO_MANY_429, type FakeGoogleApi } from '../../support/fake-google-api';
import { openTestStack, type TestStack } from '../../support/stack';
import { ALICE, BOB, CARA, TEAM } from '../google/helpers';

const SOURCE = `google-e2e-${Date.now().toString(36)}`;
const PUBLIC_URL = 'https://myc.acme.test';
const user = (email: string, role = 'reader') => ({ id: `p-${email}`, type: 'user', emailAddress: email, role });

describe('Google Workspace through the service: sources add → syncSource → memory', () => {
  let stack: TestStack;
  let google: FakeGoogleApi;
  let credentialsFile: string;
  type Principal = { personId: string; scope: 'read' | 'admin'; owner?: boolean };
  const admin: Principal = { personId: ALICE, scope: 'admin', owner: true };
  const as = (personId: string) => ({ principal: { personId, scope: 'read' } as Principal, surface: 'in-process' as const, stack: async () => stack });
  const op = async <T>(name: string, input: unknown, context = { principal: admin, surface: 'in-process' as const, stack: async () => stack }): Promise<T> =>
    (await invoke(findOperation(name)!, input, context)) as T;
  const found = async (words: string, person: string): Promise<string[]> =>
    (await op<{ text: string }[]>('search', { query: words, limit: 10 }, as(person))).map((h) => h.text).filter((t) => t.toLowerCase().includes(words.toLowerCase()));

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
    google = await startFakeGoogleApi();
    process.env.MYCELIUM_GOOGLE_BASE_URL = google.url;
    process.env.MYCELIUM_GOOGLE_TOKEN_URL = `${google.url}/token`;
    process.env.MYCELIUM_PUBLIC_URL = PUBLIC_URL;
    stack = await openTestStack({ name: 'google-e2e' });
    await stack.store.upsertPeople(TEAM);
    google.mailbox(ALICE);
    google.addMessage(ALICE, 'th1', {
      from: `Bob Okafor <${BOB}>`,
      to: [`Alice Chen <${ALICE}>`],
      subject: 'Android first',
      text: 'We decided to ship Android first. Cara owns the store listing.',
      date: new Date(Date.now() - 3_600_000),
    });
    google.addMessage(ALICE, 'th2', { from: 'vendor@outside.test', to: [ALICE], subject: 'Renewal', text: 'Your vendor contract renewal is due.', date: new Date(Date.now() - 3_000_000) });
    google.putFile({ id: 'plan', name: 'Acquisition plan', text: 'The Zephyr acquisition closes on March 3rd.', owners: [{ emailAddress: ALICE }], permissionList: [user(ALICE, 'owner'), user(CARA, 'writer')] });
    const dir = await mkdtemp(join(tmpdir(), 'myc-google-e2e-'));
    credentialsFile = join(dir, 'authorized_user.json');
    await writeFile(credentialsFile, JSON.stringify({ type: 'authorized_user', client_id: 'cid.apps.googleusercontent.com', client_secret: 'cs-secret', refresh_token: '1//rt-secret' }));
  }, 180_000);

  afterAll(async () => {
    delete process.env.MYCELIUM_PUBLIC_URL;
    await stack?.close();
    await google?.close();
  });

  it('sources add → first sync: token from the configured endpoint, every request with it, the Drive watch channel opened', async () => {
    const added = await op<{ workflowId: string; credentials: string }>('sources_add', {
      kind: 'google',
      sourceId: SOURCE,
      credentialsFile,
      config: { mailboxes: [ALICE], drive: true, actAs: ALICE },
    });
    expect(added.credentials).toMatch(/Google OAuth/);
    const first = (await stack.client.workflow.getHandle(added.workflowId).result()) as SyncResult;
    expect(first.failed).toEqual([]);
    // Bob's thread and the plan; the vendor's mail is held back
    expect(first.inserted).toBe(2);

    const token = google.requestsTo(/^\/token$/, 'POST');
    expect(token.length).toBeGreaterThan(0);
    expect(new URLSearchParams(token[0]!.body).get('grant_type')).toBe('refresh_token');
    const api = google.requests.filter((r) => r.path !== '/token');
    expect(api.every((r) => r.authorization === 'Bearer ya29.fake-oauth')).toBe(true);
    // push upkeep ran at the start of the pass: one Drive channel to the service's webhook, registered with its secret
    const watch = google.requestsTo(/^\/drive\/v3\/changes\/watch$/, 'POST');
    expect(watch).toHaveLength(1);
    expect(JSON.parse(watch[0]!.body)).toMatchObject({ type: 'web_hook', address: `${PUBLIC_URL}/webhooks/google/drive` });
    const channels = await new WebhookStore({ db: stack.db }).list(SOURCE);
    expect(channels.map((c) => [c.provider, c.status])).toEqual([['google', 'active']]);
  });

  it('the source has a push Schedule of its own, whose workflow keeps the channel (fresh: nothing to renew) on the google queue', async () => {
    const push = (await desiredSchedules(stack)).find((d) => d.scheduleId === pushUpkeepScheduleId(SOURCE));
    expect(push).toMatchObject({ kind: 'push', workflowType: PUSH_UPKEEP_WORKFLOW_TYPE, args: [{ sourceId: SOURCE, provider: 'google' }] });
    const upkeep = await stack.client.workflow.execute(PUSH_UPKEEP_WORKFLOW_TYPE, { workflowId: `push-test-${SOURCE}`, taskQueue: stack.taskQueue, args: push!.args });
    expect(upkeep).toMatchObject({ sourceId: SOURCE, opened: [], renewed: [], stopped: [] });
    const history = (await stack.client.workflow.getHandle(`push-test-${SOURCE}`).fetchHistory()).events ?? [];
    const scheduled = history.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'maintainPush');
    expect(scheduled?.activityTaskScheduledEventAttributes?.taskQueue?.name).toBe(`${stack.taskQueue}-google`);
  });

  it('a restricted Doc is found by the people it is shared with only; the mail by its recipients', async () => {
    expect(await found('Zephyr acquisition', ALICE)).toHaveLength(1);
    expect(await found('Zephyr acquisition', CARA)).toHaveLength(1);
    expect(await found('Zephyr acquisition', BOB)).toHaveLength(0);
    expect(await found('ship Android first', ALICE)).not.toHaveLength(0);
    expect(await found('ship Android first', CARA)).toHaveLength(0);
  });

  it('a decision in a mail thread is in the decision log; the sender outside the directory is held back', async () => {
    const decisions = await op<{ statement: string }[]>('decisions_list', {}, as(ALICE));
    expect(decisions.map((d) => d.statement).join('\n')).toMatch(/ship Android first/i);
    expect(await stack.store.heldBackCounts(['vendor@outside.test'])).toEqual([{ personId: 'vendor@outside.test', items: 1, files: 1 }]);
  });

  it('a 429 storm on the history API is waited out by Retry-After; a deleted thread leaves memory', async () => {
    const ids = google.requests.length;
    google.addMessage(ALICE, 'th3', { from: `Cara Diaz <${CARA}>`, to: [ALICE], subject: 'Listing', text: 'The store listing copy is ready for review.', date: new Date() });
    google.fail(/\/history$/, TOO_MANY_429(2), 3);
    const result = await syncNow();
    expect(result.failed).toEqual([]);
    expect(await found('store listing copy is ready', ALICE)).toHaveLength(1);
    const tries = google.requests.slice(ids).filter((r) => /\/history$/.test(r.path));
    expect(tries.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i <= 3; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(1_900);
    // the incremental read asked from the stored historyId
    expect(tries.at(-1)!.query.get('startHistoryId')).toBeTruthy();

    google.removeFile('plan');
    const removed = await syncNow();
    expect(removed.removed).toBeGreaterThanOrEqual(1);
    expect(await found('Zephyr acquisition', ALICE)).toHaveLength(0);
  });

  it('a token Google no longer accepts pauses the source and tells its owner', async () => {
    google.refusedTokens.add('ya29.fake-oauth');
    const result = await syncNow();
    expect(result.paused?.reason).toMatch(/401|credentials refused/);
    expect((await stack.sources.get(SOURCE))?.status).toBe('paused');
  });
});
