/**
 * A Drive push channel end to end over real HTTP, with the real store and Temporal: the connector opens a
 * changes.watch addressed to /webhooks/google/drive and registers it; Google's notification (headers only, with
 * the token we gave) is accepted and becomes the source's sync; a forged token is refused.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewChannels } from '../../../activities/connectors/google';
import { WebhookStore } from '../../../activities/memory/webhooks';
import { createWebhookRoutes } from '../../../clients/webhooks/routes';
import { syncWorkflowId } from '../../../workflows/ids';
import { startFakeGoogleApi, type FakeGoogleApi } from '../../support/fake-google-api';
import { openTestStack, type TestStack } from '../../support/stack';
import { connectorFor } from './helpers';

let stack: TestStack;
let server: ServerType;
let base: string;
let folder: string;
let api: FakeGoogleApi;

beforeAll(async () => {
  stack = await openTestStack({ name: 'google-drive-push' });
  api = await startFakeGoogleApi();
  folder = await mkdtemp(join(tmpdir(), 'mycelium-drive-push-'));
  await writeFile(join(folder, 'people.json'), JSON.stringify({ people: [{ email: 'ana@hooks.test', name: 'Ana', optedIn: true }] }));
  const app = new Hono().route('/webhooks', createWebhookRoutes({ stack: async () => stack, log: pino({ level: 'silent' }) }));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await api?.close();
  await stack?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

const notify = (address: string, channelId: string, token: string | undefined, resourceId: string, state: string, message: number) =>
  fetch(address, {
    method: 'POST',
    headers: {
      'X-Goog-Channel-ID': channelId,
      ...(token !== undefined ? { 'X-Goog-Channel-Token': token } : {}),
      'X-Goog-Resource-ID': resourceId,
      'X-Goog-Resource-State': state,
      'X-Goog-Resource-URI': 'https://www.googleapis.com/drive/v3/changes?alt=json&pageToken=101',
      'X-Goog-Message-Number': String(message),
      'X-Goog-Changed': 'content',
      'Content-Length': '0',
    },
  });

describe('Drive push notifications', () => {
  it('a channel the connector opened is accepted on /webhooks/google/drive and starts the source sync; a forged token is not', async () => {
    const sourceId = `drive-push-${Date.now().toString(36)}`;
    await stack.store.upsertSource({ id: sourceId, kind: 'files', config: { root: folder } });
    const connector = connectorFor(api, { drive: true, actAs: 'admin@acme.test' });
    const webhooks = new WebhookStore({ db: stack.db });
    await renewChannels({ apis: connector.apis, config: connector.config, sourceId, webhooks, publicUrl: base });
    const channel = api.channels.find((c) => c.api === 'drive')!;
    expect(channel.address).toBe(`${base}/webhooks/google/drive`);

    const sync = await notify(channel.address, channel.id, channel.token, channel.resourceId, 'sync', 1);
    expect(sync.status).toBe(200);
    expect(await sync.json()).toEqual({ received: true, triggered: false });

    const forged = await notify(channel.address, channel.id, `${channel.token}x`, channel.resourceId, 'change', 2);
    expect(forged.status).toBe(403);

    const change = await notify(channel.address, channel.id, channel.token, channel.resourceId, 'change', 3);
    expect(change.status).toBe(200);
    expect(await change.json()).toEqual({ received: true, triggered: true });
    const result = await stack.client.workflow.getHandle(syncWorkflowId(sourceId)).result();
    expect(result).toMatchObject({ sourceId, passes: 1 });
    expect((await webhooks.get('google', channel.id))?.lastMessage).toBe(3);
  }, 120_000);
});
