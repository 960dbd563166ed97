/**
 * API tokens on both engines: shown once, only a hash kept, scope and person bound, revocation effective at
 * once — also for a token this store verified before (the verified-token memo must never outlive a revocation,
 * even one made by another process on the same database).
 */
import { describe, expect, it } from 'vitest';
import { TokenStore } from '../../activities/memory/tokens';
import { DB_FLAVORS, useTestDatabase } from '../support/db';

describe.each(DB_FLAVORS)('TokenStore on %s', (flavor) => {
  const ctx = useTestDatabase(flavor);

  it('creates a token shown once and keeps only a hash of its secret', async () => {
    const tokens = new TokenStore({ db: ctx.db });
    const created = await tokens.create({ personId: 'alice@acme.test', scope: 'read', name: 'laptop' });
    expect(created.token).toMatch(/^myc_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const secret = created.token.split('_').slice(2).join('_');
    const { rows } = await ctx.db.query<{ hash: Uint8Array; salt: Uint8Array }>('SELECT hash, salt FROM api_tokens WHERE id = $1', [created.id]);
    expect(Buffer.from(rows[0]!.hash).toString('base64url')).not.toBe(secret);
    expect(JSON.stringify(await tokens.list())).not.toContain(secret);
    const verified = await tokens.verify(created.token);
    expect(verified).toMatchObject({ id: created.id, personId: 'alice@acme.test', scope: 'read', name: 'laptop', owner: false });
    expect(verified!.lastUsedAt).toBeInstanceOf(Date);
  });

  it('refuses a malformed token, an unknown id and a wrong secret', async () => {
    const tokens = new TokenStore({ db: ctx.db });
    const created = await tokens.create({ personId: 'bob@acme.test', scope: 'write' });
    expect(await tokens.verify('not a token')).toBeUndefined();
    expect(await tokens.verify(created.token.replace(/^myc_[a-z0-9]{12}/, 'myc_aaaaaaaaaaaa'))).toBeUndefined();
    const last = created.token.at(-1) === 'A' ? 'B' : 'A';
    expect(await tokens.verify(`${created.token.slice(0, -1)}${last}`)).toBeUndefined();
    // a wrong secret does not count as a use of the token
    expect((await tokens.get(created.id))!.lastUsedAt).toBeNull();
  });

  it('a revoked token stops working at once, also after it was verified, and also when another store revoked it', async () => {
    const service = new TokenStore({ db: ctx.db });
    const elsewhere = new TokenStore({ db: ctx.db });
    const created = await service.create({ personId: 'carla@acme.test', scope: 'admin' });
    expect(await service.verify(created.token)).toBeDefined();
    expect(await service.verify(created.token)).toBeDefined();
    expect((await elsewhere.revoke(created.id))!.revokedAt).toBeInstanceOf(Date);
    expect(await service.verify(created.token)).toBeUndefined();
    expect(await service.list()).not.toContainEqual(expect.objectContaining({ id: created.id }));
    expect(await service.list({ includeRevoked: true })).toContainEqual(expect.objectContaining({ id: created.id }));
    expect(await service.revoke('no-such-token')).toBeUndefined();
  });
});
