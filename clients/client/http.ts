/**
 * The typed HTTP client of a Mycelium service: one method per registry operation, its input and output
 * types taken from the registry, errors rebuilt as the same typed errors the service threw.
 * Light on purpose (zod and the registry's declarations only): the CLI loads it on every start.
 */
import type { z } from 'zod';
import { errorFromBody, isErrorBody, UnavailableError } from '../registry/errors';
import { operations, type DeclaredOperation } from '../registry';
import type { AnyOperation } from '../registry/operation';

export type OperationName = DeclaredOperation['name'];
type OperationNamed<N extends OperationName> = Extract<DeclaredOperation, { name: N }>;
export type OperationInput<N extends OperationName> = z.input<OperationNamed<N>['input']>;
export type OperationOutput<N extends OperationName> = z.output<OperationNamed<N>['output']>;

export interface MyceliumClientOptions {
  /** the service's base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  /** an API token (`myc tokens create`); sent as a bearer token */
  token?: string;
  fetch?: typeof fetch;
  /** per-request limit; long operations (brief_prepare, ingest) take their own from the input */
  timeoutMs?: number;
}

export type MyceliumOps = { [N in OperationName]: (input: OperationInput<N>) => Promise<OperationOutput<N>> };

export class MyceliumClient {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  /** `client.ops.search({ query: 'pricing' })`, one typed method per operation */
  readonly ops: MyceliumOps;

  constructor(options: MyceliumClientOptions) {
    this.#base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 15 * 60_000;
    this.ops = Object.fromEntries(operations.map((op) => [op.name, (input: unknown) => this.call(op.name as OperationName, input as never)])) as MyceliumOps;
  }

  async call<N extends OperationName>(name: N, input: OperationInput<N>): Promise<OperationOutput<N>> {
    const op = operations.find((o) => o.name === name);
    if (!op) throw new Error(`no operation "${name}" in this client's registry`);
    const json = await this.request(op, (input ?? {}) as Record<string, unknown>);
    return op.output.parse(json) as OperationOutput<N>;
  }

  /** The operation's raw JSON response (what `--json` prints), without parsing it into Dates. */
  async request(op: AnyOperation, input: Record<string, unknown>): Promise<unknown> {
    const { url, body } = encodeRequest(this.#base, op, input);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(url, { method: op.http.method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw new UnavailableError(`the Mycelium service at ${this.#base.origin} did not answer (${error instanceof Error ? error.message : String(error)})`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`${op.name}: the service answered HTTP ${response.status} with something other than JSON`);
    }
    if (!response.ok) {
      if (isErrorBody(parsed)) throw errorFromBody(parsed);
      throw new Error(`${op.name}: the service answered HTTP ${response.status}`);
    }
    return parsed;
  }
}

/** Path parameters from the input fields of their names; the rest as the query (GET, DELETE) or a JSON body. */
export function encodeRequest(base: URL, op: AnyOperation, input: Record<string, unknown>): { url: URL; body?: string } {
  const rest: Record<string, unknown> = { ...input };
  const path = op.http.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = rest[name];
    delete rest[name];
    return encodeURIComponent(value === undefined ? '' : String(value));
  });
  const url = new URL(path.replace(/^\//, ''), base);
  if (op.http.method === 'POST') return { url, body: JSON.stringify(rest) };
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined || value === null) continue;
    url.searchParams.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  return { url };
}
