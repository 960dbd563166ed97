/**
 * The HTTP API, generated from the operation registry: one route per operation, each calling
 * `invoke` and nothing else, behind bearer-token auth; one JSON error shape for every failure
 * (including unknown routes and bugs); the OpenAPI document, a docs page, health and readiness, and
 * MCP over Streamable HTTP at /mcp.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Stack } from '../runtime';
import { errorBody, HTTP_STATUS, NotFoundError, UnavailableError, UserError, type ErrorBody } from '../registry/errors';
import { invoke } from '../registry/invoke';
import type { AnyOperation, Principal } from '../registry/operation';
import type { Authenticate } from './auth';
import { docsPage } from './docs-page';
import { openApiDocument } from './openapi';
import { requestInput } from './request-input';

export interface HttpLog {
  error(details: object, message: string): void;
}

export interface HttpAppOptions {
  operations: readonly AnyOperation[];
  /** the principal of a request's Authorization header; throws UnauthorizedError */
  authenticate: Authenticate;
  stack(): Promise<Stack>;
  /** whether the service can take work (store open, worker running): /readyz */
  ready(): boolean;
  /** provider webhooks, mounted unauthenticated at /webhooks (they check their own channel secrets) */
  webhooks?: Hono;
  /** MCP over Streamable HTTP at /mcp (default true) */
  mcp?: boolean;
  /** the Temporal Web UI, linked from /docs */
  uiUrl?: string;
  /** where unexpected errors are logged (pino fits); default stderr */
  log?: HttpLog;
  /** request bodies above this are refused with 413 (default 1 MiB) */
  maxBodyBytes?: number;
}

type HttpStatus = 400 | 401 | 403 | 404 | 409 | 413 | 500 | 503;

const stderrLog: HttpLog = {
  error: (details, message) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: message, ...details })}\n`),
};

export function createHttpApp(options: HttpAppOptions): Hono {
  const app = new Hono();
  const log = options.log ?? stderrLog;
  const document = openApiDocument(options.operations);
  const docs = docsPage(options.operations, { uiUrl: options.uiUrl, mcp: options.mcp !== false });

  const fail = (c: Context, error: unknown): Response => {
    const { body, status } = errorResponse(error, log, `${c.req.method} ${c.req.path}`);
    if (status === 401) c.header('WWW-Authenticate', 'Bearer');
    return c.json(body, status);
  };

  const principalOf = async (c: Context): Promise<Principal> => options.authenticate(c.req.header('authorization'));

  app.onError((error, c) => fail(c, error));
  app.notFound((c) => fail(c, new NotFoundError(`no route ${c.req.method} ${c.req.path} (the operations are listed at /docs and /openapi.json)`)));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => (options.ready() ? c.json({ ok: true }) : fail(c, new UnavailableError('the service is starting or stopping'))));
  app.get('/openapi.json', (c) => c.json(document));
  app.get('/docs', (c) => c.html(docs));
  if (options.webhooks) app.route('/webhooks', options.webhooks);

  const limit = bodyLimit({
    maxSize: options.maxBodyBytes ?? 1024 * 1024,
    onError: (c) => c.json(errorBody(new UserError('the request body is too large')), 413),
  });

  if (options.mcp !== false) {
    app.all('/mcp', limit, async (c) => {
      const principal = await principalOf(c);
      const { handleMcpHttp } = await import('../mcp/http');
      return handleMcpHttp(c.req.raw, {
        operations: options.operations,
        invoke: (name, input) => {
          const op = options.operations.find((o) => o.name === name);
          if (!op) throw new NotFoundError(`no operation "${name}"`);
          return invoke(op, input, { principal, surface: 'mcp', stack: options.stack }).catch((error: unknown) => {
            // MCP shows the caller only the error body; a bug must still reach the service's log
            if (!(error instanceof UserError)) errorResponse(error, log, `mcp ${name}`);
            throw error;
          });
        },
      });
    });
  }

  for (const op of options.operations) {
    const { method, path } = op.http;
    app.on(method, path, limit, async (c) => {
      const principal = await principalOf(c);
      const input = await requestInput(c, method);
      const result = await invoke(op, input, { principal, surface: 'http', stack: options.stack });
      return c.json(result as object);
    });
  }
  return app;
}

/** The status and body of any thrown value; unexpected ones are logged, never shown as a stack. */
export function errorResponse(error: unknown, log: HttpLog, where: string): { body: ErrorBody; status: HttpStatus } {
  if (error instanceof UserError) return { body: errorBody(error), status: HTTP_STATUS[error.code] as HttpStatus };
  if (error instanceof HTTPException && error.status < 500) {
    return { body: errorBody(new UserError(error.message || 'the request was refused')), status: error.status === 413 ? 413 : 400 };
  }
  log.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error), where }, 'unexpected error serving a request');
  // an output that does not match its schema is our bug; the zod issue list would read as the caller's
  const message =
    error instanceof z.ZodError ? 'the operation returned a result that does not match its output schema (a bug; the service logged it)' : errorBody(error).error.message;
  return { body: { error: { code: 'internal', message } }, status: 500 };
}
