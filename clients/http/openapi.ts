/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the operation registry and nothing else:
 * one path + method per operation, its operationId the operation's name, its schemas the same JSON
 * Schemas `myc ops` and MCP publish (`jsonSchemaOf`).
 */
import { z } from 'zod';
import { HTTP_STATUS, type ErrorCode } from '../registry/errors';
import { jsonSchemaOf } from '../registry/json-schema';
import type { AnyOperation } from '../registry/operation';

type JsonSchema = Record<string, unknown>;

const ERROR_CODES = Object.keys(HTTP_STATUS) as [ErrorCode, ...ErrorCode[]];

/** `errorBody()`'s shape, as a schema, so that clients (and the fuzzer) can check every error against it */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    field: z.string().optional(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'The input is invalid; `error.field` names the first offending field',
  '401': 'No API token, or an unknown or revoked one',
  '403': "The token's scope is too small, or it may not act as that person",
  '404': 'No such thing (or nothing this person may see)',
  '409': 'Conflicts with the current state',
  '500': 'An unexpected error (the service logged it)',
  '503': 'The service is not ready',
};

/** Hono's `/v1/meetings/:meetingId/brief` as OpenAPI's `/v1/meetings/{meetingId}/brief` */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)/g, '{$1}');
}

export function pathParams(honoPath: string): string[] {
  return [...honoPath.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

function assertSelfContained(op: AnyOperation, io: string, schema: JsonSchema): JsonSchema {
  // a `$ref` into the operation's own `$defs` would point at the document root once embedded
  if (JSON.stringify(schema).includes('"$ref"')) {
    throw new Error(`openapi: the ${io} schema of ${op.name} uses $ref/$defs, which the generated document cannot embed; inline the shared schema`);
  }
  return schema;
}

function properties(schema: JsonSchema): Record<string, JsonSchema> {
  return (schema.properties ?? {}) as Record<string, JsonSchema>;
}

function required(schema: JsonSchema): string[] {
  return (schema.required ?? []) as string[];
}

function parameter(name: string, location: 'path' | 'query', schema: JsonSchema, isRequired: boolean): JsonSchema {
  const { description, ...rest } = schema;
  return {
    name,
    in: location,
    required: location === 'path' || isRequired,
    ...(typeof description === 'string' ? { description } : {}),
    schema: rest,
  };
}

function operationObject(op: AnyOperation): JsonSchema {
  const input = assertSelfContained(op, 'input', jsonSchemaOf(op.input, 'input'));
  const output = assertSelfContained(op, 'output', jsonSchemaOf(op.output, 'output'));
  const inPath = pathParams(op.http.path);
  const props = properties(input);
  const needed = required(input);
  for (const name of inPath) {
    if (!(name in props)) throw new Error(`openapi: ${op.name}'s path names :${name}, which is not a field of its input`);
  }
  const parameters = inPath.map((name) => parameter(name, 'path', props[name]!, true));
  const rest = Object.keys(props).filter((name) => !inPath.includes(name));
  let requestBody: JsonSchema | undefined;
  if (op.http.method === 'POST') {
    const body: JsonSchema = { ...input, properties: Object.fromEntries(rest.map((name) => [name, props[name]!])) };
    const bodyRequired = needed.filter((name) => rest.includes(name));
    if (bodyRequired.length > 0) body.required = bodyRequired;
    else delete body.required;
    requestBody = { required: bodyRequired.length > 0, content: { 'application/json': { schema: body } } };
  } else {
    parameters.push(...rest.map((name) => parameter(name, 'query', props[name]!, needed.includes(name))));
  }
  const errors = Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
  if (requestBody) errors['413'] = { description: 'The request body is too large', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return {
    operationId: op.name,
    summary: op.description,
    description: `${op.description}\n\nNeeds a token with the \`${op.scope}\` scope (or a larger one).`,
    tags: [op.scope],
    'x-mycelium-scope': op.scope,
    security: [{ bearerAuth: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      '200': { description: 'The result', content: { 'application/json': { schema: output } } },
      ...errors,
    },
  };
}

export function openApiDocument(operations: readonly AnyOperation[], info: { version?: string } = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) {
    const path = openApiPath(op.http.path);
    const method = op.http.method.toLowerCase();
    paths[path] ??= {};
    if (paths[path][method]) throw new Error(`openapi: ${op.name} and ${String(paths[path][method].operationId)} share ${op.http.method} ${op.http.path}`);
    paths[path][method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mycelium',
      version: info.version ?? '0.1.0',
      description: 'The coordination layer for teams. Every operation here is also a CLI command (`myc <operation>`) and an MCP tool of the same name.',
    },
    tags: [
      { name: 'read', description: 'needs a read token' },
      { name: 'write', description: 'needs a write token' },
      { name: 'admin', description: 'needs an admin token' },
    ],
    paths,
    components: {
      schemas: { Error: jsonSchemaOf(ErrorBodySchema, 'output') },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API token from `myc tokens create`' } },
    },
    security: [{ bearerAuth: [] }],
  };
}
