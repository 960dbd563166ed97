/**
 * What the Microsoft Graph adapters share: a Graph client whose middleware is only "add the bearer token, send"
 * (the SDK's retry handler would retry 429s behind Temporal's back, and its auth handler only signs requests to
 * graph.microsoft.com hosts over https, not a configured base URL), the app-only token (OAuth client
 * credentials, cached until shortly before it expires), and the extended property that carries our idempotency
 * key on messages and events so `findSent` can filter on it.
 */
import { Client, HTTPMessageHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { TokenRequestError, tokenFailure } from './provider-errors';

export type GraphTokenProvider = () => Promise<string>;

export interface GraphApiConfig {
  accessToken: GraphTokenProvider;
  /** default https://graph.microsoft.com */
  baseUrl?: string;
}

/** A named string property in Mycelium's own GUID namespace (MAPI named properties need one). */
export const MYCELIUM_KEY_PROPERTY = 'String {6f1c2a4e-3b7d-4e59-9a0c-8d2e5f7b1c36} Name MyceliumDeliveryKey';

export function keyProperty(idempotencyKey: string): { id: string; value: string } {
  return { id: MYCELIUM_KEY_PROPERTY, value: idempotencyKey };
}

/** OData filter for the resources carrying our key (keys are [A-Za-z0-9_-]: no quote escaping needed, but be safe) */
export function keyFilter(idempotencyKey: string): string {
  const quoted = idempotencyKey.replace(/'/g, "''");
  return `singleValueExtendedProperties/Any(ep: ep/id eq '${MYCELIUM_KEY_PROPERTY}' and ep/value eq '${quoted}')`;
}

class BearerToken implements Middleware {
  private next?: Middleware;
  constructor(private readonly token: GraphTokenProvider) {}

  async execute(context: Context): Promise<void> {
    const bearer = `Bearer ${await this.token()}`;
    if (typeof Request !== 'undefined' && context.request instanceof Request) {
      context.request.headers.set('Authorization', bearer);
    } else {
      context.options ??= {};
      const headers = context.options.headers;
      if (headers instanceof Headers) headers.set('Authorization', bearer);
      else context.options.headers = { ...(headers as Record<string, string> | undefined), Authorization: bearer };
    }
    if (!this.next) throw new Error('the bearer middleware must be followed by the HTTP handler');
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

export function graphClient(config: GraphApiConfig): Client {
  return Client.initWithMiddleware({
    baseUrl: `${(config.baseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '')}/`,
    defaultVersion: 'v1.0',
    middleware: [new BearerToken(config.accessToken), new HTTPMessageHandler()],
  });
}

export interface ClientCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** default https://login.microsoftonline.com */
  loginUrl?: string;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

/** App-only Graph tokens (client credentials grant), cached until a minute before expiry. */
export function clientCredentialsTokens(credentials: ClientCredentials): GraphTokenProvider {
  const fetchFn = credentials.fetch ?? globalThis.fetch;
  const now = credentials.now ?? Date.now;
  let cached: { token: string; until: number } | undefined;
  let pending: Promise<string> | undefined;
  const url = `${(credentials.loginUrl ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`;

  const request = async (): Promise<string> => {
    try {
      const response = await fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
      if (!response.ok || !body.access_token) {
        // the error code (invalid_client, …) is safe to show; the description may echo request details, so keep it short
        throw new TokenRequestError(response.status, response.headers, `token endpoint answered ${response.status} ${body.error ?? ''}`.trim());
      }
      cached = { token: body.access_token, until: now() + Math.max(0, (body.expires_in ?? 3600) - 60) * 1000 };
      return body.access_token;
    } catch (error) {
      throw tokenFailure(error, 'graph-token');
    }
  };

  return async () => {
    if (cached && now() < cached.until) return cached.token;
    pending ??= request().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
