/**
 * Delegated Graph access: a user's refresh token exchanged for access tokens at the Microsoft identity platform
 * (`/<tenant>/oauth2/v2.0/token`, grant_type=refresh_token). App-only access (client credentials) is the delivery
 * layer's clientCredentialsTokens. A refusal becomes the shared TokenRequestError carrying the OAuth `error`
 * (invalid_grant: the user revoked consent or the token expired), which the provider layer classifies as
 * SourceAuthFailed. The token is never logged or put in a message.
 */
import { TokenRequestError } from '../../providers/errors';
import type { GraphTokenProvider } from '../../delivery/graph';

export interface RefreshTokenCredentials {
  tenantId: string;
  clientId: string;
  /** confidential clients only; public clients have none */
  clientSecret?: string;
  refreshToken: string;
  /** default https://login.microsoftonline.com */
  loginUrl?: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default offline_access';

/** Access tokens from a refresh token, cached until a minute before expiry; a rotated refresh token is used next. */
export function refreshTokenTokens(credentials: RefreshTokenCredentials): GraphTokenProvider {
  const fetchFn = credentials.fetch ?? globalThis.fetch;
  const now = credentials.now ?? Date.now;
  const url = `${(credentials.loginUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`;
  let refreshToken = credentials.refreshToken;
  let cached: { token: string; until: number } | undefined;
  let pending: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: credentials.clientId,
        refresh_token: refreshToken,
        scope: GRAPH_SCOPE,
        ...(credentials.clientSecret ? { client_secret: credentials.clientSecret } : {}),
      }).toString(),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string };
    if (!response.ok || !body.access_token) {
      throw new TokenRequestError(response.status, response.headers, `token endpoint answered ${response.status} ${body.error ?? ''}`.trim(), body.error);
    }
    // Microsoft may rotate the refresh token; the new one serves this process (the stored one stays valid until revoked)
    if (body.refresh_token) refreshToken = body.refresh_token;
    cached = { token: body.access_token, until: now() + Math.max(0, (body.expires_in ?? 3600) - 60) * 1000 };
    return body.access_token;
  };

  return async () => {
    if (cached && now() < cached.until) return cached.token;
    pending ??= request().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
