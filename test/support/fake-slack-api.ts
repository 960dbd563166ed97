/**
 * A local stand-in for the Slack Web API (node:http on 127.0.0.1, port 0), speaking its wire format: POST
 * /api/<method> with form-encoded (or JSON) arguments and the token in `Authorization: Bearer …`; answers
 * `{ ok: true, …, response_metadata: { next_cursor } }` with opaque cursors, `has_more` on history and replies,
 * `{ ok: false, error }` for platform errors, and HTTP 429 with Retry-After for rate limits. It records every
 * request exactly as it arrived, so tests check what the connector sent (method, arguments, auth header).
 *
 * The workspace is plain data the test edits between passes: users, conversations with members, and messages
 * (replies carry thread_ts). `generate` fills it with N synthetic messages for a throughput run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  is_bot?: boolean;
  deleted?: boolean;
}

export interface FakeMessage {
  ts: string;
  user?: string;
  text: string;
  thread_ts?: string;
  subtype?: string;
  edited?: { user: string; ts: string };
}

export interface FakeConversation {
  id: string;
  name?: string;
  kind: 'public' | 'private' | 'im' | 'mpim';
  /** the bot is a member (default true) */
  is_member?: boolean;
  /** for an im: the other user */
  user?: string;
  members: string[];
  messages: FakeMessage[];
}

export interface SlackRequest {
  /** the API method, e.g. conversations.history */
  method: string;
  path: string;
  httpMethod: string;
  params: URLSearchParams;
  authorization: string | undefined;
  contentType: string | undefined;
  /** when it arrived (ms since the epoch) */
  at: number;
}

export type FakeFailure = { status: 429; retryAfter: number } | { error: string } | { status: number };

const DEFAULT_LIMIT = 100;

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}

function decodeCursor(cursor: string | null): number | undefined {
  if (!cursor) return 0;
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  const match = /^offset:(\d+)$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

function compareTs(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  const x = BigInt(as) * 1_000_000n + BigInt((af + '000000').slice(0, 6));
  const y = BigInt(bs) * 1_000_000n + BigInt((bf + '000000').slice(0, 6));
  return x === y ? 0 : x < y ? -1 : 1;
}

export class FakeSlackApi {
  readonly requests: SlackRequest[] = [];
  readonly users: FakeUser[] = [];
  readonly conversations: FakeConversation[] = [];
  teamId = 'T0FAKE';
  /** the token requests must carry; anything else is invalid_auth */
  token = 'xoxb-fake-token';
  /** answer every call with token_revoked */
  revoked = false;
  /** awaited before a request is answered: a test holds a request open (e.g. to kill the worker waiting on it) */
  hold: ((request: SlackRequest) => Promise<void> | void) | undefined;
  #failures: { method: string; failure: FakeFailure; times: number }[] = [];
  #clock: number;
  #seq = 0;
  #server: Server | undefined;
  url = '';

  /** `startSeconds`: the epoch second the first generated ts falls on */
  constructor(startSeconds = 1_700_000_000) {
    this.#clock = startSeconds;
  }

  async start(): Promise<this> {
    this.#server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
        const body = Buffer.concat(chunks).toString('utf8');
        const contentType = incoming.headers['content-type'];
        let params: URLSearchParams;
        if (contentType?.startsWith('application/json')) {
          params = new URLSearchParams();
          for (const [k, v] of Object.entries(JSON.parse(body || '{}') as Record<string, unknown>)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
        } else params = new URLSearchParams(body);
        for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
        const method = url.pathname.replace(/^\/api\//, '');
        const request: SlackRequest = {
          method,
          path: url.pathname,
          httpMethod: incoming.method ?? 'GET',
          params,
          authorization: incoming.headers.authorization,
          contentType,
          at: Date.now(),
        };
        this.requests.push(request);
        void Promise.resolve(this.hold?.(request)).then(() => {
          const { status, headers, payload } = this.#answer(request);
          outgoing.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
          outgoing.end(JSON.stringify(payload));
        });
      });
    });
    // a client that pauses between pages (storing them) must not meet a socket closed under it after Node's 5 s
    this.#server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** the requests of one API method, in order */
  calls(method: string): SlackRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** the next `times` calls of `method` (or '*') fail this way */
  failNext(method: string, failure: FakeFailure, times = 1): void {
    this.#failures.push({ method, failure, times });
  }

  /** a new, strictly increasing ts, `advanceSeconds` after the previous one */
  nextTs(advanceSeconds = 1): string {
    this.#clock += advanceSeconds;
    this.#seq += 1;
    return `${this.#clock}.${String(this.#seq % 1_000_000).padStart(6, '0')}`;
  }

  conversation(id: string): FakeConversation {
    const c = this.conversations.find((x) => x.id === id);
    if (!c) throw new Error(`fake slack: no conversation ${id}`);
    return c;
  }

  addUser(user: FakeUser): FakeUser {
    this.users.push(user);
    return user;
  }

  addConversation(conversation: Omit<FakeConversation, 'messages'> & { messages?: FakeMessage[] }): FakeConversation {
    const c = { messages: [], ...conversation };
    this.conversations.push(c);
    return c;
  }

  /** posts a top-level message (or a reply with `thread_ts`) and returns it */
  post(channel: string, message: Omit<FakeMessage, 'ts'> & { ts?: string }): FakeMessage {
    const m: FakeMessage = { ...message, ts: message.ts ?? this.nextTs() };
    this.conversation(channel).messages.push(m);
    return m;
  }

  edit(channel: string, ts: string, text: string): void {
    const m = this.conversation(channel).messages.find((x) => x.ts === ts);
    if (!m) throw new Error(`fake slack: no message ${ts} in ${channel}`);
    m.text = text;
    m.edited = { user: m.user ?? 'U0', ts: this.nextTs() };
  }

  /** deletes a message; a parent with replies stays as a tombstone, as Slack does */
  remove(channel: string, ts: string): void {
    const c = this.conversation(channel);
    const hasReplies = c.messages.some((m) => m.thread_ts === ts && m.ts !== ts);
    if (hasReplies) {
      const m = c.messages.find((x) => x.ts === ts)!;
      Object.assign(m, { subtype: 'tombstone', text: 'This message was deleted.', user: 'USLACKBOT' });
    } else c.messages = c.messages.filter((m) => m.ts !== ts);
  }

  /**
   * N synthetic messages spread round-robin over `channels` public conversations (C0001…) whose members are all
   * `users` users (U0001…, emails u0001@<domain>); every `threadEvery`-th message gets `repliesPerThread` replies
   * (counted in N).
   */
  generate(opts: { messages: number; channels: number; users: number; domain?: string; threadEvery?: number; repliesPerThread?: number }): void {
    const domain = opts.domain ?? 'bench.test';
    for (let i = 1; i <= opts.users; i++) {
      const id = `U${String(i).padStart(4, '0')}`;
      this.addUser({ id, name: `user${i}`, real_name: `User ${i}`, email: `u${String(i).padStart(4, '0')}@${domain}` });
    }
    const members = this.users.slice(-opts.users).map((u) => u.id);
    const channels = Array.from({ length: opts.channels }, (_, i) =>
      this.addConversation({ id: `C${String(i + 1).padStart(4, '0')}`, name: `channel-${i + 1}`, kind: 'public', members: [...members] }),
    );
    const words = ['budget', 'launch', 'review', 'deadline', 'customer', 'roadmap', 'hiring', 'release', 'design', 'metrics'];
    let made = 0;
    let top = 0;
    while (made < opts.messages) {
      const channel = channels[top % channels.length]!;
      const user = members[made % members.length]!;
      const parent = this.post(channel.id, { user, text: `Message ${made + 1} about the ${words[made % words.length]} of week ${top % 52}` });
      made++;
      top++;
      if (opts.threadEvery && top % opts.threadEvery === 0) {
        for (let r = 0; r < (opts.repliesPerThread ?? 1) && made < opts.messages; r++) {
          this.post(channel.id, { user: members[(made + r) % members.length], text: `Reply ${r + 1} on ${words[r % words.length]}`, thread_ts: parent.ts });
          made++;
        }
      }
    }
  }

  // ---- the wire

  #answer(request: SlackRequest): { status: number; headers?: Record<string, string>; payload: unknown } {
    const failure = this.#failures.find((f) => f.times > 0 && (f.method === request.method || f.method === '*'));
    if (failure) {
      failure.times -= 1;
      const f = failure.failure;
      if ('retryAfter' in f) return { status: 429, headers: { 'retry-after': String(f.retryAfter) }, payload: { ok: false, error: 'ratelimited' } };
      if ('error' in f) return { status: 200, payload: { ok: false, error: f.error } };
      return { status: f.status, payload: { ok: false, error: 'fatal_error' } };
    }
    if (request.authorization !== `Bearer ${this.token}`) {
      return { status: 200, payload: { ok: false, error: request.authorization ? 'invalid_auth' : 'not_authed' } };
    }
    if (this.revoked) return { status: 200, payload: { ok: false, error: 'token_revoked' } };
    const ok = (body: Record<string, unknown>) => ({ status: 200, payload: { ok: true, ...body } });
    const error = (code: string) => ({ status: 200, payload: { ok: false, error: code } });
    const p = request.params;
    const limit = Number(p.get('limit') || DEFAULT_LIMIT) || DEFAULT_LIMIT;
    const offset = decodeCursor(p.get('cursor'));
    if (offset === undefined) return error('invalid_cursor');
    const page = <T>(all: T[]): { slice: T[]; next: string } => {
      const slice = all.slice(offset, offset + limit);
      return { slice, next: offset + limit < all.length ? encodeCursor(offset + limit) : '' };
    };

    switch (request.method) {
      case 'auth.test':
        return ok({ url: 'https://fake.slack.com/', team: 'Fake', user: 'bot', team_id: this.teamId, user_id: 'UBOT', bot_id: 'BBOT' });
      case 'users.list': {
        const { slice, next } = page(this.users);
        return ok({
          members: slice.map((u) => ({
            id: u.id,
            team_id: this.teamId,
            name: u.name,
            real_name: u.real_name ?? u.name,
            deleted: u.deleted ?? false,
            is_bot: u.is_bot ?? false,
            profile: { real_name: u.real_name ?? u.name, display_name: u.name, ...(u.email ? { email: u.email } : {}) },
          })),
          cache_ts: this.#clock,
          response_metadata: { next_cursor: next },
        });
      }
      case 'conversations.list': {
        const types = (p.get('types') || 'public_channel').split(',');
        const wanted = this.conversations.filter((c) =>
          types.includes({ public: 'public_channel', private: 'private_channel', im: 'im', mpim: 'mpim' }[c.kind]),
        );
        const { slice, next } = page(wanted);
        return ok({ channels: slice.map((c) => this.#channelObject(c)), response_metadata: { next_cursor: next } });
      }
      case 'conversations.members': {
        const c = this.conversations.find((x) => x.id === p.get('channel'));
        if (!c) return error('channel_not_found');
        const { slice, next } = page(c.members);
        return ok({ members: slice, response_metadata: { next_cursor: next } });
      }
      case 'conversations.history': {
        const c = this.conversations.find((x) => x.id === p.get('channel'));
        if (!c) return error('channel_not_found');
        if (c.is_member === false) return error('not_in_channel');
        const inclusive = p.get('inclusive') === 'true' || p.get('inclusive') === '1';
        const oldest = p.get('oldest');
        const latest = p.get('latest');
        const top = c.messages
          .filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
          .filter((m) => !oldest || (inclusive ? compareTs(m.ts, oldest) >= 0 : compareTs(m.ts, oldest) > 0))
          .filter((m) => !latest || (inclusive ? compareTs(m.ts, latest) <= 0 : compareTs(m.ts, latest) < 0))
          .sort((a, b) => compareTs(b.ts, a.ts));
        const { slice, next } = page(top);
        return ok({
          messages: slice.map((m) => this.#messageObject(c, m)),
          has_more: next !== '',
          pin_count: 0,
          ...(next ? { response_metadata: { next_cursor: next } } : {}),
        });
      }
      case 'conversations.replies': {
        const c = this.conversations.find((x) => x.id === p.get('channel'));
        if (!c) return error('channel_not_found');
        const ts = p.get('ts') ?? '';
        const parent = c.messages.find((m) => m.ts === ts);
        if (!parent) return error('thread_not_found');
        const thread = [parent, ...c.messages.filter((m) => m.thread_ts === ts && m.ts !== ts).sort((a, b) => compareTs(a.ts, b.ts))];
        const { slice, next } = page(thread);
        return ok({
          messages: slice.map((m) => this.#messageObject(c, m)),
          has_more: next !== '',
          ...(next ? { response_metadata: { next_cursor: next } } : {}),
        });
      }
      default:
        return error('unknown_method');
    }
  }

  #channelObject(c: FakeConversation): Record<string, unknown> {
    const base = { id: c.id, created: 1_600_000_000, is_archived: false, is_member: c.is_member ?? true };
    if (c.kind === 'im') return { ...base, is_im: true, user: c.user, is_org_shared: false };
    return {
      ...base,
      name: c.name,
      name_normalized: c.name,
      is_channel: c.kind === 'public',
      is_group: c.kind === 'private',
      is_mpim: c.kind === 'mpim',
      is_private: c.kind !== 'public',
      is_im: false,
      num_members: c.members.length,
    };
  }

  #messageObject(c: FakeConversation, m: FakeMessage): Record<string, unknown> {
    const replies = c.messages.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts);
    return {
      type: 'message',
      ts: m.ts,
      text: m.text,
      ...(m.user ? { user: m.user, team: this.teamId } : {}),
      ...(m.subtype ? { subtype: m.subtype } : {}),
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ...(m.edited ? { edited: m.edited } : {}),
      ...(replies.length > 0
        ? {
            thread_ts: m.ts,
            reply_count: replies.length,
            reply_users_count: new Set(replies.map((r) => r.user)).size,
            reply_users: [...new Set(replies.map((r) => r.user).filter(Boolean))],
            latest_reply: replies.map((r) => r.ts).sort(compareTs).at(-1),
          }
        : {}),
    };
  }
}

export async function startFakeSlackApi(startSeconds?: number): Promise<FakeSlackApi> {
  return new FakeSlackApi(startSeconds).start();
}
