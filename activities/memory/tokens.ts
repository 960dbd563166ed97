/**
 * API tokens: `myc_<id>_<secret>`. The id finds the row; the secret is checked against a scrypt hash
 * in constant time. A token is bound to one person and one scope, and can be revoked.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Sql } from './ports';

const scrypt = promisify(scryptCallback) as (secret: string, salt: Buffer, length: number) => Promise<Buffer>;
const HASH_BYTES = 32;
const TOKEN_PATTERN = /^myc_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export type TokenScope = 'read' | 'write' | 'admin';

export interface TokenRecord {
  id: string;
  personId: string;
  scope: TokenScope;
  name: string;
  owner: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: string;
  person_id: string;
  scope: TokenScope;
  name: string;
  owner: boolean;
  salt: Uint8Array;
  hash: Uint8Array;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

function record(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    personId: row.person_id,
    scope: row.scope,
    name: row.name,
    owner: row.owner,
    createdAt: date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : date(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : date(row.revoked_at),
  };
}

/** how many verified tokens a store remembers (a service sees few distinct tokens) */
const VERIFIED_CACHE_SIZE = 256;

export class TokenStore {
  readonly #db: Sql;
  readonly #now: () => Date;
  /**
   * sha256 of a presented token → the id it verified as. scrypt is slow on purpose (~50 ms); a token seen
   * before is checked by one indexed read instead, which still sees a revocation made by any process.
   */
  readonly #verified = new Map<string, string>();

  constructor(deps: { db: Sql; now?: () => Date }) {
    this.#db = deps.db;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Creates a token; the returned `token` is the only time the secret exists outside the caller. */
  async create(input: { personId: string; scope: TokenScope; name?: string; owner?: boolean }): Promise<TokenRecord & { token: string }> {
    const id = randomId();
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const hash = await scrypt(secret, salt, HASH_BYTES);
    const { rows } = await this.#db.query<TokenRow>(
      `INSERT INTO api_tokens (id, person_id, scope, name, salt, hash, owner, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [id, input.personId, input.scope, input.name ?? '', salt, hash, input.owner ?? false, this.#now()],
    );
    return { ...record(rows[0]!), token: `myc_${id}_${secret}` };
  }

  async list(opts: { includeRevoked?: boolean } = {}): Promise<TokenRecord[]> {
    const { rows } = await this.#db.query<TokenRow>(
      `SELECT * FROM api_tokens ${opts.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
    );
    return rows.map(record);
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.#db.query<TokenRow>('SELECT * FROM api_tokens WHERE id = $1', [id]);
    return rows[0] ? record(rows[0]) : undefined;
  }

  /** Revokes a token; false when there is no such token. Revoking twice is not an error. */
  async revoke(id: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.#db.query<TokenRow>(
      'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING *',
      [id, this.#now()],
    );
    return rows[0] ? record(rows[0]) : undefined;
  }

  /** The live token a presented string is, or undefined (malformed, unknown, wrong secret, revoked). */
  async verify(presented: string): Promise<TokenRecord | undefined> {
    const match = TOKEN_PATTERN.exec(presented.trim());
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const fingerprint = createHash('sha256').update(presented.trim()).digest('hex');
    const { rows } = await this.#db.query<TokenRow>('SELECT * FROM api_tokens WHERE id = $1 AND revoked_at IS NULL', [id]);
    const row = rows[0];
    if (!row) {
      this.#verified.delete(fingerprint);
      return undefined;
    }
    if (this.#verified.get(fingerprint) !== id) {
      const actual = await scrypt(secret, Buffer.from(row.salt), HASH_BYTES);
      if (!timingSafeEqual(actual, Buffer.from(row.hash))) return undefined;
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(fingerprint, id);
    }
    const used = await this.#db.query<TokenRow>('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 RETURNING *', [id, this.#now()]);
    return record(used.rows[0] ?? row);
  }
}

function randomId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}
