import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryChannelsFromEnv } from '../../activities/delivery/channels';
import type { DeliveryRequest } from '../../activities/delivery/port';
import { Medium } from '../../schemas/routing';
import { startWireServer, type WireServer } from './wire-server';

const withSlack = { slackUserId: 'U01ALICE' };
const withoutSlack = {};
const graphEnv = {
  MYCELIUM_GRAPH_TENANT_ID: 'tenant-1',
  MYCELIUM_GRAPH_CLIENT_ID: 'app-1',
  MYCELIUM_GRAPH_CLIENT_SECRET: 'graph-s3cret',
  MYCELIUM_GRAPH_SENDER: 'mycelium@acme.test',
};

describe('deliveryChannelsFromEnv', () => {
  let dir: string;
  let googleKey: string;
  let options: { outboxDir: string; docsDir: string };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myc-channels-'));
    options = { outboxDir: join(dir, 'outbox'), docsDir: join(dir, 'decisions') };
    googleKey = join(dir, 'service-account.json');
    await writeFile(googleKey, JSON.stringify({ type: 'service_account', client_email: 'mycelium@acme-project.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n' }));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('with no provider configured, every medium but doc goes to the outbox, and there is no free/busy', () => {
    const channels = deliveryChannelsFromEnv({}, options);
    for (const medium of Medium.options) {
      expect(channels.forMedium(medium, withSlack).name, medium).toBe(medium === 'doc' ? 'doc' : 'outbox');
    }
    expect(channels.freeBusy()).toBeUndefined();
    expect(channels.describe().notes).toEqual([]);
  });

  it('Slack serves DMs to people with a Slack id and channel posts; the rest stays where it was', () => {
    const channels = deliveryChannelsFromEnv({ MYCELIUM_SLACK_TOKEN: 'xoxb-secret' }, options);
    expect(channels.forMedium('chat_dm', withSlack).name).toBe('slack');
    expect(channels.forMedium('chat_dm', withoutSlack).name).toBe('outbox');
    expect(channels.forMedium('chat_channel', withoutSlack).name).toBe('slack');
    expect(channels.forMedium('email', withSlack).name).toBe('outbox');
    expect(channels.forMedium('digest', withSlack).name).toBe('outbox');
    expect(channels.byName('slack')).toBe(channels.forMedium('chat_dm', withSlack));
  });

  it('Google credentials give Gmail for e-mail and Google Calendar for calls and free/busy', () => {
    const channels = deliveryChannelsFromEnv({ MYCELIUM_GOOGLE_CREDENTIALS: googleKey, MYCELIUM_GOOGLE_SENDER: 'mycelium@acme.test' }, options);
    expect(channels.forMedium('email', withoutSlack).name).toBe('gmail');
    expect(channels.forMedium('call', withoutSlack).name).toBe('google-calendar');
    expect(channels.freeBusy()?.name).toBe('google-calendar');
    expect(channels.forMedium('chat_dm', withSlack).name).toBe('outbox');
  });

  it('Graph client credentials give Graph mail and calendar; with both, MYCELIUM_EMAIL_PROVIDER / _CALENDAR_PROVIDER choose', () => {
    const graphOnly = deliveryChannelsFromEnv(graphEnv, options);
    expect(graphOnly.forMedium('email', withoutSlack).name).toBe('graph-mail');
    expect(graphOnly.forMedium('call', withoutSlack).name).toBe('graph-calendar');
    expect(graphOnly.freeBusy()?.name).toBe('graph-calendar');

    const both = { ...graphEnv, MYCELIUM_GOOGLE_CREDENTIALS: googleKey, MYCELIUM_GOOGLE_SENDER: 'mycelium@acme.test' };
    expect(deliveryChannelsFromEnv(both, options).forMedium('email', withoutSlack).name).toBe('gmail');
    const chosen = deliveryChannelsFromEnv({ ...both, MYCELIUM_EMAIL_PROVIDER: 'microsoft', MYCELIUM_CALENDAR_PROVIDER: 'outbox' }, options);
    expect(chosen.forMedium('email', withoutSlack).name).toBe('graph-mail');
    expect(chosen.forMedium('call', withoutSlack).name).toBe('outbox');
    expect(chosen.freeBusy()).toBeUndefined();
  });

  it('half a configuration falls back to the outbox and says why; an unusable key file stops startup', async () => {
    const channels = deliveryChannelsFromEnv({ MYCELIUM_GRAPH_TENANT_ID: 'tenant-1', MYCELIUM_GOOGLE_SENDER: 'x@acme.test' }, options);
    expect(channels.forMedium('email', withoutSlack).name).toBe('outbox');
    expect(channels.describe().notes).toHaveLength(2);
    expect(channels.describe().notes.join('\n')).toContain('MYCELIUM_GRAPH_CLIENT_SECRET');

    await writeFile(googleKey, '{"type":"authorized_user"}');
    expect(() => deliveryChannelsFromEnv({ MYCELIUM_GOOGLE_CREDENTIALS: googleKey, MYCELIUM_GOOGLE_SENDER: 'mycelium@acme.test' }, options)).toThrow(/MYCELIUM_GOOGLE_CREDENTIALS/);
  });

  it('describe() and the startup log name adapters and base URLs, never secrets', () => {
    const logged: unknown[] = [];
    const log = { info: (object: object, message: string) => logged.push([object, message]), warn: (object: object, message: string) => logged.push([object, message]) };
    const env = { ...graphEnv, MYCELIUM_SLACK_TOKEN: 'xoxb-secret', MYCELIUM_SLACK_BASE_URL: 'http://127.0.0.1:9' };
    const channels = deliveryChannelsFromEnv(env, { ...options, log });
    const text = JSON.stringify([channels.describe(), logged]);
    expect(channels.describe().mediums.chat_channel).toBe('slack (http://127.0.0.1:9/api/)');
    expect(channels.describe().mediums.email).toBe('graph-mail (https://graph.microsoft.com as mycelium@acme.test)');
    expect(text).not.toContain('xoxb-secret');
    expect(text).not.toContain('graph-s3cret');
    expect(logged.length).toBeGreaterThan(0);
  });
});

describe('channels built from env talk to the configured base URLs', () => {
  let slack: WireServer;
  let graph: WireServer;
  let dir: string;
  beforeEach(async () => {
    [slack, graph] = await Promise.all([startWireServer(), startWireServer()]);
    dir = await mkdtemp(join(tmpdir(), 'myc-channels-'));
  });
  afterEach(async () => {
    await Promise.all([slack.close(), graph.close(), rm(dir, { recursive: true, force: true })]);
  });

  it('a Slack DM and a Graph e-mail, with tokens only in the Authorization headers', async () => {
    slack.on('POST', '/api/conversations.open', () => ({ body: { ok: true, channel: { id: 'D1' } } }));
    slack.on('POST', '/api/chat.postMessage', () => ({ body: { ok: true, channel: 'D1', ts: '1.2' } }));
    graph.on('POST', '/tenant-1/oauth2/v2.0/token', () => ({ body: { token_type: 'Bearer', expires_in: 3600, access_token: 'graph-access' } }));
    graph.on('POST', '/v1.0/users/mycelium@acme.test/sendMail', () => ({ status: 202 }));
    const channels = deliveryChannelsFromEnv(
      { ...graphEnv, MYCELIUM_SLACK_TOKEN: 'xoxb-secret', MYCELIUM_SLACK_BASE_URL: slack.url, MYCELIUM_GRAPH_BASE_URL: graph.url, MYCELIUM_GRAPH_LOGIN_URL: graph.url },
      { outboxDir: join(dir, 'outbox'), docsDir: join(dir, 'docs') },
    );
    const alice = { personId: 'alice@acme.test', name: 'Alice', email: 'alice@acme.test', slackUserId: 'U01ALICE', timezone: 'UTC' };
    const request: DeliveryRequest = { idempotencyKey: 'k-1', medium: 'chat_dm', recipient: alice, subject: 'Hi', markdown: 'hello' };

    expect(await channels.forMedium('chat_dm', alice).send(request)).toEqual({ ref: 'slack:D1/1.2' });
    expect(await channels.forMedium('email', alice).send({ ...request, medium: 'email' })).toEqual({ ref: 'graph-mail:mycelium@acme.test/k-1' });

    expect(slack.requests.map((incoming) => incoming.headers.authorization)).toEqual(['Bearer xoxb-secret', 'Bearer xoxb-secret']);
    expect(graph.requests.map((incoming) => incoming.path)).toEqual(['/tenant-1/oauth2/v2.0/token', '/v1.0/users/mycelium@acme.test/sendMail']);
    expect(graph.requests[1]?.headers.authorization).toBe('Bearer graph-access');
    for (const incoming of [...slack.requests, graph.requests[1]!]) expect(incoming.body).not.toMatch(/xoxb-secret|graph-s3cret|graph-access/);
  });
});
