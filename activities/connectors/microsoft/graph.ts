/**
 * Reading Microsoft Graph through the official client, configured as delivery configures it (activities/delivery/
 * graph.ts): the base URL from configuration, a bearer middleware and no SDK retries (Temporal owns retries).
 *
 * Graph's paging links (@odata.nextLink, @odata.deltaLink) are absolute URLs on Graph's own host. We follow them
 * through the configured base URL instead: behind a proxy (or against a test server) the link's host is not the one
 * we were told to use, and the bearer token must never go to a host nobody configured.
 */
import { ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import { clientCredentialsTokens, graphClient, type GraphTokenProvider } from '../../delivery/graph';

/** A page of a Graph collection. */
export interface GraphPage<T> {
  value?: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export type MicrosoftCredentials =
  | { kind: 'client-credentials'; tenantId: string; clientId: string; clientSecret: string; loginUrl?: string }
  /** delegated access: the caller keeps the user's refresh token and hands out access tokens */
  | { kind: 'token'; accessToken: GraphTokenProvider };

export interface GraphRequestOptions {
  /** OData and other query parameters; values are URL-encoded here */
  query?: Record<string, string | number>;
  /** Prefer header values (outlook.timezone="UTC", odata.maxpagesize=50, …) */
  prefer?: string[];
}

const API_VERSION = /^\/?(v1\.0|beta)\//;

/** The path and query of a Graph link, without host and API version: what `client.api()` takes. */
export function relativeLink(link: string): string {
  const url = new URL(link);
  return `${url.pathname.replace(API_VERSION, '/')}${url.search}`;
}

export class GraphReader {
  constructor(
    private readonly client: Client,
    /** asked before every request: the SDK would wrap a refused token in a status-less GraphError, losing its class */
    private readonly token: GraphTokenProvider,
  ) {}

  static create(credentials: MicrosoftCredentials, baseUrl: string | undefined): GraphReader {
    const accessToken = credentials.kind === 'token' ? credentials.accessToken : clientCredentialsTokens(credentials);
    return new GraphReader(graphClient({ accessToken, ...(baseUrl ? { baseUrl } : {}) }), accessToken);
  }

  private request(pathOrLink: string, options: GraphRequestOptions = {}) {
    const path = /^https?:\/\//i.test(pathOrLink) ? relativeLink(pathOrLink) : pathOrLink;
    const request = this.client.api(path);
    if (options.query) {
      // the SDK copies object query values verbatim; a $filter holding a URL must not look like one to its parser
      request.query(Object.fromEntries(Object.entries(options.query).map(([key, value]) => [key, encodeURIComponent(String(value))])));
    }
    if (options.prefer?.length) request.header('Prefer', options.prefer.join(', '));
    return request;
  }

  async get<T>(pathOrLink: string, options?: GraphRequestOptions): Promise<T> {
    await this.token();
    return (await this.request(pathOrLink, options).get()) as T;
  }

  async text(path: string, options?: GraphRequestOptions): Promise<string> {
    await this.token();
    return (await this.request(path, options).responseType(ResponseType.TEXT).get()) as string;
  }

  /** Every item of a collection, following nextLinks (for small collections: members, replies, channels). */
  async all<T>(path: string, options?: GraphRequestOptions, heartbeat?: () => void): Promise<T[]> {
    const items: T[] = [];
    let page = await this.get<GraphPage<T>>(path, options);
    items.push(...(page.value ?? []));
    while (page['@odata.nextLink']) {
      heartbeat?.();
      page = await this.get<GraphPage<T>>(page['@odata.nextLink'], { prefer: options?.prefer });
      items.push(...(page.value ?? []));
    }
    return items;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    await this.token();
    return (await this.client.api(path).post(body)) as T;
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    await this.token();
    return (await this.client.api(path).patch(body)) as T;
  }
}
