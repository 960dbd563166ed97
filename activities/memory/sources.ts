/**
 * The registry of API sources (Google Workspace, Microsoft 365, Slack): owner and status (active, or paused with a
 * reason), per-stream cursors with the full listing in progress, the "seen in full pass" mark of each unit, and
 * the source's encrypted secret. The files connector keeps using `sources.cursor` and `source_files` as before.
 *
 * A secret goes in as text and comes out as text, only through `putSecret` / `secret`: it is never logged, never
 * listed (`listStreams`, `get` carry none) and never handed to a workflow.
 */
import type { Db, Sql } from './ports';
import { SecretBox, type SealedSecret } from './secrets';

export type SourceStatus = 'active' | 'paused';

export interface RegisteredSource {
  id: string;
  kind: string;
  config: Record<string, unknown>;
  /** the person told when the source needs attention */
  ownerId: string | null;
  status: SourceStatus;
  pausedReason: string | null;
  pausedAt: Date | null;
}

export interface StreamState {
  stream: string;
  /** null: never synced (the connector starts a full listing) */
  cursor: Record<string, unknown> | null;
  /** the full listing in progress, or finished and not yet swept */
  fullPassId: string | null;
  fullPassComplete: boolean;
  updatedAt: Date;
}

interface SourceRow {
  id: string;
  kind: string;
  config: Record<string, unknown>;
  owner_id: string | null;
  status: SourceStatus;
  paused_reason: string | null;
  paused_at: Date | string | null;
}

interface StreamRow {
  stream: string;
  cursor: Record<string, unknown> | null;
  full_pass_id: string | null;
  full_pass_complete: boolean;
  updated_at: Date | string;
}

export interface SourceRegistryDeps {
  db: Db;
  /** the key secrets are sealed with; resolved on first use, so a store without API sources needs no key */
  secretBox?: () => SecretBox;
}

const SOURCE_COLUMNS = 'id, kind, config, owner_id, status, paused_reason, paused_at';

export class SourceRegistry {
  readonly #db: Db;
  readonly #secretBox: () => SecretBox;
  #box: SecretBox | undefined;

  constructor(deps: SourceRegistryDeps) {
    this.#db = deps.db;
    this.#secretBox = deps.secretBox ?? (() => SecretBox.fromEnv());
  }

  #boxNow(): SecretBox {
    this.#box ??= this.#secretBox();
    return this.#box;
  }

  /**
   * Registers (or re-registers) a source with its secret, in one transaction. Registering again is how credentials
   * are replaced, so it also makes a paused source active.
   */
  async register(source: { id: string; kind: string; config: Record<string, unknown>; ownerId: string | null; secret?: string }): Promise<void> {
    // seal before the transaction: a missing key fails before anything is written
    const sealed = source.secret === undefined ? undefined : this.#boxNow().seal(source.secret, source.id);
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO sources (id, kind, config, owner_id, status) VALUES ($1, $2, $3::jsonb, $4, 'active')
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config, owner_id = EXCLUDED.owner_id,
           status = 'active', paused_reason = NULL, paused_at = NULL, updated_at = now()`,
        [source.id, source.kind, JSON.stringify(source.config), source.ownerId],
      );
      if (sealed) await writeSecret(tx, source.id, sealed);
    });
  }

  async get(id: string): Promise<RegisteredSource | undefined> {
    const { rows } = await this.#db.query<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE id = $1`, [id]);
    return rows[0] && sourceFromRow(rows[0]);
  }

  async list(): Promise<RegisteredSource[]> {
    const { rows } = await this.#db.query<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM sources ORDER BY id`);
    return rows.map(sourceFromRow);
  }

  /** Pauses an active source; false when it was paused already (the first reason stands) or does not exist. */
  async pause(id: string, reason: string, at: Date): Promise<boolean> {
    const { rows } = await this.#db.query(
      `UPDATE sources SET status = 'paused', paused_reason = $2, paused_at = $3, updated_at = now()
       WHERE id = $1 AND status = 'active' RETURNING id`,
      [id, reason, at.toISOString()],
    );
    return rows.length > 0;
  }

  /** Makes a paused source active again; false when it was not paused (or does not exist). */
  async resume(id: string): Promise<boolean> {
    const { rows } = await this.#db.query(
      `UPDATE sources SET status = 'active', paused_reason = NULL, paused_at = NULL, updated_at = now()
       WHERE id = $1 AND status = 'paused' RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  // ---- secrets

  async putSecret(sourceId: string, secret: string): Promise<void> {
    const sealed = this.#boxNow().seal(secret, sourceId);
    await writeSecret(this.#db, sourceId, sealed);
  }

  /** The source's secret in clear, or undefined when it has none. Throws SecretKeyError on a missing or wrong key. */
  async secret(sourceId: string): Promise<string | undefined> {
    const { rows } = await this.#db.query<{ key_id: string; iv: Uint8Array; ciphertext: Uint8Array; auth_tag: Uint8Array }>(
      'SELECT key_id, iv, ciphertext, auth_tag FROM source_secrets WHERE source_id = $1',
      [sourceId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return this.#boxNow().open(
      { keyId: row.key_id, iv: Buffer.from(row.iv), ciphertext: Buffer.from(row.ciphertext), authTag: Buffer.from(row.auth_tag) },
      sourceId,
    );
  }

  // ---- streams

  async stream(sourceId: string, stream: string): Promise<StreamState | undefined> {
    const { rows } = await this.#db.query<StreamRow>(
      'SELECT stream, cursor, full_pass_id, full_pass_complete, updated_at FROM source_streams WHERE source_id = $1 AND stream = $2',
      [sourceId, stream],
    );
    return rows[0] && streamFromRow(rows[0]);
  }

  async listStreams(sourceId: string): Promise<StreamState[]> {
    const { rows } = await this.#db.query<StreamRow>(
      'SELECT stream, cursor, full_pass_id, full_pass_complete, updated_at FROM source_streams WHERE source_id = $1 ORDER BY stream',
      [sourceId],
    );
    return rows.map(streamFromRow);
  }

  /**
   * Marks the listed units as seen in a full pass, then commits the stream's cursor, in one transaction: the
   * caller has stored the page's units before, so a crash before this leaves the old cursor (the page is read again).
   */
  async commitPage(
    sourceId: string,
    stream: string,
    page: { cursor: Record<string, unknown>; seenPaths: string[]; fullPassId: string | null; fullPassComplete: boolean },
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      if (page.fullPassId && page.seenPaths.length > 0) {
        await tx.query('UPDATE source_files SET seen_pass = $3 WHERE source_id = $1 AND path = ANY($2::text[])', [sourceId, page.seenPaths, page.fullPassId]);
      }
      await tx.query(
        `INSERT INTO source_streams (source_id, stream, cursor, full_pass_id, full_pass_complete) VALUES ($1, $2, $3::jsonb, $4, $5)
         ON CONFLICT (source_id, stream) DO UPDATE SET cursor = EXCLUDED.cursor, full_pass_id = EXCLUDED.full_pass_id,
           full_pass_complete = EXCLUDED.full_pass_complete, updated_at = now()`,
        [sourceId, stream, JSON.stringify(page.cursor), page.fullPassId, page.fullPassComplete],
      );
    });
  }

  /** path -> stored unit hash and when it was written, for these paths only (a page's worth, not the whole source) */
  async unitStates(sourceId: string, paths: string[]): Promise<Map<string, { fileHash: string; updatedAt: Date }>> {
    if (paths.length === 0) return new Map();
    const { rows } = await this.#db.query<{ path: string; file_hash: string; updated_at: Date | string }>(
      'SELECT path, file_hash, updated_at FROM source_files WHERE source_id = $1 AND path = ANY($2::text[])',
      [sourceId, paths],
    );
    return new Map(rows.map((r) => [r.path, { fileHash: r.file_hash, updatedAt: new Date(r.updated_at) }]));
  }

  /** Units of the stream (paths `<stream>/…`) that the given full pass did not list. */
  async unseenPaths(sourceId: string, stream: string, passId: string): Promise<string[]> {
    const { rows } = await this.#db.query<{ path: string }>(
      `SELECT path FROM source_files WHERE source_id = $1 AND starts_with(path, $2) AND seen_pass IS DISTINCT FROM $3 ORDER BY path`,
      [sourceId, `${stream}/`, passId],
    );
    return rows.map((r) => r.path);
  }

  /** The sweep of a finished full pass is done: the stream goes back to incremental reads. */
  async finishFullPass(sourceId: string, stream: string, passId: string): Promise<void> {
    await this.#db.query(
      `UPDATE source_streams SET full_pass_id = NULL, full_pass_complete = false, updated_at = now()
       WHERE source_id = $1 AND stream = $2 AND full_pass_id = $3`,
      [sourceId, stream, passId],
    );
  }
}

async function writeSecret(sql: Sql, sourceId: string, sealed: SealedSecret): Promise<void> {
  await sql.query(
    `INSERT INTO source_secrets (source_id, key_id, iv, ciphertext, auth_tag) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (source_id) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv, ciphertext = EXCLUDED.ciphertext,
       auth_tag = EXCLUDED.auth_tag, updated_at = now()`,
    [sourceId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag],
  );
}

function sourceFromRow(row: SourceRow): RegisteredSource {
  return {
    id: row.id,
    kind: row.kind,
    config: row.config,
    ownerId: row.owner_id,
    status: row.status,
    pausedReason: row.paused_reason,
    pausedAt: row.paused_at === null ? null : new Date(row.paused_at),
  };
}

function streamFromRow(row: StreamRow): StreamState {
  return {
    stream: row.stream,
    cursor: row.cursor,
    fullPassId: row.full_pass_id,
    fullPassComplete: row.full_pass_complete,
    updatedAt: new Date(row.updated_at),
  };
}
