/**
 * A local HTTP stand-in for a provider's API: records every request exactly as it arrived (method, path, query,
 * headers, body) and answers through a route table the test writes in the provider's wire format.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** the body as JSON, or as form fields for application/x-www-form-urlencoded */
  json: () => unknown;
  form: () => URLSearchParams;
}

export interface WireResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Route = (request: RecordedRequest) => WireResponse | undefined | Promise<WireResponse | undefined>;

export interface WireServer {
  url: string;
  requests: RecordedRequest[];
  /** routes tried newest first; the first that answers wins */
  on(method: string, path: string | RegExp, route: Route): void;
  close(): Promise<void>;
}

export async function startWireServer(): Promise<WireServer> {
  const requests: RecordedRequest[] = [];
  const routes: { method: string; path: string | RegExp; route: Route }[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      void (async () => {
        const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
        const body = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = {
          method: incoming.method ?? 'GET',
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          headers: incoming.headers,
          body,
          json: () => JSON.parse(body) as unknown,
          form: () => new URLSearchParams(body),
        };
        requests.push(recorded);
        let answer: WireResponse | undefined;
        for (const candidate of [...routes].reverse()) {
          if (candidate.method !== recorded.method) continue;
          const matches = typeof candidate.path === 'string' ? candidate.path === recorded.path : candidate.path.test(recorded.path);
          if (!matches) continue;
          answer = await candidate.route(recorded);
          if (answer) break;
        }
        answer ??= { status: 404, body: { error: `no route for ${recorded.method} ${recorded.path}` } };
        const payload = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        outgoing.writeHead(answer.status ?? 200, {
          ...(answer.body !== undefined && typeof answer.body !== 'string' ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          ...answer.headers,
        });
        outgoing.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (method, path, route) => routes.push({ method, path, route }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** what a test's `await expect(...).rejects` sees from an adapter: the ApplicationFailure's fields */
export async function failureOf(promise: Promise<unknown>): Promise<{ type?: string | null; nonRetryable?: boolean; nextRetryDelay?: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown; message: string };
  }
  throw new Error('expected the call to fail');
}
