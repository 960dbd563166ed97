/**
 * Who is calling the HTTP API (and /mcp): the bearer token, verified against the token store, becomes
 * the principal every operation runs as.
 */
import type { TokenRecord, TokenStore } from '../../activities/memory/tokens';
import { UnauthorizedError } from '../registry/errors';
import type { Principal } from '../registry/operation';

export type Authenticate = (authorizationHeader: string | undefined) => Promise<Principal>;

export function principalOf(record: TokenRecord): Principal {
  return { personId: record.personId, scope: record.scope, tokenId: record.id, owner: record.owner };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * An authenticator over the token store. The store may be given lazily, so that a service can answer
 * /healthz before its store is open.
 */
export function tokenAuthenticator(tokens: TokenStore | (() => Promise<TokenStore>)): Authenticate {
  return async (header) => {
    const presented = bearerToken(header);
    if (!presented) throw new UnauthorizedError('send an API token as "Authorization: Bearer <token>" (create one with `myc tokens create`)');
    const store = typeof tokens === 'function' ? await tokens() : tokens;
    const record = await store.verify(presented);
    if (!record) throw new UnauthorizedError('this API token is unknown, malformed or revoked');
    return principalOf(record);
  };
}
