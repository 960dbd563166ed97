import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryRequest } from '../../activities/delivery/port';
import { SlackChannel } from '../../activities/delivery/slack';
import { failureOf, startWireServer, type WireServer } from './wire-server';

const alice = { personId: 'alice@acme.test', name: 'Alice Chen', email: 'alice@acme.test', slackUserId: 'U01ALICE', timezone: 'Europe/Berlin' };
const dm: DeliveryRequest = {
  idempotencyKey: 'notify-d12-alice-3f2a',
  medium: 'chat_dm',
  recipient: alice,
  subject: 'Decision D-12: ship Android first',
  markdown: 'We **decided** to ship [Android](https://acme.test/d/12) first.\n- owner: Bob',
};

describe('SlackChannel against a local Slack Web API', () => {
  let slack: WireServer;
  let channel: SlackChannel;
  const posted: { channel: string; ts: string; metadata: unknown }[] = [];

  beforeEach(async () => {
    slack = await startWireServer();
    posted.length = 0;
    channel = new SlackChannel({ token: 'xoxb-test-token', baseUrl: slack.url });
    slack.on('POST', '/api/conversations.open', (request) => ({ body: { ok: true, channel: { id: `D-${request.form().get('users')}` } } }));
    slack.on('POST', '/api/chat.postMessage', (request) => {
      const form = request.form();
      const message = { channel: form.get('channel') ?? '', ts: `1700000000.00010${posted.length}`, metadata: JSON.parse(form.get('metadata') ?? 'null') };
      posted.push(message);
      return { body: { ok: true, channel: message.channel, ts: message.ts, message: { text: form.get('text') } } };
    });
    slack.on('POST', '/api/conversations.history', (request) => ({
      body: {
        ok: true,
        has_more: false,
        messages: posted
          .filter((message) => message.channel === request.form().get('channel'))
          .reverse()
          .map((message) => ({ type: 'message', ts: message.ts, text: '…', ...(request.form().get('include_all_metadata') === 'true' ? { metadata: message.metadata } : {}) })),
      },
    }));
  });
  afterEach(() => slack.close());

  it('opens the DM and posts mrkdwn with the idempotency key in the metadata', async () => {
    const receipt = await channel.send(dm);
    expect(receipt).toEqual({ ref: 'slack:D-U01ALICE/1700000000.000100' });

    const [open, post] = slack.requests;
    expect(open?.method).toBe('POST');
    expect(open?.path).toBe('/api/conversations.open');
    expect(open?.headers.authorization).toBe('Bearer xoxb-test-token');
    expect(open?.form().get('users')).toBe('U01ALICE');
    expect(open?.form().has('token')).toBe(false);

    expect(post?.path).toBe('/api/chat.postMessage');
    expect(post?.headers.authorization).toBe('Bearer xoxb-test-token');
    const form = post!.form();
    expect(form.get('channel')).toBe('D-U01ALICE');
    expect(form.get('text')).toBe('*Decision D-12: ship Android first*\nWe *decided* to ship <https://acme.test/d/12|Android> first.\n• owner: Bob');
    expect(JSON.parse(form.get('metadata')!)).toEqual({ event_type: 'mycelium_delivery', event_payload: { idempotency_key: 'notify-d12-alice-3f2a' } });
    expect(slack.requests).toHaveLength(2);
  });

  it('posts to a channel without opening a DM', async () => {
    const receipt = await channel.send({ ...dm, medium: 'chat_channel', channel: 'C0MOBILE' });
    expect(receipt.ref).toBe('slack:C0MOBILE/1700000000.000100');
    expect(slack.requests.map((request) => request.path)).toEqual(['/api/chat.postMessage']);
  });

  it('findSent finds an earlier send by the metadata key, and only that one', async () => {
    expect(await channel.findSent(dm)).toBeUndefined();
    await channel.send(dm);
    const found = await channel.findSent(dm);
    expect(found).toEqual({ ref: 'slack:D-U01ALICE/1700000000.000100', alreadySent: true });
    const history = slack.requests.filter((request) => request.path === '/api/conversations.history').at(-1)!;
    expect(history.form().get('channel')).toBe('D-U01ALICE');
    expect(history.form().get('include_all_metadata')).toBe('true');
    expect(Number(history.form().get('limit'))).toBeGreaterThan(0);
    expect(await channel.findSent({ ...dm, idempotencyKey: 'another-key' })).toBeUndefined();
  });

  it('a 429 with Retry-After becomes a retryable failure whose next retry delay is the Retry-After, without retrying itself', async () => {
    slack.on('POST', '/api/chat.postMessage', () => ({ status: 429, headers: { 'retry-after': '7' }, body: { ok: false, error: 'ratelimited' } }));
    const failure = await failureOf(channel.send(dm));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('DeliveryRateLimited');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(7000);
    expect(slack.requests.filter((request) => request.path === '/api/chat.postMessage')).toHaveLength(1);
  });

  it('a `ratelimited` platform error is retryable', async () => {
    slack.on('POST', '/api/chat.postMessage', () => ({ body: { ok: false, error: 'ratelimited' } }));
    const failure = await failureOf(channel.send(dm));
    expect(failure.type).toBe('DeliveryRateLimited');
    expect(failure.nonRetryable).toBe(false);
  });

  it.each(['invalid_auth', 'not_authed', 'account_inactive'])('%s is a non-retryable auth failure', async (code) => {
    slack.on('POST', '/api/conversations.open', () => ({ body: { ok: false, error: code } }));
    const failure = await failureOf(channel.send(dm));
    expect(failure.type).toBe('DeliveryAuthFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).not.toContain('xoxb-test-token');
  });

  it('a recipient without a Slack id is rejected before any request', async () => {
    const failure = await failureOf(channel.send({ ...dm, recipient: { ...alice, slackUserId: undefined } }));
    expect(failure.nonRetryable).toBe(true);
    expect(slack.requests).toHaveLength(0);
  });
});
