/**
 * A local Google API (node:http on 127.0.0.1, port 0) speaking the wire format of Calendar v3, Gmail v1, Drive v3
 * and Admin Directory v1 — the JSON shapes of the reference docs and of googleapis' own types
 * (googleapis/build/src/apis/{calendar/v3,gmail/v1,drive/v3,admin/directory_v1}.d.ts) — over state a test sets up.
 * It keeps each API's change feed the way Google does (sync tokens, history ids, change page tokens), answers an
 * expired sync token with 410, a history id older than it keeps with 404, and can be told to answer the next
 * requests on a path with a rate limit or an auth error. Every request is recorded (method, path, query,
 * Authorization) so tests check exactly what the connector sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { admin_directory_v1 } from 'googleapis/build/src/apis/admin/index.js';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import type { drive_v3 } from 'googleapis/build/src/apis/drive/index.js';
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';

export interface RecordedGoogleRequest {
  method: string;
  /** decoded path, e.g. /calendar/v3/calendars/alice@acme.test/events */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  /** when it arrived (ms since the epoch) */
  at: number;
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Google's error body: { error: { code, message, errors: [{ domain, reason, message }], status } } */
export function googleError(code: number, reason: string, message: string, status?: string): FakeAnswer {
  return { status: code, body: { error: { code, message, errors: [{ domain: 'global', reason, message }], ...(status ? { status } : {}) } } };
}

export const RATE_LIMITED_403 = googleError(403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'PERMISSION_DENIED');
export const USER_RATE_LIMITED_403 = googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', 'PERMISSION_DENIED');
export const TOO_MANY_429 = (retryAfterSeconds: number): FakeAnswer => ({
  ...googleError(429, 'rateLimitExceeded', 'Quota exceeded', 'RESOURCE_EXHAUSTED'),
  headers: { 'retry-after': String(retryAfterSeconds) },
});
export const UNAUTHENTICATED_401 = googleError(401, 'authError', 'Request had invalid authentication credentials.', 'UNAUTHENTICATED');

// ---------------------------------------------------------------- state

interface CalendarState {
  events: Map<string, calendar_v3.Schema$Event & { seq: number }>;
  seq: number;
  /** sync tokens issued at or before this sequence answer 410 */
  expiredBefore: number;
  timeZone: string;
}

interface GmailMessageInput {
  from: string;
  to?: string[];
  cc?: string[];
  subject: string;
  text: string;
  date: Date;
  labelIds?: string[];
  messageId?: string;
  inReplyTo?: string;
}

interface MailboxState {
  threads: Map<string, gmail_v1.Schema$Message[]>;
  historyId: number;
  /** history records older than this id are forgotten: a start id below it answers 404 */
  oldestHistoryId: number;
  history: gmail_v1.Schema$History[];
  labels: gmail_v1.Schema$Label[];
  nextId: number;
}

interface DriveFile extends drive_v3.Schema$File {
  text: string;
  permissionList: drive_v3.Schema$Permission[];
}

interface DriveState {
  files: Map<string, DriveFile>;
  /** change feed: seq → fileId (with removal) */
  changes: { seq: number; fileId: string; removed: boolean }[];
  seq: number;
  /** page tokens below this answer 404 (expired) */
  oldestToken: number;
}

export interface Channel {
  api: 'calendar' | 'drive';
  id: string;
  resourceId: string;
  address: string;
  token?: string;
  expiration: string;
  target: string;
  stopped: boolean;
}

const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const compactTime = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function page<T>(all: T[], query: URLSearchParams, sizeParam: string, defaultSize: number): { items: T[]; next?: string } {
  const offset = Number(query.get('pageToken')?.replace(/^o/, '') ?? 0);
  const size = Number(query.get(sizeParam) ?? defaultSize);
  const items = all.slice(offset, offset + size);
  return { items, ...(offset + size < all.length ? { next: `o${offset + size}` } : {}) };
}

export class FakeGoogleApi {
  readonly requests: RecordedGoogleRequest[] = [];
  readonly calendars = new Map<string, CalendarState>();
  readonly mailboxes = new Map<string, MailboxState>();
  readonly drive: DriveState = { files: new Map(), changes: [], seq: 100, oldestToken: 0 };
  readonly users: admin_directory_v1.Schema$User[] = [];
  readonly groups = new Map<string, admin_directory_v1.Schema$Member[]>();
  readonly channels: Channel[] = [];
  /** the fake's clock (channel expirations) */
  now: () => number = Date.now;
  /** Gmail answers history pages of at most this many records, whatever maxResults asks */
  historyPageLimit = 500;
  /** `Bearer` tokens refused with 401 */
  readonly refusedTokens = new Set<string>();
  /** OAuth token endpoint (POST /token): what it answers */
  tokenEndpoint: FakeAnswer = { status: 200, body: { access_token: 'ya29.fake-oauth', expires_in: 3599, token_type: 'Bearer' } };
  #faults: { method?: string; path: RegExp; answer: FakeAnswer; remaining: number }[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (c: Buffer) => chunks.push(c));
      incoming.on('end', () => {
        const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
        const recorded: RecordedGoogleRequest = {
          method: incoming.method ?? 'GET',
          path: url.pathname.split('/').map(decodeURIComponent).join('/'),
          query: url.searchParams,
          authorization: incoming.headers.authorization,
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.requests.push(recorded);
        let answer: FakeAnswer;
        try {
          answer = this.#answer(recorded);
        } catch (error) {
          answer = googleError(500, 'backendError', error instanceof Error ? error.message : String(error));
        }
        const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        outgoing.writeHead(answer.status, {
          'content-type': typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=UTF-8',
          ...answer.headers,
        });
        outgoing.end(text);
      });
    });
    // as Google's front ends do, keep idle connections long enough that a client storing a page between requests
    // does not reuse a socket the server has just closed (node's default is 5 s)
    this.#server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  }

  /** The next `times` requests matching `path` (and `method`) get `answer` instead. */
  fail(path: RegExp, answer: FakeAnswer, times = 1, method?: string): void {
    this.#faults.push({ path, answer, remaining: times, ...(method ? { method } : {}) });
  }

  /** requests whose path matches, in order */
  requestsTo(path: RegExp, method = 'GET'): RecordedGoogleRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  // ------------------------------------------------------------ calendar helpers

  calendar(calendarId: string): CalendarState {
    let state = this.calendars.get(calendarId);
    if (!state) {
      state = { events: new Map(), seq: 1, expiredBefore: 0, timeZone: 'Europe/Berlin' };
      this.calendars.set(calendarId, state);
    }
    return state;
  }

  /** Adds or replaces an event (a master, a single event or an exception with recurringEventId). */
  putEvent(calendarId: string, event: calendar_v3.Schema$Event): void {
    const state = this.calendar(calendarId);
    state.seq++;
    const id = event.id!;
    state.events.set(id, {
      kind: 'calendar#event',
      etag: `"${state.seq}"`,
      status: 'confirmed',
      htmlLink: `https://www.google.com/calendar/event?eid=${b64url(`${id} ${calendarId}`)}`,
      updated: new Date(1_700_000_000_000 + state.seq * 1000).toISOString(),
      ...event,
      seq: state.seq,
    });
  }

  /** Cancels an event the way Google does: it stays in the feed with status cancelled. */
  cancelEvent(calendarId: string, eventId: string): void {
    const state = this.calendar(calendarId);
    const event = state.events.get(eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    state.seq++;
    state.events.set(eventId, { id: eventId, kind: 'calendar#event', status: 'cancelled', seq: state.seq, ...(event.recurringEventId ? { recurringEventId: event.recurringEventId, originalStartTime: event.originalStartTime } : {}) });
  }

  /** Every sync token issued so far answers 410 from now on. */
  expireSyncTokens(calendarId: string): void {
    const state = this.calendar(calendarId);
    state.expiredBefore = state.seq + 1;
  }

  // ------------------------------------------------------------ gmail helpers

  mailbox(address: string): MailboxState {
    let state = this.mailboxes.get(address);
    if (!state) {
      state = {
        threads: new Map(),
        historyId: 1000,
        oldestHistoryId: 0,
        history: [],
        labels: [
          { id: 'INBOX', name: 'INBOX', type: 'system' },
          { id: 'SENT', name: 'SENT', type: 'system' },
          { id: 'TRASH', name: 'TRASH', type: 'system' },
          { id: 'Label_7', name: 'Projects/Launch', type: 'user' },
        ],
        nextId: 1,
      };
      this.mailboxes.set(address, state);
    }
    return state;
  }

  /** Adds a message to a thread (a new thread when `threadId` is new); returns the Gmail message id. */
  addMessage(address: string, threadId: string, input: GmailMessageInput): string {
    const box = this.mailbox(address);
    const id = `18d${(box.nextId++).toString(16).padStart(13, '0')}`;
    const messageId = input.messageId ?? `<${id}@mail.acme.test>`;
    const headers = [
      { name: 'From', value: input.from },
      ...(input.to?.length ? [{ name: 'To', value: input.to.join(', ') }] : []),
      ...(input.cc?.length ? [{ name: 'Cc', value: input.cc.join(', ') }] : []),
      { name: 'Subject', value: input.subject },
      { name: 'Date', value: input.date.toUTCString() },
      { name: 'Message-ID', value: messageId },
      ...(input.inReplyTo ? [{ name: 'In-Reply-To', value: input.inReplyTo }, { name: 'References', value: input.inReplyTo }] : []),
      { name: 'MIME-Version', value: '1.0' },
      { name: 'Content-Type', value: 'multipart/alternative; boundary="b1"' },
    ];
    const html = `<div>${input.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n/g, '<br>')}</div>`;
    box.historyId++;
    const message: gmail_v1.Schema$Message = {
      id,
      threadId,
      labelIds: input.labelIds ?? ['INBOX'],
      snippet: input.text.slice(0, 100),
      historyId: String(box.historyId),
      internalDate: String(input.date.getTime()),
      sizeEstimate: input.text.length + 400,
      payload: {
        partId: '',
        mimeType: 'multipart/alternative',
        filename: '',
        headers,
        body: { size: 0 },
        parts: [
          { partId: '0', mimeType: 'text/plain', filename: '', headers: [{ name: 'Content-Type', value: 'text/plain; charset="UTF-8"' }], body: { size: Buffer.byteLength(input.text), data: b64url(input.text) } },
          { partId: '1', mimeType: 'text/html', filename: '', headers: [{ name: 'Content-Type', value: 'text/html; charset="UTF-8"' }], body: { size: Buffer.byteLength(html), data: b64url(html) } },
        ],
      },
    };
    const thread = box.threads.get(threadId) ?? [];
    thread.push(message);
    box.threads.set(threadId, thread);
    box.history.push({ id: String(box.historyId), messages: [{ id, threadId }], messagesAdded: [{ message: { id, threadId, labelIds: message.labelIds } }] });
    return id;
  }

  /** Deletes a message for good (not Trash): a messageDeleted history record. */
  deleteMessage(address: string, messageId: string): void {
    const box = this.mailbox(address);
    for (const [threadId, messages] of box.threads) {
      const index = messages.findIndex((m) => m.id === messageId);
      if (index === -1) continue;
      messages.splice(index, 1);
      if (messages.length === 0) box.threads.delete(threadId);
      box.historyId++;
      box.history.push({ id: String(box.historyId), messages: [{ id: messageId, threadId }], messagesDeleted: [{ message: { id: messageId, threadId } }] });
      return;
    }
    throw new Error(`no message ${messageId}`);
  }

  addLabel(address: string, messageId: string, labelId: string): void {
    const box = this.mailbox(address);
    for (const messages of box.threads.values()) {
      const message = messages.find((m) => m.id === messageId);
      if (!message) continue;
      message.labelIds = [...(message.labelIds ?? []), labelId];
      box.historyId++;
      box.history.push({ id: String(box.historyId), messages: [{ id: messageId, threadId: message.threadId }], labelsAdded: [{ message: { id: messageId, threadId: message.threadId }, labelIds: [labelId] }] });
      return;
    }
    throw new Error(`no message ${messageId}`);
  }

  /** History before the current id is forgotten: an older start id answers 404. */
  forgetHistory(address: string): void {
    const box = this.mailbox(address);
    box.oldestHistoryId = box.historyId;
  }

  /** `threads` threads of `perThread` messages each, between the given people (for throughput runs). */
  generateMail(address: string, opts: { threads: number; perThread: number; people: string[]; start?: Date }): void {
    const start = opts.start?.getTime() ?? Date.UTC(2025, 0, 1);
    let n = 0;
    for (let t = 0; t < opts.threads; t++) {
      const threadId = `t${t.toString(16).padStart(12, '0')}`;
      let previous: string | undefined;
      for (let m = 0; m < opts.perThread; m++) {
        const from = opts.people[(t + m) % opts.people.length]!;
        const to = opts.people.filter((p) => p !== from).slice(0, 2);
        const messageId = `<gen-${t}-${m}@mail.acme.test>`;
        this.addMessage(address, threadId, {
          from,
          to,
          subject: `${m ? 'Re: ' : ''}Topic ${t}: release plan ${t % 17}`,
          text: `Message ${m} of thread ${t}. We discussed the rollout of component ${t % 31} and agreed on step ${m}.\n\nNext: review on day ${(t + m) % 28}.`,
          date: new Date(start + n++ * 60_000),
          messageId,
          ...(previous ? { inReplyTo: previous } : {}),
        });
        previous = messageId;
      }
    }
  }

  // ------------------------------------------------------------ drive helpers

  putFile(file: Omit<DriveFile, 'kind'>): void {
    this.drive.seq++;
    const existing = this.drive.files.get(file.id!);
    this.drive.files.set(file.id!, {
      kind: 'drive#file',
      mimeType: 'application/vnd.google-apps.document',
      createdTime: existing?.createdTime ?? '2025-01-20T09:00:00.000Z',
      modifiedTime: new Date(Date.UTC(2025, 0, 20) + this.drive.seq * 60_000).toISOString(),
      webViewLink: `https://docs.google.com/document/d/${file.id}/edit?usp=drivesdk`,
      trashed: false,
      ...file,
    });
    this.drive.changes.push({ seq: this.drive.seq, fileId: file.id!, removed: false });
  }

  removeFile(fileId: string): void {
    this.drive.seq++;
    this.drive.files.delete(fileId);
    this.drive.changes.push({ seq: this.drive.seq, fileId, removed: true });
  }

  // ------------------------------------------------------------ routing

  #answer(r: RecordedGoogleRequest): FakeAnswer {
    const fault = this.#faults.find((f) => f.remaining > 0 && f.path.test(r.path) && (!f.method || f.method === r.method));
    if (fault) {
      fault.remaining--;
      return fault.answer;
    }
    if (r.method === 'POST' && r.path === '/token') return this.tokenEndpoint;
    const token = r.authorization?.replace(/^Bearer\s+/i, '');
    if (!token) return googleError(401, 'required', 'Login Required.', 'UNAUTHENTICATED');
    if (this.refusedTokens.has(token)) return UNAUTHENTICATED_401;
    const parts = r.path.split('/').filter(Boolean);
    const [api] = parts;
    if (api === 'calendar') return this.#calendar(r, parts.slice(2));
    if (api === 'gmail') return this.#gmail(r, parts.slice(2));
    if (api === 'drive') return this.#drive(r, parts.slice(2));
    if (api === 'admin') return this.#admin(r, parts.slice(3));
    return googleError(404, 'notFound', `no such API: ${r.path}`);
  }

  #calendar(r: RecordedGoogleRequest, p: string[]): FakeAnswer {
    if (r.method === 'POST' && p[0] === 'channels' && p[1] === 'stop') return this.#stopChannel(r);
    if (p[0] !== 'calendars' || !p[1]) return googleError(404, 'notFound', 'Not Found');
    const calendarId = p[1];
    const state = this.calendars.get(calendarId);
    if (!state) return googleError(404, 'notFound', 'Not Found');
    if (p[2] !== 'events') return googleError(404, 'notFound', 'Not Found');
    const eventId = p[3];
    if (r.method === 'POST' && eventId === 'watch') return this.#watch(r, 'calendar', calendarId);
    if (r.method === 'GET' && eventId && p[4] === 'instances') return this.#instances(r, state, eventId);
    if (r.method === 'GET' && eventId) {
      const event = state.events.get(eventId);
      return event ? { status: 200, body: strip(event) } : googleError(404, 'notFound', 'Not Found');
    }
    if (r.method !== 'GET') return googleError(405, 'methodNotAllowed', 'Method not allowed');
    // events.list
    const syncToken = r.query.get('syncToken');
    if (syncToken && (r.query.has('timeMin') || r.query.has('timeMax'))) return googleError(400, 'invalid', 'Sync token cannot be used with timeMin/timeMax');
    let since = 0;
    if (syncToken) {
      const m = /^sync:(\d+)$/.exec(syncToken);
      if (!m) return googleError(400, 'invalid', 'Invalid sync token value.');
      since = Number(m[1]);
      if (since < state.expiredBefore) return googleError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.');
    }
    if (r.query.get('singleEvents') === 'true') return googleError(400, 'invalid', 'this fake serves singleEvents=false only');
    const all = [...state.events.values()]
      .filter((e) => (syncToken ? e.seq > since : e.status !== 'cancelled' || Boolean(e.recurringEventId)))
      .sort((a, b) => a.seq - b.seq);
    // a page token pins the sequence the pass started at, as Google's tokens pin a snapshot
    const { items, next } = page(all, r.query, 'maxResults', 250);
    return {
      status: 200,
      body: {
        kind: 'calendar#events',
        summary: calendarId,
        timeZone: state.timeZone,
        updated: new Date().toISOString(),
        items: items.map(strip),
        ...(next ? { nextPageToken: next } : { nextSyncToken: `sync:${state.seq}` }),
      },
    };
  }

  /** events.instances: expands FREQ=DAILY/WEEKLY (INTERVAL, COUNT, UNTIL) and applies exceptions. */
  #instances(r: RecordedGoogleRequest, state: CalendarState, masterId: string): FakeAnswer {
    const master = state.events.get(masterId);
    if (!master || master.status === 'cancelled') return googleError(410, 'deleted', 'Resource has been deleted');
    const rule = (master.recurrence ?? []).find((l) => l.startsWith('RRULE:'));
    if (!rule) return googleError(400, 'invalid', 'not a recurring event');
    const fields = new Map(rule.slice(6).split(';').map((kv) => kv.split('=') as [string, string]));
    const step = (fields.get('FREQ') === 'DAILY' ? 1 : 7) * Number(fields.get('INTERVAL') ?? 1) * 86_400_000;
    const count = fields.has('COUNT') ? Number(fields.get('COUNT')) : 500;
    const until = fields.get('UNTIL');
    const untilMs = until ? Date.parse(until.replace(/^(\d{4})(\d{2})(\d{2})T?(\d{2})?(\d{2})?(\d{2})?Z?$/, (_m, y, mo, d, h = '23', mi = '59', s = '59') => `${y}-${mo}-${d}T${h}:${mi}:${s}Z`)) : Infinity;
    const start = Date.parse(master.start!.dateTime!);
    const duration = Date.parse(master.end!.dateTime!) - start;
    const timeMin = r.query.has('timeMin') ? Date.parse(r.query.get('timeMin')!) : -Infinity;
    const timeMax = r.query.has('timeMax') ? Date.parse(r.query.get('timeMax')!) : Infinity;
    const exceptions = new Map(
      [...state.events.values()].filter((e) => e.recurringEventId === masterId).map((e) => [Date.parse(e.originalStartTime!.dateTime!), e]),
    );
    const out: calendar_v3.Schema$Event[] = [];
    for (let i = 0; i < count; i++) {
      const at = start + i * step;
      if (at > untilMs) break;
      const original = new Date(at).toISOString();
      const exception = exceptions.get(at);
      const instance = exception
        ? strip(exception)
        : {
            ...strip(master),
            id: `${masterId}_${compactTime(original)}`,
            recurringEventId: masterId,
            originalStartTime: { dateTime: original, timeZone: master.start!.timeZone },
            start: { dateTime: original, timeZone: master.start!.timeZone },
            end: { dateTime: new Date(at + duration).toISOString(), timeZone: master.end!.timeZone },
            recurrence: undefined,
          };
      if (instance.status === 'cancelled') continue; // showDeleted=false
      const s = Date.parse(instance.start!.dateTime!);
      const e = Date.parse(instance.end!.dateTime!);
      if (e <= timeMin || s >= timeMax) continue;
      out.push(instance);
    }
    const { items, next } = page(out, r.query, 'maxResults', 250);
    return { status: 200, body: { kind: 'calendar#events', items, ...(next ? { nextPageToken: next } : {}) } };
  }

  #watch(r: RecordedGoogleRequest, api: 'calendar' | 'drive', target: string): FakeAnswer {
    const body = JSON.parse(r.body || '{}') as { id?: string; type?: string; address?: string; token?: string; expiration?: string; params?: { ttl?: string } };
    if (!body.id || body.type !== 'web_hook' || !body.address) return googleError(400, 'invalid', 'id, type web_hook and address are required');
    if (!/^https?:\/\//.test(body.address)) return googleError(400, 'push.webhookUrlNotHttps', 'WebHook callback must be HTTPS');
    const ttlMs = body.params?.ttl ? Number(body.params.ttl) * 1000 : body.expiration ? Number(body.expiration) - this.now() : 3_600_000;
    const channel: Channel = {
      api,
      id: body.id,
      resourceId: `res-${api}-${this.channels.length + 1}`,
      address: body.address,
      ...(body.token ? { token: body.token } : {}),
      expiration: String(this.now() + Math.min(ttlMs, 7 * 86_400_000)),
      target,
      stopped: false,
    };
    this.channels.push(channel);
    return { status: 200, body: { kind: 'api#channel', id: channel.id, resourceId: channel.resourceId, resourceUri: `${this.url}${r.path}`, token: channel.token, expiration: channel.expiration } };
  }

  #stopChannel(r: RecordedGoogleRequest): FakeAnswer {
    const body = JSON.parse(r.body || '{}') as { id?: string; resourceId?: string };
    const channel = this.channels.find((c) => c.id === body.id && c.resourceId === body.resourceId && !c.stopped);
    if (!channel) return googleError(404, 'notFound', `Channel '${body.id}' not found for project`);
    channel.stopped = true;
    return { status: 204 };
  }

  #gmail(r: RecordedGoogleRequest, p: string[]): FakeAnswer {
    // users/{userId}/...
    if (p[0] !== 'users' || !p[1]) return googleError(404, 'notFound', 'Not Found');
    const box = this.mailboxes.get(p[1]);
    if (!box) return googleError(400, 'failedPrecondition', 'Mail service not enabled');
    const resource = p[2];
    if (resource === 'profile') {
      const messages = [...box.threads.values()].reduce((n, t) => n + t.length, 0);
      return { status: 200, body: { emailAddress: p[1], messagesTotal: messages, threadsTotal: box.threads.size, historyId: String(box.historyId) } };
    }
    if (resource === 'labels') return { status: 200, body: { labels: box.labels } };
    if (resource === 'threads' && !p[3]) {
      const visible = [...box.threads.entries()].filter(([, ms]) => ms.some((m) => !(m.labelIds ?? []).some((l) => l === 'TRASH' || l === 'SPAM')));
      const { items, next } = page(visible, r.query, 'maxResults', 100);
      return {
        status: 200,
        body: {
          threads: items.map(([id, ms]) => ({ id, snippet: ms.at(-1)?.snippet, historyId: ms.at(-1)?.historyId })),
          ...(next ? { nextPageToken: next } : {}),
          resultSizeEstimate: visible.length,
        },
      };
    }
    if (resource === 'threads' && p[3]) {
      const messages = box.threads.get(p[3]);
      if (!messages) return googleError(404, 'notFound', 'Requested entity was not found.');
      if (r.query.get('format') !== 'full') return googleError(400, 'invalid', 'this fake serves format=full only');
      return { status: 200, body: { id: p[3], historyId: messages.at(-1)?.historyId, messages } };
    }
    if (resource === 'history') {
      const start = Number(r.query.get('startHistoryId'));
      if (!Number.isFinite(start) || start <= 0) return googleError(400, 'invalidArgument', 'Invalid startHistoryId');
      if (start < box.oldestHistoryId) return googleError(404, 'notFound', 'Requested entity was not found.');
      const types = new Set(r.query.getAll('historyTypes'));
      const records = box.history.filter((h) => Number(h.id) > start).filter((h) => {
        if (types.size === 0) return true;
        return (
          (types.has('messageAdded') && h.messagesAdded) ||
          (types.has('messageDeleted') && h.messagesDeleted) ||
          (types.has('labelAdded') && h.labelsAdded) ||
          (types.has('labelRemoved') && h.labelsRemoved)
        );
      });
      const limited = new URLSearchParams(r.query);
      limited.set('maxResults', String(Math.min(Number(r.query.get('maxResults') ?? 100), this.historyPageLimit)));
      const { items, next } = page(records, limited, 'maxResults', 100);
      return { status: 200, body: { ...(items.length ? { history: items } : {}), historyId: String(box.historyId), ...(next ? { nextPageToken: next } : {}) } };
    }
    return googleError(404, 'notFound', 'Not Found');
  }

  #drive(r: RecordedGoogleRequest, p: string[]): FakeAnswer {
    const drive = this.drive;
    if (p[0] === 'channels' && p[1] === 'stop' && r.method === 'POST') return this.#stopChannel(r);
    if (p[0] === 'changes') {
      if (p[1] === 'startPageToken') return { status: 200, body: { kind: 'drive#startPageToken', startPageToken: String(drive.seq + 1) } };
      if (p[1] === 'watch' && r.method === 'POST') {
        if (!r.query.get('pageToken')) return googleError(400, 'required', 'Required parameter: pageToken');
        return this.#watch(r, 'drive', 'changes');
      }
      const token = Number(r.query.get('pageToken'));
      if (!Number.isFinite(token)) return googleError(400, 'invalid', 'Invalid Value');
      if (token < drive.oldestToken) return googleError(404, 'notFound', 'Page token not found');
      const size = Number(r.query.get('pageSize') ?? 100);
      const pending = drive.changes.filter((c) => c.seq >= token);
      const taken = pending.slice(0, size);
      const next = pending[size];
      return {
        status: 200,
        body: {
          kind: 'drive#changeList',
          changes: taken.map((c) => {
            const file = drive.files.get(c.fileId);
            return {
              kind: 'drive#change',
              changeType: 'file',
              fileId: c.fileId,
              time: new Date(Date.UTC(2025, 0, 20) + c.seq * 60_000).toISOString(),
              removed: c.removed || !file,
              ...(file && !c.removed ? { file: fileResource(file) } : {}),
            };
          }),
          ...(next ? { nextPageToken: String(next.seq) } : { newStartPageToken: String(drive.seq + 1) }),
        },
      };
    }
    if (p[0] === 'files' && !p[1]) {
      const q = r.query.get('q') ?? '';
      const mime = /mimeType\s*=\s*'([^']+)'/.exec(q)?.[1];
      const all = [...drive.files.values()].filter((f) => (!mime || f.mimeType === mime) && (!/trashed\s*=\s*false/.test(q) || !f.trashed));
      const { items, next } = page(all, r.query, 'pageSize', 100);
      return { status: 200, body: { kind: 'drive#fileList', files: items.map(fileResource), ...(next ? { nextPageToken: next } : {}) } };
    }
    if (p[0] === 'files' && p[1]) {
      const file = drive.files.get(p[1]);
      if (!file) return googleError(404, 'notFound', `File not found: ${p[1]}.`);
      if (p[2] === 'export') {
        if (r.query.get('mimeType') !== 'text/plain') return googleError(400, 'badRequest', 'this fake exports text/plain only');
        if (file.mimeType !== 'application/vnd.google-apps.document') return googleError(403, 'fileNotExportable', 'Export only supports Docs Editors files.');
        return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `\uFEFF${file.text.replace(/\n/g, '\r\n')}` };
      }
      if (p[2] === 'permissions') {
        const { items, next } = page(file.permissionList, r.query, 'pageSize', 100);
        return { status: 200, body: { kind: 'drive#permissionList', permissions: items, ...(next ? { nextPageToken: next } : {}) } };
      }
      return { status: 200, body: fileResource(file) };
    }
    return googleError(404, 'notFound', 'Not Found');
  }

  #admin(r: RecordedGoogleRequest, p: string[]): FakeAnswer {
    // directory/v1/<p>
    if (p[0] === 'v1') p = p.slice(1);
    if (p[0] === 'users' && !p[1]) {
      if (!r.query.get('customer') && !r.query.get('domain')) return googleError(400, 'badRequest', 'Bad Request');
      const { items, next } = page(this.users, r.query, 'maxResults', 100);
      return { status: 200, body: { kind: 'admin#directory#users', users: items, ...(next ? { nextPageToken: next } : {}) } };
    }
    if (p[0] === 'groups' && p[1] && p[2] === 'members') {
      const members = this.groups.get(p[1]);
      if (!members) return googleError(404, 'notFound', 'Resource Not Found: groupKey');
      const { items, next } = page(members, r.query, 'maxResults', 200);
      return { status: 200, body: { kind: 'admin#directory#members', members: items, ...(next ? { nextPageToken: next } : {}) } };
    }
    return googleError(404, 'notFound', 'Not Found');
  }
}

function strip<T extends { seq?: number }>(event: T): Omit<T, 'seq'> {
  const { seq: _seq, ...rest } = event;
  return rest;
}

function fileResource(file: DriveFile): drive_v3.Schema$File {
  const { text: _text, permissionList: _permissions, ...rest } = file;
  return rest;
}

export async function startFakeGoogleApi(): Promise<FakeGoogleApi> {
  return new FakeGoogleApi().start();
}
