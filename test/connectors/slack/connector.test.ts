/**
 * The Slack connector against a local server speaking the Web API's wire format: the exact requests it sends
 * (methods, form arguments, cursors, `oldest`, the bearer token), how users become people, threads become units
 * with access lists from channel members, what an incremental pass re-reads or deletes, and how Slack's errors
 * become Temporal failures.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackConnector, threadPath } from '../../../activities/connectors/slack';
import { SourceFailureType } from '../../../activities/providers/errors';

const SOURCE_AUTH_FAILED = SourceFailureType.AuthFailed;
import { tsOf } from '../../../activities/connectors/slack/ts';
import { OUTSIDE_OPT_IN, type Item } from '../../../schemas/entities';
import { type FakeMessage, type FakeSlackApi, startFakeSlackApi } from '../../support/fake-slack-api';
import { context, people, readPass } from './context';

const cursorAt = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64');

const DIRECTORY = people([
  { email: 'ana@acme.test', name: 'Ana Lima', optedIn: true },
  { email: 'bob@acme.test', name: 'Bob Stone', optedIn: true, slackId: 'UBOB' },
  { email: 'carol@acme.test', name: 'Carol Reyes', optedIn: false, slackId: 'UCAR' },
]);
const ANA = 'ana@acme.test';
const BOB = 'bob@acme.test';

let slack: FakeSlackApi;
let now: Date;

beforeEach(async () => {
  slack = await startFakeSlackApi();
  slack.addUser({ id: 'UANA', name: 'ana', real_name: 'Ana Lima', email: 'ana@acme.test' });
  slack.addUser({ id: 'UBOB', name: 'bob', real_name: 'Bob Stone' }); // hides their email: known by Slack id
  slack.addUser({ id: 'UCAR', name: 'carol', real_name: 'Carol Reyes', email: 'carol@acme.test' });
  slack.addUser({ id: 'UDAV', name: 'dave', real_name: 'Dave Outside', email: 'dave@outside.test' });
  slack.addUser({ id: 'UBOT1', name: 'deploybot', is_bot: true });
  // the fake's messages are a few seconds apart from 2023-11-14; "now" is an hour after the last one
  now = new Date((1_700_000_000 + 3600) * 1000);
});

afterEach(async () => {
  await slack.close();
});

function connector(options: { pageSize?: number; recheckDays?: number; token?: string; includePrivate?: boolean } = {}) {
  return createSlackConnector({
    token: options.token ?? slack.token,
    baseUrl: slack.url,
    pageSize: options.pageSize ?? 200,
    recheckDays: options.recheckDays ?? 0,
    ...(options.includePrivate !== undefined ? { includePrivate: options.includePrivate } : {}),
  });
}

function itemsOf(units: { items: Item[] }[]): Item[] {
  return units.flatMap((u) => u.items);
}

/** general (public, 4 members), secret (private: Ana and Carol), random (the bot is not in it) */
function workspace(): { m: Record<string, FakeMessage>; g1: FakeMessage } {
  slack.addConversation({ id: 'C1', name: 'general', kind: 'public', members: ['UANA', 'UBOB', 'UCAR', 'UDAV', 'UBOT1'] });
  slack.addConversation({ id: 'G1', name: 'secret', kind: 'private', members: ['UANA', 'UCAR', 'UBOT1'] });
  slack.addConversation({ id: 'C2', name: 'random', kind: 'public', members: ['UBOB'], is_member: false });
  slack.addConversation({ id: 'D1', kind: 'im', user: 'UBOB', members: ['UBOB', 'UBOT1'] });
  const m: Record<string, FakeMessage> = {};
  slack.post('C1', { user: 'UBOT1', subtype: 'channel_join', text: '<@UBOT1> has joined the channel' });
  m.m1 = slack.post('C1', { user: 'UANA', text: 'Kickoff with <@UBOB> and <@UDAV> &amp; the plan' });
  m.m2 = slack.post('C1', { user: 'UDAV', text: 'an outsider speaks' });
  m.m3 = slack.post('C1', { user: 'UBOB', text: 'Shall we ship on Friday?' });
  slack.post('C1', { user: 'UANA', text: 'Yes, Friday it is', thread_ts: m.m3.ts });
  slack.post('C1', { user: 'UCAR', text: 'carol is not opted in', thread_ts: m.m3.ts });
  m.m4 = slack.post('C1', { user: 'UANA', text: 'Budget review moved to Monday' });
  const g1 = slack.post('G1', { user: 'UANA', text: 'the secret acquisition plan' });
  slack.post('C2', { user: 'UBOB', text: 'never read' });
  slack.post('D1', { user: 'UBOB', text: 'a DM, not enabled' });
  return { m, g1 };
}

describe('users stream', () => {
  it('pages users.list with the cursors Slack returned, and maps opted-in directory people to their Slack ids', async () => {
    const reader = connector({ pageSize: 2 });
    const ctx = context(DIRECTORY, now);
    const pass = await readPass(reader, 'users', null, ctx);

    const calls = slack.calls('users.list');
    expect(calls.map((c) => [c.params.get('limit'), c.params.get('cursor')])).toEqual([
      ['2', null],
      ['2', cursorAt(2)],
      ['2', cursorAt(4)],
    ]);
    for (const call of slack.requests) {
      expect(call.httpMethod).toBe('POST');
      expect(call.path).toBe(`/api/${call.method}`);
      expect(call.authorization).toBe(`Bearer ${slack.token}`);
      expect(call.contentType).toBe('application/x-www-form-urlencoded');
      expect(call.params.has('token')).toBe(false);
    }
    expect(pass.pages.map((p) => [p.more, p.full])).toEqual([
      [true, true],
      [true, true],
      [false, true],
    ]);
    expect(pass.cursor).toEqual({});

    // humans only; Ana is learnt by her profile email; Bob was known by Slack id already; Carol is opted out and
    // Dave is not in the directory: neither is stored, not even their email
    expect(pass.units.map((u) => u.path)).toEqual(['users/UANA', 'users/UBOB', 'users/UCAR', 'users/UDAV']);
    const ana = pass.units[0]!.people;
    expect(ana).toHaveLength(1);
    expect(ana[0]).toMatchObject({ id: ANA, optedIn: true });
    expect(ana[0]!.identities).toContainEqual({ provider: 'slack', externalId: 'UANA' });
    expect(pass.units.slice(1).every((u) => u.people.length === 0)).toBe(true);
    expect(JSON.stringify(pass.units)).not.toContain('dave@outside.test');
    expect(JSON.stringify(pass.units)).not.toContain('carol@acme.test');
    expect(ctx.heartbeats).toBeGreaterThanOrEqual(3);
  });
});

describe('channels stream', () => {
  it('lists, pages and threads a full pass with the exact cursors, members as access lists and the opt-in applied', async () => {
    const { m, g1 } = workspace();
    const reader = connector({ pageSize: 2 });
    const pass = await readPass(reader, 'channels', null, context(DIRECTORY, now));

    expect(slack.calls('conversations.list').map((c) => [c.params.get('types'), c.params.get('limit'), c.params.get('cursor')])).toEqual([
      ['public_channel,private_channel', '2', null],
      ['public_channel,private_channel', '2', cursorAt(2)],
    ]);
    expect(slack.calls('conversations.members').map((c) => c.params.get('channel'))).toEqual(['C1', 'G1']);
    // the join notice is a top-level message too: 5 in general, so three pages of two
    expect(slack.calls('conversations.history').map((c) => [c.params.get('channel'), c.params.get('cursor'), c.params.get('oldest'), c.params.get('limit')])).toEqual([
      ['C1', null, null, '2'],
      ['C1', cursorAt(2), null, '2'],
      ['C1', cursorAt(4), null, '2'],
      ['G1', null, null, '2'],
    ]);
    // the thread (parent and two replies) takes two replies pages of two
    expect(slack.calls('conversations.replies').map((c) => [c.params.get('channel'), c.params.get('ts'), c.params.get('cursor')])).toEqual([
      ['C1', m.m3!.ts, null],
      ['C1', m.m3!.ts, cursorAt(2)],
    ]);
    expect(pass.pages.every((p) => p.full)).toBe(true);
    // general's last page held only the join notice: the secret channel's small history shares its readPage
    expect(pass.pages.map((p) => p.more)).toEqual([true, true, false]);

    // one unit per thread, the outsider's message included (as an empty unit: listed, nothing stored)
    expect(pass.units.map((u) => u.path).sort()).toEqual(
      [threadPath('C1', m.m1!.ts), threadPath('C1', m.m2!.ts), threadPath('C1', m.m3!.ts), threadPath('C1', m.m4!.ts), threadPath('G1', g1.ts)].sort(),
    );
    const unit = (ts: string, channel = 'C1') => pass.units.find((u) => u.path === threadPath(channel, ts))!;
    expect(unit(m.m2!.ts).items).toEqual([]);

    const [kickoff] = unit(m.m1!.ts).items;
    expect(kickoff).toMatchObject({
      externalId: `C1/${m.m1!.ts}`,
      authorId: ANA,
      body: `Kickoff with @Bob Stone and @${OUTSIDE_OPT_IN} & the plan`,
      recipients: [BOB],
      access: [ANA, BOB],
      threadId: `slack:C1:${m.m1!.ts}`,
      meta: { channel: 'general', channelId: 'C1', conversation: 'public', isReply: false },
    });

    const thread = unit(m.m3!.ts).items;
    expect(thread.map((i) => [i.authorId, i.body, i.meta.isReply])).toEqual([
      [BOB, 'Shall we ship on Friday?', false],
      [ANA, 'Yes, Friday it is', true],
    ]);
    expect(new Set(thread.map((i) => i.threadId))).toEqual(new Set([`slack:C1:${m.m3!.ts}`]));

    // the private channel: its members only (Carol is a member but not opted in)
    expect(unit(g1.ts, 'G1').items[0]).toMatchObject({ access: [ANA], meta: { conversation: 'private', channel: 'secret' } });
    const everything = JSON.stringify(itemsOf(pass.units));
    expect(everything).not.toContain('outsider speaks');
    expect(everything).not.toContain('carol is not opted in');
    expect(everything).not.toContain('never read');
    expect(everything).not.toContain('a DM');

    const heldBack = pass.pages.flatMap((p) => p.heldBack ?? []).flatMap((h) => h.authors);
    // recorded per thread: each entry names the unit path of the thread it came from
    expect(pass.pages.flatMap((p) => p.heldBack ?? []).every((h) => h.path.startsWith('channels/'))).toBe(true);
    expect(heldBack).toEqual(
      expect.arrayContaining([
        { id: 'dave@outside.test', name: 'Dave Outside', items: 1 },
        { id: 'carol@acme.test', name: 'Carol Reyes', items: 1 },
      ]),
    );
  });

  it('reads only what came after the last seen ts of each channel (`oldest`), and reports an incremental page', async () => {
    const { m, g1 } = workspace();
    const reader = connector();
    const first = await readPass(reader, 'channels', null, context(DIRECTORY, now));
    const latestReply = slack.conversation('C1').messages.filter((x) => x.thread_ts === m.m3!.ts).at(-1)!.ts;
    expect(first.cursor).toMatchObject({ conversations: { C1: { latest: m.m4!.ts }, G1: { latest: g1.ts } } });
    expect(latestReply < m.m4!.ts).toBe(true);

    slack.requests.length = 0;
    const m5 = slack.post('C1', { user: 'UBOB', text: 'One more thing about the launch' });
    const second = await readPass(reader, 'channels', first.cursor, context(DIRECTORY, now));
    expect(slack.calls('conversations.history').map((c) => [c.params.get('channel'), c.params.get('oldest')])).toEqual([
      ['C1', m.m4!.ts],
      ['G1', g1.ts],
    ]);
    expect(second.pages.every((p) => !p.full)).toBe(true);
    expect(second.units.map((u) => u.path)).toEqual([threadPath('C1', m5.ts)]);
    expect(second.deleted).toEqual([]);
    expect(second.cursor).toMatchObject({ conversations: { C1: { latest: m5.ts }, G1: { latest: g1.ts } } });

    // nothing new: nothing read but the listing, members and one history call per channel
    const third = await readPass(reader, 'channels', second.cursor, context(DIRECTORY, now));
    expect(third.units).toEqual([]);
  });

  it('re-reads a thread that got a new reply or an edit, and deletes a removed message, inside the recheck window', async () => {
    const { m } = workspace();
    const reader = connector({ recheckDays: 1 });
    const first = await readPass(reader, 'channels', null, context(DIRECTORY, now));

    slack.requests.length = 0;
    const reply = slack.post('C1', { user: 'UBOB', text: 'Agreed, kickoff Tuesday', thread_ts: m.m1!.ts });
    slack.edit('C1', m.m4!.ts, 'Budget review moved to Wednesday');
    slack.remove('C1', m.m2!.ts);
    const second = await readPass(reader, 'channels', first.cursor, context(DIRECTORY, now));

    const since = tsOf(new Date(now.getTime() - 24 * 3600 * 1000));
    expect(slack.calls('conversations.history').map((c) => [c.params.get('channel'), c.params.get('oldest')])).toEqual([
      ['C1', since],
      ['G1', since],
    ]);
    expect(second.units.map((u) => u.path).sort()).toEqual([threadPath('C1', m.m1!.ts), threadPath('C1', m.m4!.ts)].sort());
    const kickoff = second.units.find((u) => u.path === threadPath('C1', m.m1!.ts))!;
    expect(kickoff.items.map((i) => i.externalId)).toEqual([`C1/${m.m1!.ts}`, `C1/${reply.ts}`]);
    expect(second.units.find((u) => u.path === threadPath('C1', m.m4!.ts))!.items[0]!.body).toBe('Budget review moved to Wednesday');
    expect(second.deleted).toEqual([threadPath('C1', m.m2!.ts)]);

    // a deleted reply changes the thread's reply count: the thread is re-read without it
    slack.remove('C1', reply.ts);
    const third = await readPass(reader, 'channels', second.cursor, context(DIRECTORY, now));
    expect(third.units.map((u) => u.path)).toEqual([threadPath('C1', m.m1!.ts)]);
    expect(third.units[0]!.items.map((i) => i.externalId)).toEqual([`C1/${m.m1!.ts}`]);

    const quiet = await readPass(reader, 'channels', third.cursor, context(DIRECTORY, now));
    expect(quiet.units).toEqual([]);
    expect(quiet.deleted).toEqual([]);
  });

  it('re-reads a conversation from its start when its members change, so access lists follow membership', async () => {
    const { g1 } = workspace();
    const reader = connector();
    const first = await readPass(reader, 'channels', null, context(DIRECTORY, now));
    slack.requests.length = 0;

    slack.conversation('G1').members.push('UBOB');
    const second = await readPass(reader, 'channels', first.cursor, context(DIRECTORY, now));
    expect(slack.calls('conversations.history').find((c) => c.params.get('channel') === 'G1')!.params.get('oldest')).toBeNull();
    expect(second.units.map((u) => u.path)).toEqual([threadPath('G1', g1.ts)]);
    expect(second.units[0]!.items[0]!.access).toEqual([ANA, BOB]);

    slack.conversation('G1').members = ['UBOT1', 'UCAR'];
    const third = await readPass(reader, 'channels', second.cursor, context(DIRECTORY, now));
    // Ana left: her own message stays visible to her (its author), Bob's access is gone
    expect(third.units[0]!.items[0]!.access).toEqual([ANA]);
  });

  it('reads only the configured channels, by id or by name, and no private ones when they are excluded', async () => {
    workspace();
    slack.addConversation({ id: 'C3', name: 'design', kind: 'public', members: ['UANA'] });
    slack.post('C3', { user: 'UANA', text: 'design notes' });
    const byName = createSlackConnector({ token: slack.token, baseUrl: slack.url, channels: ['#design', 'G1'] });
    const pass = await readPass(byName, 'channels', null, context(DIRECTORY, now));
    expect([...new Set(pass.units.map((u) => u.path.split('/')[1]))].sort()).toEqual(['C3', 'G1']);

    slack.requests.length = 0;
    const publicOnly = connector({ includePrivate: false });
    await readPass(publicOnly, 'channels', null, context(DIRECTORY, now));
    expect(slack.calls('conversations.list')[0]!.params.get('types')).toBe('public_channel');
    expect(slack.calls('conversations.history').map((c) => c.params.get('channel'))).toEqual(['C1', 'C3']);
  });

  it('takes its API base URL from MYCELIUM_SLACK_BASE_URL when the source names none', async () => {
    const saved = process.env.MYCELIUM_SLACK_BASE_URL;
    process.env.MYCELIUM_SLACK_BASE_URL = `${slack.url}/`;
    try {
      await createSlackConnector({ token: slack.token }).readPage('users', null, context(DIRECTORY, now));
      expect(slack.calls('users.list')).toHaveLength(1);
      expect(slack.calls('users.list')[0]!.path).toBe('/api/users.list');
    } finally {
      if (saved === undefined) delete process.env.MYCELIUM_SLACK_BASE_URL;
      else process.env.MYCELIUM_SLACK_BASE_URL = saved;
    }
  });

  it('refuses a configuration that is wrong, naming the field', () => {
    expect(() => createSlackConnector({ token: '', baseUrl: slack.url })).toThrow(/token: the Slack bot token/);
    expect(() => createSlackConnector({ token: 'x', baseUrl: 'not a url' })).toThrow(/baseUrl: baseUrl must be an http\(s\) URL/);
  });
});

describe('errors', () => {
  it('turns a 429 storm into retryable failures carrying Retry-After, one request each, and resumes the pass without loss', async () => {
    workspace();
    const reader = connector({ pageSize: 2 });
    const clean = await readPass(reader, 'channels', null, context(DIRECTORY, now));
    slack.requests.length = 0;

    // the second history page is rate limited three times in a row
    const ctx = context(DIRECTORY, now);
    const page1 = await reader.readPage('channels', null, ctx);
    slack.failNext('conversations.history', { status: 429, retryAfter: 7 }, 3);
    for (let attempt = 0; attempt < 3; attempt++) {
      const failure = await reader.readPage('channels', page1.cursor, ctx).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: SourceFailureType.RateLimited, nonRetryable: false, nextRetryDelay: 7000 });
    }
    // no retries inside the SDK: exactly one HTTP request per attempt
    expect(slack.calls('conversations.history')).toHaveLength(1 + 3);
    const rest = await readPass(reader, 'channels', page1.cursor, ctx);
    const paths = [...page1.units, ...rest.units].map((u) => u.path);
    expect(paths.sort()).toEqual(clean.units.map((u) => u.path).sort());
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('turns invalid_auth and token_revoked into the non-retryable SourceAuthFailed', async () => {
    workspace();
    const wrong = connector({ token: 'xoxb-wrong' });
    const refused = await wrong.readPage('users', null, context(DIRECTORY, now)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: SOURCE_AUTH_FAILED, nonRetryable: true });
    expect((refused as Error).message).toMatch(/invalid_auth/);
    expect(slack.calls('users.list')[0]!.authorization).toBe('Bearer xoxb-wrong');

    slack.revoked = true;
    const revoked = await connector().readPage('channels', null, context(DIRECTORY, now)).catch((error: unknown) => error);
    expect(revoked).toMatchObject({ type: SOURCE_AUTH_FAILED, nonRetryable: true });
    expect((revoked as Error).message).toMatch(/token_revoked/);
  });

  it('skips a conversation that vanished between the listing and its history, and reads the others', async () => {
    workspace();
    slack.failNext('conversations.history', { error: 'channel_not_found' }, 1);
    const pass = await readPass(connector(), 'channels', null, context(DIRECTORY, now));
    expect(pass.units.every((u) => u.path.startsWith('channels/G1/'))).toBe(true);
    expect(pass.units).toHaveLength(1);
  });

  it('refuses a stream it does not have', async () => {
    await expect(connector().readPage('emails', null, context(DIRECTORY, now))).rejects.toThrow(/no stream "emails".*users, channels/);
  });
});
