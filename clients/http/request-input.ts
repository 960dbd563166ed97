/**
 * An operation's raw input from an HTTP request: the query string (GET, DELETE), a JSON body (POST,
 * DELETE) and the path parameters, which always win. Validation is the registry's job (invoke); this
 * only refuses what is not JSON at all.
 */
import type { Context } from 'hono';
import { InvalidInputError } from '../registry/errors';

/** Query values as strings; a repeated key becomes an array, which the schemas then refuse by name. */
export function queryInput(c: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

export async function bodyInput(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError(`the request body is not valid JSON (${reason})`, { issues: [{ field: '(body)', message: 'not valid JSON' }] });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError('the request body must be a JSON object of the operation\'s input fields', {
      issues: [{ field: '(body)', message: 'expected a JSON object' }],
    });
  }
  return parsed as Record<string, unknown>;
}

export async function requestInput(c: Context, method: 'GET' | 'POST' | 'DELETE'): Promise<Record<string, unknown>> {
  const params = c.req.param() as Record<string, string>;
  if (method === 'GET') return { ...queryInput(c), ...params };
  if (method === 'DELETE') return { ...queryInput(c), ...(await bodyInput(c)), ...params };
  return { ...(await bodyInput(c)), ...params };
}
