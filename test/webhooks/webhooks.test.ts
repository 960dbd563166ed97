/**
 * The webhook endpoints over real HTTP, in Google's and Microsoft Graph's wire formats, with a real store and
 * Temporal: handshakes trigger nothing, bad secrets are refused, changes become one debounced sync per burst.
 */
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookStore } from '../../activities/memory/webhooks';
import { createWebhookRoutes } from '../../clients/webhooks/routes';
import { syncWorkflowId } from '../../workflows/ids';
import type { SyncResult } from '../../workflows/sync-defs';
import { openTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let server: ServerType;
let base: string;
let folder: string;
let webhooks: WebhookStore;
const run = Date.now().toString(36);
let sources = 0;

async function newSource(): Promise<string> {
  const id = `hook-${run}-${++sources}`;
  await stack.store.upsertSource({ id, kind: 'files', config: { root: folder } });
  return id;
}

function google(channelId: string, token: string | undefined, state: string, message = 1, resourceId = 'res-1') {
  const headers: Record<string, string> = {
    'X-Goog-Channel-ID': channelId,
    'X-Goog-Resource-ID': resourceId,
    'X-Goog-Resource-State': state,
    'X-Goog-Resource-URI': 'https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json',
    'X-Goog-Message-Number': String(message),
    'X-Goog-Channel-Expiration': 'Tue, 19 Nov 2030 01:13:52 GMT',
    'Content-Length': '0',
  };
  if (token !== undefined) headers['X-Goog-Channel-Token'] = token;
  return fetch(`${base}/webhooks/google/calendar`, { method: 'POST', headers });
}

function graph(path: string, value: Record<string, unknown>[]) {
  return fetch(`${base}/webhooks/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
}

const change = (subscriptionId: string, clientState: string) => ({
  subscriptionId,
  clientState,
  changeType: 'updated',
  resource: 'Users/11111111-2222-3333-4444-555555555555/Events/AAMkAGI2',
  subscriptionExpirationDateTime: '2030-03-20T11:00:00.0000000Z',
  resourceData: { '@odata.type': '#Microsoft.Graph.Event', id: 'AAMkAGI2' },
  tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
});

const lifecycle = (subscriptionId: string, clientState: string, lifecycleEvent: string) => ({
  subscriptionId,
  clientState,
  lifecycleEvent,
  subscriptionExpirationDateTime: '2030-03-20T11:00:00.0000000Z',
  tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
});

async function notStarted(sourceId: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(syncWorkflowId(sourceId)).describe();
    return false;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return true;
    throw error;
  }
}

const syncResult = (sourceId: string): Promise<SyncResult> => stack.client.workflow.getHandle(syncWorkflowId(sourceId)).result();

async function expectErrorShape(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'webhooks' });
  webhooks = new WebhookStore({ db: stack.db });
  folder = await mkdtemp(join(tmpdir(), 'mycelium-webhooks-'));
  await writeFile(join(folder, 'people.json'), JSON.stringify({ people: [{ email: 'ana@hooks.test', name: 'Ana', optedIn: true }] }));
  const app = new Hono().route('/webhooks', createWebhookRoutes({ stack: async () => stack, log: pino({ level: 'silent' }) }));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('Google Calendar push notifications', () => {
  it('acknowledges the sync handshake and triggers nothing', async () => {
    const sourceId = await newSource();
    const { secret } = await webhooks.register({ provider: 'google', channelId: `ch-sync-${run}`, sourceId, resourceId: 'res-1' });
    const response = await google(`ch-sync-${run}`, secret, 'sync', 1);
    expect(response.status).toBe(200);
    expect(await notStarted(sourceId)).toBe(true);
    expect((await webhooks.get('google', `ch-sync-${run}`))?.lastMessage).toBe(1);
  });

  it('refuses a wrong token, an unknown channel, a missing token and a foreign resource, triggering nothing', async () => {
    const sourceId = await newSource();
    const { secret } = await webhooks.register({ provider: 'google', channelId: `ch-bad-${run}`, sourceId, resourceId: 'res-1' });
    await expectErrorShape(await google(`ch-bad-${run}`, `${secret}x`, 'exists'), 403, 'forbidden');
    await expectErrorShape(await google(`ch-unknown-${run}`, secret, 'exists'), 403, 'forbidden');
    await expectErrorShape(await google(`ch-bad-${run}`, undefined, 'exists'), 401, 'unauthorized');
    await expectErrorShape(await google(`ch-bad-${run}`, secret, 'exists', 2, 'res-other'), 403, 'forbidden');
    expect(await notStarted(sourceId)).toBe(true);
  });

  it('turns a burst of 50 change notifications into one sync run with one pass', async () => {
    const sourceId = await newSource();
    const { secret } = await webhooks.register({ provider: 'google', channelId: `ch-burst-${run}`, sourceId, resourceId: 'res-1' });
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => google(`ch-burst-${run}`, secret, i % 2 ? 'exists' : 'not_exists', i + 2)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const result = await syncResult(sourceId);
    expect(result).toMatchObject({ sourceId, passes: 1, requests: 50 });
    expect((await webhooks.get('google', `ch-burst-${run}`))?.lastMessage).toBe(51);
  });
});

describe('Microsoft Graph notifications', () => {
  it('echoes the validationToken as text/plain on both endpoints', async () => {
    for (const path of ['microsoft', 'microsoft/lifecycle']) {
      const token = 'Validation: Testing client application reachability for subscription Request-Id: 1f2e3d';
      const response = await fetch(`${base}/webhooks/${path}?validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toBe(token);
    }
  });

  it('refuses notifications whose clientState is wrong, and drops the bad ones of a mixed delivery', async () => {
    const sourceId = await newSource();
    const { secret } = await webhooks.register({ provider: 'microsoft', channelId: `sub-bad-${run}`, sourceId });
    await expectErrorShape(await graph('microsoft', [change(`sub-bad-${run}`, 'not-the-secret')]), 403, 'forbidden');
    await expectErrorShape(await graph('microsoft', [change(`sub-unknown-${run}`, secret)]), 403, 'forbidden');
    await expectErrorShape(await graph('microsoft', [{ clientState: secret }]), 400, 'invalid_input');
    expect(await notStarted(sourceId)).toBe(true);

    const mixed = await graph('microsoft', [change(`sub-bad-${run}`, 'wrong'), change(`sub-bad-${run}`, secret)]);
    expect(mixed.status).toBe(202);
    expect(await mixed.json()).toEqual({ received: 1, dropped: 1 });
    expect(await syncResult(sourceId)).toMatchObject({ passes: 1, requests: 1 });
  });

  it('records reauthorizationRequired without syncing; subscriptionRemoved and missed trigger a sync', async () => {
    const sourceId = await newSource();
    const { secret } = await webhooks.register({ provider: 'microsoft', channelId: `sub-life-${run}`, sourceId });

    const reauth = await graph('microsoft/lifecycle', [lifecycle(`sub-life-${run}`, secret, 'reauthorizationRequired')]);
    expect(reauth.status).toBe(202);
    expect((await webhooks.get('microsoft', `sub-life-${run}`))?.status).toBe('reauthorization_required');
    expect(await notStarted(sourceId)).toBe(true);

    const missed = await graph('microsoft/lifecycle', [lifecycle(`sub-life-${run}`, secret, 'missed')]);
    expect(missed.status).toBe(202);
    expect(await syncResult(sourceId)).toMatchObject({ passes: 1, requests: 1 });
    const handle = stack.client.workflow.getHandle(syncWorkflowId(sourceId));
    const afterMissed = (await handle.describe()).runId;

    const removed = await graph('microsoft/lifecycle', [lifecycle(`sub-life-${run}`, secret, 'subscriptionRemoved')]);
    expect(removed.status).toBe(202);
    expect((await webhooks.get('microsoft', `sub-life-${run}`))?.status).toBe('removed');
    // the first sync had completed: the request started another one
    const afterRemoved = (await handle.describe()).runId;
    expect(afterRemoved).not.toBe(afterMissed);
    expect(await syncResult(sourceId)).toMatchObject({ passes: 1, requests: 1 });

    // change notifications of a removed subscription no longer sync anything
    const late = await graph('microsoft', [change(`sub-life-${run}`, secret)]);
    expect(late.status).toBe(202);
    expect((await handle.describe()).runId).toBe(afterRemoved);
  });
});
