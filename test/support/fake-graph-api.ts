/**
 * A local Microsoft Graph (and its token endpoint) on 127.0.0.1 that speaks Graph's wire format: collections as
 * { value, @odata.nextLink | @odata.deltaLink } with absolute links back to this server, delta queries with
 * $skiptoken / $deltatoken, `@removed` entries, a delta token the server "forgot" answered 410 syncStateNotFound,
 * errors as { error: { code, message } } with Retry-After when throttling, and text/vtt transcript content.
 * Every request is recorded (method, path, query, Authorization, body) so tests check exactly what was sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphRecord {
  method: string;
  /** decoded path, with the /v1.0 prefix */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  prefer: string | undefined;
  body: string;
  /** when it arrived (ms since the epoch) */
  at: number;
}

interface Entry {
  value: Record<string, unknown>;
  version: number;
}

/** One collection with change tracking: what a delta query returns since a version. */
export class DeltaSet {
  version = 0;
  /** bumped by `forget()`: tokens of an earlier generation get 410 */
  generation = 0;
  readonly #entries = new Map<string, Entry>();
  readonly #removed = new Map<string, number>();

  upsert(...values: Record<string, unknown>[]): void {
    for (const value of values) {
      this.version++;
      this.#entries.set(String(value.id), { value, version: this.version });
      this.#removed.delete(String(value.id));
    }
  }

  remove(id: string): void {
    this.version++;
    this.#entries.delete(id);
    this.#removed.set(id, this.version);
  }

  /** the server lost its sync state: every outstanding delta token is refused */
  forget(): void {
    this.generation++;
  }

  current(): Record<string, unknown>[] {
    return [...this.#entries.values()].map((e) => e.value);
  }

  changesSince(since: number | undefined): Record<string, unknown>[] {
    if (since === undefined) return this.current();
    const changed = [...this.#entries.values()].filter((e) => e.version > since).map((e) => e.value);
    const removed = [...this.#removed.entries()].filter(([, v]) => v > since).map(([id]) => ({ id, '@removed': { reason: 'deleted' } }));
    return [...changed, ...removed];
  }
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Fault {
  method: string;
  path: RegExp;
  reply: Reply;
  times: number;
}

const token = (state: unknown): string => Buffer.from(JSON.stringify(state)).toString('base64url');
const untoken = <T>(value: string): T => JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as T;

export class FakeGraph {
  url = '';
  pageSize = 2;
  readonly requests: GraphRecord[] = [];
  /** key → delta collection: `calendar:<user>`, `mail:<user>/<folder>`, `channel:<team>/<channel>` */
  readonly deltas = new Map<string, DeltaSet>();
  readonly channels = new Map<string, { id: string; displayName: string; membershipType: string; members: Record<string, unknown>[] }[]>();
  readonly replies = new Map<string, Record<string, unknown>[]>();
  readonly onlineMeetings = new Map<string, { id: string; joinWebUrl: string; subject: string; transcripts: { id: string; createdDateTime: string; vtt: string }[] }[]>();
  users: Record<string, unknown>[] = [];
  groups: { id: string; displayName: string; members: string[] }[] = [];
  chats = new Map<string, { chat: Record<string, unknown>; messages: Record<string, unknown>[] }[]>();
  readonly subscriptions = new Map<string, Record<string, unknown>>();
  /** the token endpoint's answer: a token, or an OAuth error */
  tokenError: { status: number; error: string } | undefined;
  tokensIssued = 0;
  readonly #faults: Fault[] = [];
  #subscriptionsCreated = 0;
  #server: Server | undefined;

  delta(key: string): DeltaSet {
    let set = this.deltas.get(key);
    if (!set) this.deltas.set(key, (set = new DeltaSet()));
    return set;
  }

  /** the next `times` matching requests get `reply` instead of data */
  fail(method: string, path: RegExp, reply: Reply, times = 1): void {
    this.#faults.push({ method, path, reply, times });
  }

  requestsTo(path: RegExp | string, method = 'GET'): GraphRecord[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  async start(): Promise<this> {
    this.#server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (c: Buffer) => chunks.push(c));
      incoming.on('end', () => {
        const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
        const record: GraphRecord = {
          method: incoming.method ?? 'GET',
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          authorization: incoming.headers.authorization,
          prefer: incoming.headers.prefer as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.requests.push(record);
        const reply = this.#answer(record);
        const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
        outgoing.writeHead(reply.status ?? 200, {
          ...(typeof reply.body === 'object' ? { 'content-type': 'application/json; odata.metadata=minimal' } : {}),
          ...reply.headers,
        });
        outgoing.end(text);
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server?.closeAllConnections();
      this.#server?.close(() => resolve());
    });
  }

  #answer(r: GraphRecord): Reply {
    const fault = this.#faults.find((f) => f.times > 0 && f.method === r.method && f.path.test(r.path));
    if (fault) {
      fault.times--;
      return fault.reply;
    }
    if (r.method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(r.path)) return this.#token(r);
    if (!r.authorization?.startsWith('Bearer ')) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const p = r.path.replace(/^\/v1\.0/, '');
    let m: RegExpExecArray | null;
    if (r.method === 'GET') {
      if ((m = /^\/users\/([^/]+)\/calendarView\/delta$/.exec(p))) return this.#delta(r, `calendar:${m[1]}`);
      if ((m = /^\/users\/([^/]+)\/mailFolders\/([^/]+)\/messages\/delta$/.exec(p))) return this.#delta(r, `mail:${m[1]}/${m[2]}`);
      if ((m = /^\/teams\/([^/]+)\/channels\/([^/]+)\/messages\/delta$/.exec(p))) return this.#delta(r, `channel:${m[1]}/${m[2]}`);
      if ((m = /^\/teams\/([^/]+)\/channels\/([^/]+)\/messages\/([^/]+)\/replies$/.exec(p))) return this.#list(r, this.replies.get(`${m[1]}/${m[2]}/${m[3]}`) ?? []);
      if ((m = /^\/teams\/([^/]+)\/channels\/([^/]+)\/members$/.exec(p))) return this.#list(r, this.#channel(m[1]!, m[2]!)?.members ?? []);
      if ((m = /^\/teams\/([^/]+)\/channels\/([^/]+)$/.exec(p))) {
        const channel = this.#channel(m[1]!, m[2]!);
        return channel ? { body: { id: channel.id, displayName: channel.displayName, membershipType: channel.membershipType } } : graphError(404, 'NotFound', 'channel not found');
      }
      if ((m = /^\/teams\/([^/]+)\/channels$/.exec(p))) return this.#list(r, (this.channels.get(m[1]!) ?? []).map(({ id, displayName, membershipType }) => ({ id, displayName, membershipType })));
      if ((m = /^\/users\/([^/]+)\/calendarView$/.exec(p))) return this.#list(r, this.delta(`calendar:${m[1]}`).current());
      if ((m = /^\/users\/([^/]+)\/onlineMeetings$/.exec(p))) {
        const filter = /^JoinWebUrl eq '(.*)'$/.exec(r.query.get('$filter') ?? '');
        if (!filter) return graphError(400, 'BadRequest', 'Filter on JoinWebUrl is required.');
        const url = filter[1]!.replace(/''/g, "'");
        return { body: { value: (this.onlineMeetings.get(m[1]!) ?? []).filter((o) => o.joinWebUrl === url).map(({ id, joinWebUrl, subject }) => ({ id, joinWebUrl, subject })) } };
      }
      if ((m = /^\/users\/([^/]+)\/onlineMeetings\/([^/]+)\/transcripts$/.exec(p))) {
        const meeting = (this.onlineMeetings.get(m[1]!) ?? []).find((o) => o.id === m![2]);
        return this.#list(r, (meeting?.transcripts ?? []).map(({ id, createdDateTime }) => ({ id, createdDateTime, meetingId: meeting?.id })));
      }
      if ((m = /^\/users\/([^/]+)\/onlineMeetings\/([^/]+)\/transcripts\/([^/]+)\/content$/.exec(p))) {
        const transcript = (this.onlineMeetings.get(m[1]!) ?? []).find((o) => o.id === m![2])?.transcripts.find((t) => t.id === m![3]);
        if (!transcript) return graphError(404, 'NotFound', 'transcript not found');
        return { headers: { 'content-type': 'text/vtt' }, body: transcript.vtt };
      }
      if (p === '/users') {
        const expandManager = (r.query.get('$expand') ?? '').startsWith('manager');
        return this.#list(r, this.users.map(({ manager, ...user }) => (expandManager && manager ? { ...user, manager } : user)));
      }
      if (p === '/groups') return this.#list(r, this.groups.map(({ id, displayName }) => ({ id, displayName })));
      if ((m = /^\/groups\/([^/]+)\/members\/microsoft\.graph\.user$/.exec(p))) {
        return this.#list(r, (this.groups.find((g) => g.id === m![1])?.members ?? []).map((id) => ({ '@odata.type': '#microsoft.graph.user', id })));
      }
      if ((m = /^\/users\/([^/]+)\/chats$/.exec(p))) return this.#list(r, (this.chats.get(m[1]!) ?? []).map((c) => c.chat));
      if ((m = /^\/chats\/([^/]+)\/messages$/.exec(p))) {
        const chat = [...this.chats.values()].flat().find((c) => c.chat.id === m![1]);
        return this.#list(r, chat?.messages ?? []);
      }
    }
    if (r.method === 'POST' && p === '/subscriptions') {
      const body = JSON.parse(r.body) as Record<string, unknown>;
      const subscription = { id: `sub-${++this.#subscriptionsCreated}`, ...body };
      this.subscriptions.set(subscription.id, subscription);
      return { status: 201, body: subscription };
    }
    if (r.method === 'PATCH' && (m = /^\/subscriptions\/([^/]+)$/.exec(p))) {
      const existing = this.subscriptions.get(m[1]!);
      if (!existing) return graphError(404, 'ResourceNotFound', 'The object was not found.');
      Object.assign(existing, JSON.parse(r.body) as Record<string, unknown>);
      return { body: existing };
    }
    return graphError(404, 'UnknownPath', `no fake for ${r.method} ${r.path}`);
  }

  #channel(teamId: string, channelId: string) {
    return this.channels.get(teamId)?.find((c) => c.id === channelId);
  }

  #token(r: GraphRecord): Reply {
    const form = new URLSearchParams(r.body);
    if (this.tokenError) return { status: this.tokenError.status, body: { error: this.tokenError.error, error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    if (form.get('grant_type') !== 'client_credentials' || !form.get('client_secret')) return { status: 400, body: { error: 'invalid_request' } };
    this.tokensIssued++;
    return { body: { token_type: 'Bearer', expires_in: 3599, access_token: `fake-token-${this.tokensIssued}` } };
  }

  #pageSize(r: GraphRecord): number {
    const prefer = /odata\.maxpagesize=(\d+)/.exec(r.prefer ?? '');
    return Math.min(this.pageSize, Number(prefer?.[1] ?? r.query.get('$top') ?? this.pageSize));
  }

  /** a plain collection, paged with $skiptoken = offset */
  #list(r: GraphRecord, all: Record<string, unknown>[]): Reply {
    const offset = Number(r.query.get('$skiptoken') ?? 0);
    const size = this.#pageSize(r);
    const value = all.slice(offset, offset + size);
    // like Graph's, the nextLink carries the request's own query ($select, $expand, $filter…) with the skip token
    const query = new URLSearchParams(r.query);
    query.set('$skiptoken', String(offset + size));
    const next = offset + size < all.length ? `${this.url}${r.path}?${query.toString()}` : undefined;
    return { body: { '@odata.context': `${this.url}/v1.0/$metadata`, value, ...(next ? { '@odata.nextLink': next } : {}) } };
  }

  #delta(r: GraphRecord, key: string): Reply {
    const set = this.delta(key);
    const skip = r.query.get('$skiptoken');
    const delta = r.query.get('$deltatoken');
    let state: { since?: number; offset: number; gen: number; size?: number };
    if (skip) state = untoken(skip);
    else if (delta) state = { ...untoken<{ since: number; gen: number }>(delta), offset: 0 };
    else state = { offset: 0, gen: set.generation };
    if (state.gen !== set.generation) return graphError(410, 'syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.');
    const size = state.size ?? this.#pageSize(r);
    const all = set.changesSince(state.since);
    const value = all.slice(state.offset, state.offset + size);
    const link = `${this.url}${r.path}`;
    const more = state.offset + size < all.length;
    return {
      body: {
        '@odata.context': `${this.url}/v1.0/$metadata#Collection`,
        value,
        ...(more
          ? { '@odata.nextLink': `${link}?$skiptoken=${token({ ...state, offset: state.offset + size, size })}` }
          : { '@odata.deltaLink': `${link}?$deltatoken=${token({ since: set.version, gen: set.generation })}` }),
      },
    };
  }
}

export function graphError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, headers, body: { error: { code, message, innerError: { date: '2026-03-02T10:00:00', 'request-id': 'b6a1c2d3-0000-4000-8000-000000000000' } } } };
}

export async function startFakeGraph(): Promise<FakeGraph> {
  return new FakeGraph().start();
}
