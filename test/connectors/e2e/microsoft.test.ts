/**
 * Microsoft 365 end to end, as a user runs it: `sources_add` with app-only credentials (a client-credentials file)
 * → the service's connector factories (Graph and its token endpoint from MYCELIUM_GRAPH_BASE_URL /
 * MYCELIUM_GRAPH_LOGIN_URL) → the real syncSource workflow (push upkeep first: a Graph subscription per channel,
 * then delta pages on the microsoft queue) → PGlite → search as each person sees it. Graph is a local server
 * speaking its wire format (test/support/fake-graph-api.ts); the requests it received are checked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookStore } from '../../../activities/memory/webhooks';
import { findOperation } from '../../../clients/registry';
import { invoke } from '../../../clients/registry/invoke';
import { syncWorkflowId } from '../../../workflows/ids';
import { SYNC_WORKFLOW_TYPE, type SyncResult, type SyncSource } from '../../../workflows/sync-defs';
import { graphError, startFakeGraph, type FakeGraph } from '../../support/fake-graph-api';
import { ALICE, BOB, CAROL, DEV, people } from '../microsoft/setup';
import { seedTeam } from '../microsoft/team-fixture';
import { openTestStack, type TestStack } from '../../support/stack';

const SOURCE = `m365-e2e-${Date.now().toString(36)}`;
const PUBLIC_URL = 'https://myc.contoso.test';
const PRIVATE = '19:private@thread.tacv2';
const GENERAL = '19:general@thread.tacv2';

describe('Microsoft 365 through the service: sources add → syncSource → memory', () => {
  let stack: TestStack;
  let graph: FakeGraph;
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
    graph = await startFakeGraph();
    seedTeam(graph);
    process.env.MYCELIUM_GRAPH_BASE_URL = graph.url;
    process.env.MYCELIUM_GRAPH_LOGIN_URL = graph.url;
    process.env.MYCELIUM_PUBLIC_URL = PUBLIC_URL;
    stack = await openTestStack({ name: 'microsoft-e2e' });
    await stack.store.upsertPeople(people);
    const dir = await mkdtemp(join(tmpdir(), 'myc-m365-e2e-'));
    credentialsFile = join(dir, 'm365.json');
    await writeFile(credentialsFile, JSON.stringify({ tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: 'app-secret' }));
  }, 180_000);

  afterAll(async () => {
    delete process.env.MYCELIUM_PUBLIC_URL;
    await stack?.close();
    await graph?.close();
  });

  it('sources add → first sync: an app-only token from the configured login URL, a subscription per channel, the threads stored', async () => {
    const added = await op<{ workflowId: string; credentials: string }>('sources_add', {
      kind: 'microsoft',
      sourceId: SOURCE,
      credentialsFile,
      config: { teams: [{ teamId: 'T1', channelIds: [PRIVATE, GENERAL] }], pageSize: 2 },
    });
    expect(added.credentials).toMatch(/Microsoft app-only/);
    const first = (await stack.client.workflow.getHandle(added.workflowId).result()) as SyncResult;
    expect(first.failed).toEqual([]);
    expect(first.inserted).toBeGreaterThanOrEqual(3);

    const token = graph.requestsTo(/\/oauth2\/v2\.0\/token$/, 'POST');
    expect(token[0]!.path).toBe('/contoso-tenant/oauth2/v2.0/token');
    expect(new URLSearchParams(token[0]!.body).get('grant_type')).toBe('client_credentials');
    const api = graph.requests.filter((r) => !r.path.endsWith('/token'));
    expect(api.every((r) => r.authorization?.startsWith('Bearer fake-token-'))).toBe(true);
    expect(graph.requestsTo(/\/channels\/.+\/messages\/delta$/).length).toBeGreaterThanOrEqual(2);

    // push upkeep: one subscription per channel, to the service's webhook, with a clientState kept (hashed) in the store
    const subscriptions = graph.requestsTo('/v1.0/subscriptions', 'POST').map((r) => JSON.parse(r.body) as { resource: string; notificationUrl: string; lifecycleNotificationUrl: string });
    expect(subscriptions.map((s) => s.resource).sort()).toEqual([`teams/T1/channels/${encodeURIComponent(GENERAL)}/messages`, `teams/T1/channels/${encodeURIComponent(PRIVATE)}/messages`].sort());
    expect(subscriptions.every((s) => s.notificationUrl === `${PUBLIC_URL}/webhooks/microsoft` && s.lifecycleNotificationUrl === `${PUBLIC_URL}/webhooks/microsoft/lifecycle`)).toBe(true);
    expect((await new WebhookStore({ db: stack.db }).list(SOURCE)).filter((c) => c.status === 'active')).toHaveLength(2);
  });

  it('a private Teams channel is found by its opted-in members only; Dev (outside the opt-in) is held back', async () => {
    expect(await found('Android rollout', ALICE)).toHaveLength(1);
    expect(await found('Android rollout', BOB)).toHaveLength(1);
    expect(await found('Android rollout', CAROL)).toHaveLength(0);
    expect(await found('Lunch on Friday', CAROL)).toHaveLength(1);
    const held = await stack.store.heldBackCounts([DEV]);
    expect(held).toEqual([{ personId: DEV, items: 1, files: 1 }]);
  });

  it('a 429 storm on delta is waited out by Retry-After; a message deleted in Teams leaves memory', async () => {
    graph.delta(`channel:T1/${GENERAL}`).remove('1700000000010');
    const before = graph.requests.length;
    graph.fail('GET', /\/messages\/delta$/, graphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': '2' }), 3);
    const result = await syncNow();
    expect(result.failed).toEqual([]);
    expect(result.removed).toBeGreaterThanOrEqual(1);
    expect(await found('Lunch on Friday', CAROL)).toHaveLength(0);
    const tries = graph.requests.slice(before).filter((r) => /\/messages\/delta$/.test(r.path));
    for (let i = 1; i <= 3; i++) expect(tries[i]!.at - tries[i - 1]!.at).toBeGreaterThanOrEqual(1_900);
    // incremental: from the stored delta link (its token), not a new listing
    expect(tries.at(-1)!.query.get('$deltatoken')).toBeTruthy();
  });

  it('an app secret the identity platform refuses pauses the source and tells its owner', async () => {
    graph.tokenError = { status: 401, error: 'invalid_client' };
    const result = await syncNow();
    expect(result.paused?.reason).toMatch(/invalid_client|401/);
    expect((await stack.sources.get(SOURCE))?.status).toBe('paused');
  });
});
