/**
 * The Slack Events API endpoint over real HTTP, with a real store and Temporal: Slack's signing (v0 HMAC-SHA256
 * over the timestamp and the raw body) is checked before anything happens, stale timestamps are refused, the
 * url_verification challenge is answered, and an event becomes a sync request to the workspace's source.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookRoutes } from '../../../clients/webhooks/routes';
import { slackSignature, syncRequestFor } from '../../../clients/webhooks/slack';
import { syncWorkflowId } from '../../../workflows/ids';
import { openTestStack, type TestStack } from '../../support/stack';

let stack: TestStack;
let server: ServerType;
let base: string;
const run = Date.now().toString(36);
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
let sources = 0;

async function newSource(teamId: string, signingSecret: string | undefined = SECRET): Promise<string> {
  const id = `slack-hook-${run}-${++sources}`;
  // the signing secret lives in the source's credentials, sealed at rest, as `myc sources add` stores it
  await stack.sources.register({
    id,
    kind: 'slack',
    config: { teamId, recheckDays: 7 },
    ownerId: null,
    secret: JSON.stringify({ provider: 'slack', kind: 'bot-token', token: 'xoxb-unused', ...(signingSecret ? { signingSecret } : {}) }),
  });
  return id;
}

function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}/webhooks/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** a request signed as Slack signs it */
function signed(payload: unknown, options: { secret?: string; at?: number } = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  const timestamp = String(options.at ?? Math.floor(Date.now() / 1000));
  return post(body, { 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': slackSignature(options.secret ?? SECRET, timestamp, body) });
}

const messageEvent = (teamId: string, extra: Record<string, unknown> = {}) => ({
  token: 'deprecated-verification-token',
  team_id: teamId,
  api_app_id: 'A0APP',
  event: { type: 'message', channel: 'C1', user: 'UANA', text: 'hello', ts: `${Math.floor(Date.now() / 1000)}.000100`, event_ts: '1.0', channel_type: 'channel', ...extra },
  type: 'event_callback',
  event_id: `Ev${run}`,
  event_time: Math.floor(Date.now() / 1000),
});

async function started(sourceId: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(syncWorkflowId(sourceId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
}

beforeAll(async () => {
  process.env.MYCELIUM_SECRET_KEY ??= randomBytes(32).toString('base64');
  stack = await openTestStack({ name: 'slack-webhooks' });
  const app = new Hono().route('/webhooks', createWebhookRoutes({ stack: async () => stack, log: pino({ level: 'silent' }) }));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.close();
});

describe('Slack Events API', () => {
  it('answers url_verification with its challenge when the signature is right, and triggers nothing', async () => {
    const sourceId = await newSource(`T${run}A`);
    const response = await signed({ token: 'x', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    expect(await started(sourceId)).toBe(false);

    const forged = await signed({ challenge: 'c', type: 'url_verification' }, { secret: 'not-the-secret' });
    await expectRefused(forged);
  });

  it('turns a signed message event into a sync request for the workspace’s source', async () => {
    const teamId = `T${run}B`;
    const sourceId = await newSource(teamId);
    const other = await newSource(`T${run}OTHER`);
    const response = await signed(messageEvent(teamId));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, triggered: 1 });
    expect(await started(sourceId)).toBe(true);
    expect(await started(other)).toBe(false);
  });

  it('refuses a forged signature, a tampered body, a stale or missing timestamp, with no side effects', async () => {
    const teamId = `T${run}C`;
    const sourceId = await newSource(teamId);
    await expectRefused(await signed(messageEvent(teamId), { secret: 'guessed-secret' }));

    // signed, then the body changed on the way
    const timestamp = String(Math.floor(Date.now() / 1000));
    const genuine = JSON.stringify(messageEvent(teamId));
    const tampered = genuine.replace('hello', 'HELLO');
    await expectRefused(await post(tampered, { 'X-Slack-Request-Timestamp': timestamp, 'X-Slack-Signature': slackSignature(SECRET, timestamp, genuine) }));

    // a genuine request replayed ten minutes later
    await expectRefused(await signed(messageEvent(teamId), { at: Math.floor(Date.now() / 1000) - 600 }));
    await expectRefused(await post(genuine, { 'X-Slack-Signature': slackSignature(SECRET, timestamp, genuine) }));
    await expectRefused(await post(genuine, { 'X-Slack-Request-Timestamp': timestamp }));
    expect(await started(sourceId)).toBe(false);
  });

  it('verifies with MYCELIUM_SLACK_SIGNING_SECRET when the source has no signing secret of its own', async () => {
    const teamId = `T${run}E`;
    const sourceId = await newSource(teamId, ''); // no secret of its own
    const saved = process.env.MYCELIUM_SLACK_SIGNING_SECRET;
    process.env.MYCELIUM_SLACK_SIGNING_SECRET = 'env-signing-secret';
    try {
      await expectRefused(await signed(messageEvent(teamId)));
      expect(await started(sourceId)).toBe(false);
      const response = await signed(messageEvent(teamId), { secret: 'env-signing-secret' });
      expect(await response.json()).toEqual({ received: true, triggered: 1 });
      expect(await started(sourceId)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.MYCELIUM_SLACK_SIGNING_SECRET;
      else process.env.MYCELIUM_SLACK_SIGNING_SECRET = saved;
    }
  });

  it('acknowledges events that change nothing it reads without syncing', async () => {
    const teamId = `T${run}D`;
    const sourceId = await newSource(teamId);
    const response = await signed({ ...messageEvent(teamId), event: { type: 'reaction_added', user: 'UANA', reaction: 'thumbsup', item: { type: 'message', channel: 'C1', ts: '1.0' } } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true, triggered: 0 });
    expect(await started(sourceId)).toBe(false);
  });
});

describe('which sync an event asks for', () => {
  const now = new Date('2030-01-15T12:00:00Z');
  const source = { recheckDays: 7 };
  const tsDaysAgo = (days: number) => `${Math.floor(now.getTime() / 1000 - days * 86400)}.000200`;
  const envelope = (event: Record<string, unknown>) => ({ type: 'event_callback', team_id: 'T1', event });

  it('asks an incremental sync for a new message, a recent edit or deletion, and a membership change', () => {
    expect(syncRequestFor(envelope({ type: 'message', channel: 'C1', ts: tsDaysAgo(0) }), source, now)).toEqual({ reason: 'slack message in C1' });
    expect(syncRequestFor(envelope({ type: 'message', subtype: 'message_deleted', channel: 'C1', deleted_ts: tsDaysAgo(2) }), source, now)?.full).toBeUndefined();
    expect(syncRequestFor(envelope({ type: 'message', subtype: 'message_changed', channel: 'C1', message: { ts: tsDaysAgo(1) } }), source, now)?.full).toBeUndefined();
    expect(syncRequestFor(envelope({ type: 'member_joined_channel', channel: 'G1', user: 'U1' }), source, now)).toEqual({ reason: 'slack member_joined_channel in G1' });
  });

  it('asks a full pass when the touched thread is older than the recheck window', () => {
    expect(syncRequestFor(envelope({ type: 'message', subtype: 'message_deleted', channel: 'C1', deleted_ts: tsDaysAgo(30) }), source, now)).toMatchObject({ full: true });
    expect(syncRequestFor(envelope({ type: 'message', subtype: 'message_changed', channel: 'C1', message: { ts: tsDaysAgo(8) } }), source, now)).toMatchObject({ full: true });
    expect(syncRequestFor(envelope({ type: 'message', channel: 'C1', ts: tsDaysAgo(0), thread_ts: tsDaysAgo(10) }), source, now)).toMatchObject({ full: true });
  });

  it('asks nothing for events that change nothing it reads', () => {
    expect(syncRequestFor(envelope({ type: 'reaction_added' }), source, now)).toBeUndefined();
    expect(syncRequestFor({ type: 'event_callback' }, source, now)).toBeUndefined();
  });
});
