/**
 * The webhook channel registry (migration 006): which source a provider's push channel (a Google Calendar watch
 * channel, a Microsoft Graph subscription) belongs to, and the secret its notifications must carry. The connectors
 * register their channels here when they create them; the webhook routes look them up.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sql } from './ports';

export type WebhookProvider = 'google' | 'microsoft';
export type ChannelStatus = 'active' | 'reauthorization_required' | 'removed';

export interface WebhookChannel {
  provider: WebhookProvider;
  channelId: string;
  sourceId: string;
  resourceId: string | null;
  expiresAt: Date | null;
  status: ChannelStatus;
  lastMessage: number | null;
  lastEventAt: Date | null;
}

export interface RegisterChannel {
  provider: WebhookProvider;
  channelId: string;
  sourceId: string;
  /** the secret the provider will echo (Google's token, Graph's clientState); generated when absent */
  secret?: string;
  resourceId?: string;
  expiresAt?: Date;
}

interface ChannelRow {
  provider: WebhookProvider;
  channel_id: string;
  source_id: string;
  secret_hash: Uint8Array;
  resource_id: string | null;
  expires_at: Date | string | null;
  status: ChannelStatus;
  last_message: string | number | null;
  last_event_at: Date | string | null;
}

const COLUMNS = 'provider, channel_id, source_id, secret_hash, resource_id, expires_at, status, last_message, last_event_at';
const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));
const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

function channel(row: ChannelRow): WebhookChannel {
  return {
    provider: row.provider,
    channelId: row.channel_id,
    sourceId: row.source_id,
    resourceId: row.resource_id,
    expiresAt: date(row.expires_at),
    status: row.status,
    lastMessage: row.last_message === null ? null : Number(row.last_message),
    lastEventAt: date(row.last_event_at),
  };
}

export class WebhookStore {
  readonly #db: Sql;
  readonly #now: () => Date;

  constructor(deps: { db: Sql; now?: () => Date }) {
    this.#db = deps.db;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Registers (or re-registers, e.g. after renewal) a channel; returns the secret to hand to the provider. */
  async register(input: RegisterChannel): Promise<{ channel: WebhookChannel; secret: string }> {
    const secret = input.secret ?? randomBytes(32).toString('base64url');
    const { rows } = await this.#db.query<ChannelRow>(
      `INSERT INTO webhook_channels (provider, channel_id, source_id, secret_hash, resource_id, expires_at, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'active')
       ON CONFLICT (provider, channel_id) DO UPDATE SET source_id = EXCLUDED.source_id, secret_hash = EXCLUDED.secret_hash,
         resource_id = EXCLUDED.resource_id, expires_at = EXCLUDED.expires_at, status = 'active', updated_at = now()
       RETURNING ${COLUMNS}`,
      [input.provider, input.channelId, input.sourceId, digest(secret), input.resourceId ?? null, input.expiresAt ?? null],
    );
    return { channel: channel(rows[0]!), secret };
  }

  async get(provider: WebhookProvider, channelId: string): Promise<WebhookChannel | undefined> {
    const { rows } = await this.#db.query<ChannelRow>(
      `SELECT ${COLUMNS} FROM webhook_channels WHERE provider = $1 AND channel_id = $2`,
      [provider, channelId],
    );
    return rows[0] && channel(rows[0]);
  }

  async list(sourceId?: string): Promise<WebhookChannel[]> {
    const { rows } = await this.#db.query<ChannelRow>(
      `SELECT ${COLUMNS} FROM webhook_channels WHERE $1::text IS NULL OR source_id = $1 ORDER BY provider, channel_id`,
      [sourceId ?? null],
    );
    return rows.map(channel);
  }

  /**
   * The channel, when `presented` is its secret (compared in constant time); undefined for an unknown channel or a
   * wrong secret alike, so a caller cannot tell which channels exist.
   */
  async verify(provider: WebhookProvider, channelId: string, presented: string | undefined): Promise<WebhookChannel | undefined> {
    const { rows } = await this.#db.query<ChannelRow>(
      `SELECT ${COLUMNS} FROM webhook_channels WHERE provider = $1 AND channel_id = $2`,
      [provider, channelId],
    );
    const row = rows[0];
    // hash even when there is no row, so both refusals take the same time
    const expected = row ? Buffer.from(row.secret_hash) : digest('');
    const matches = timingSafeEqual(digest(presented ?? ''), expected);
    return row && presented !== undefined && matches ? channel(row) : undefined;
  }

  /** Notes that a notification arrived (and Google's message number). */
  async touch(provider: WebhookProvider, channelId: string, messageNumber?: number): Promise<void> {
    await this.#db.query(
      `UPDATE webhook_channels SET last_event_at = $3,
         last_message = GREATEST(COALESCE(last_message, 0), COALESCE($4::bigint, 0)), updated_at = now()
       WHERE provider = $1 AND channel_id = $2`,
      [provider, channelId, this.#now(), messageNumber ?? null],
    );
  }

  /** A renewed subscription (Graph's PATCH of its expiry): the new expiry, and active again; its secret is unchanged. */
  async renewed(provider: WebhookProvider, channelId: string, expiresAt: Date): Promise<void> {
    await this.#db.query(
      `UPDATE webhook_channels SET expires_at = $3, status = 'active', updated_at = now() WHERE provider = $1 AND channel_id = $2`,
      [provider, channelId, expiresAt],
    );
  }

  async setStatus(provider: WebhookProvider, channelId: string, status: ChannelStatus): Promise<void> {
    await this.#db.query(
      'UPDATE webhook_channels SET status = $3, updated_at = now() WHERE provider = $1 AND channel_id = $2',
      [provider, channelId, status],
    );
  }
}
