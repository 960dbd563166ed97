/**
 * The HTTP API and MCP served for real: a test stack (Temporal dev server + in-memory PGlite + worker),
 * `createHttpApp` on a real port, real tokens, and the MCP SDK's own client over Streamable HTTP.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createHttpApp } from '../../clients/http/app';
import { tokenAuthenticator } from '../../clients/http/auth';
import { operations } from '../../clients/registry';
import type { Scope } from '../../clients/registry/operation';
import { openTestStack, type TestStack } from '../support/stack';

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface Surfaces {
  stack: TestStack;
  url: string;
  /** flips /readyz */
  setReady(ready: boolean): void;
  token(personId: string, scope: Scope): Promise<string>;
  http(method: string, path: string, options?: { token?: string; query?: Record<string, string | string[]>; body?: unknown; rawBody?: string }): Promise<HttpAnswer>;
  mcp(token: string | undefined): Promise<Client>;
  close(): Promise<void>;
}

export async function startSurfaces(name: string): Promise<Surfaces> {
  const stack = await openTestStack({ name });
  let ready = true;
  const app = createHttpApp({
    operations,
    authenticate: tokenAuthenticator(stack.tokens),
    stack: async () => stack,
    ready: () => ready,
    log: stack.log,
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];

  return {
    stack,
    url,
    setReady: (value) => {
      ready = value;
    },
    async token(personId, scope) {
      return (await stack.tokens.create({ personId, scope, name: `test ${scope}` })).token;
    },
    async http(method, path, options = {}) {
      const target = new URL(path, url);
      for (const [key, value] of Object.entries(options.query ?? {})) {
        for (const v of Array.isArray(value) ? value : [value]) target.searchParams.append(key, v);
      }
      const headers: Record<string, string> = {};
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(target, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(text);
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async mcp(token) {
      const client = new Client({ name: 'surfaces-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), {
        requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
      });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stack.close();
    },
  };
}

/** A tool's result as the JSON a caller reads: the value on success, the error body on failure. */
export function toolJson(result: CallToolResult | Awaited<ReturnType<Client['callTool']>>): { isError: boolean; json: unknown } {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (!first || first.type !== 'text') throw new Error(`the tool answered without text content: ${JSON.stringify(result)}`);
  return { isError: (result as CallToolResult).isError === true, json: JSON.parse(first.text) };
}
