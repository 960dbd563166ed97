/**
 * Every registry operation is on every surface with the same schemas: an OpenAPI operation (its
 * operationId the operation's name, its parameters + body and its 200 response the registry's JSON
 * Schemas) and an MCP tool (same name, same input schema). The comparison is a function, so that it
 * is also shown to catch a missing operation or a drifted schema.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../clients/registry';
import { jsonSchemaOf } from '../../clients/registry/json-schema';
import type { AnyOperation } from '../../clients/registry/operation';
import { startSurfaces, toolJson, type Surfaces } from './harness';

type Json = Record<string, unknown>;
interface OpenApiOperation {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Json }[];
  requestBody?: { content: { 'application/json': { schema: Json } } };
  responses: Record<string, { content?: { 'application/json': { schema: Json } } }>;
  security?: Json[];
}
type OpenApiDoc = { openapi: string; paths: Record<string, Record<string, OpenApiOperation>>; components: Json };

/** The input JSON Schema an OpenAPI operation describes: its parameters and body folded back into one object. */
function inputSchemaOf(operation: OpenApiOperation): Json {
  const body = operation.requestBody?.content['application/json'].schema;
  const properties: Json = { ...((body?.properties as Json | undefined) ?? {}) };
  const required = new Set<string>((body?.required as string[] | undefined) ?? []);
  for (const p of operation.parameters ?? []) {
    properties[p.name] = p.description === undefined ? p.schema : { description: p.description, ...p.schema };
    if (p.required) required.add(p.name);
  }
  return { properties, required: [...required].sort() };
}

/** JSON with object keys sorted: a schema's meaning does not depend on the order of its properties */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function comparable(schema: Json): Json {
  return { properties: schema.properties ?? {}, required: [...((schema.required as string[] | undefined) ?? [])].sort() };
}

/** What differs between the registry and the two surfaces; empty when they agree. */
export function surfaceDifferences(registry: readonly AnyOperation[], doc: OpenApiDoc, tools: Tool[]): string[] {
  const problems: string[] = [];
  const byId = new Map<string, { path: string; method: string; operation: OpenApiOperation }>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (byId.has(operation.operationId)) problems.push(`openapi: operationId ${operation.operationId} twice`);
      byId.set(operation.operationId, { path, method, operation });
    }
  }
  const names = new Set(registry.map((op) => op.name));
  for (const id of byId.keys()) if (!names.has(id)) problems.push(`openapi: ${id} is not a registry operation`);
  for (const tool of tools) if (!names.has(tool.name)) problems.push(`mcp: tool ${tool.name} is not a registry operation`);

  for (const op of registry) {
    const input = jsonSchemaOf(op.input, 'input');
    const output = jsonSchemaOf(op.output, 'output');
    const found = byId.get(op.name);
    if (!found) problems.push(`openapi: ${op.name} is missing`);
    else {
      const route = `${op.http.method.toLowerCase()} ${op.http.path.replace(/:(\w+)/g, '{$1}')}`;
      if (`${found.method} ${found.path}` !== route) problems.push(`openapi: ${op.name} is at ${found.method} ${found.path}, not ${route}`);
      if (canonical(inputSchemaOf(found.operation)) !== canonical(comparable(input))) problems.push(`openapi: ${op.name}'s input differs from the registry's`);
      if (canonical(found.operation.responses['200']?.content?.['application/json'].schema) !== canonical(output)) {
        problems.push(`openapi: ${op.name}'s 200 response differs from the registry's output`);
      }
    }
    const tool = tools.find((t) => t.name === op.name);
    if (!tool) problems.push(`mcp: ${op.name} is missing`);
    else if (canonical(tool.inputSchema) !== canonical(input)) problems.push(`mcp: ${op.name}'s input schema differs from the registry's`);
  }
  return problems;
}

let surfaces: Surfaces;
let doc: OpenApiDoc;
let tools: Tool[];

beforeAll(async () => {
  surfaces = await startSurfaces('surfaces-parity');
  const answer = await surfaces.http('GET', '/openapi.json');
  expect(answer.status).toBe(200);
  doc = answer.body as OpenApiDoc;
  const client = await surfaces.mcp(await surfaces.token('alice@acme.test', 'read'));
  tools = (await client.listTools()).tools;
});

afterAll(async () => {
  await surfaces?.close();
});

describe('one registry, the same operations on HTTP and MCP', () => {
  it('serves every registry operation on both surfaces with the registry schemas', () => {
    expect(surfaceDifferences(operations, doc, tools)).toEqual([]);
    expect(tools.map((t) => t.name).sort()).toEqual(operations.map((op) => op.name).sort());
  });

  it('the comparison catches an operation missing from a surface, or a drifted schema', () => {
    const [gone, drifted] = [operations[0]!, operations[1]!];
    const withoutTool = tools.filter((t) => t.name !== gone.name);
    expect(surfaceDifferences(operations, doc, withoutTool)).toEqual([`mcp: ${gone.name} is missing`]);

    const docWithout = structuredClone(doc);
    const path = gone.http.path.replace(/:(\w+)/g, '{$1}');
    delete docWithout.paths[path]![gone.http.method.toLowerCase()];
    expect(surfaceDifferences(operations, docWithout, tools)).toEqual([`openapi: ${gone.name} is missing`]);

    const driftedTools = tools.map((t) => (t.name === drifted.name ? { ...t, inputSchema: { ...t.inputSchema, required: [] } } : t));
    expect(surfaceDifferences(operations, doc, driftedTools)).toEqual([`mcp: ${drifted.name}'s input schema differs from the registry's`]);
  });

  it('is a structurally valid OpenAPI 3.1 document with bearer auth on every operation and one error schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    const components = doc.components as { securitySchemes: Json; schemas: Json };
    expect(components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(components.schemas.Error).toMatchObject({ type: 'object', required: ['error'] });
    const ids: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\/v1\//);
      for (const [method, operation] of Object.entries(methods)) {
        expect(['get', 'post', 'delete']).toContain(method);
        ids.push(operation.operationId);
        expect(operation.security).toEqual([{ bearerAuth: [] }]);
        for (const status of ['400', '401', '403', '404', '409', '500']) {
          expect(operation.responses[status]?.content?.['application/json'].schema, `${operation.operationId} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
        }
        // every {name} in the path is a required path parameter, and nothing else is
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect((operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
        if (method === 'get') expect(operation.requestBody).toBeUndefined();
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(operations.map((op) => op.name).sort());
  });

  it('lists the operations that declare a resource as MCP resource templates', async () => {
    const client = await surfaces.mcp(await surfaces.token('alice@acme.test', 'read'));
    const { resourceTemplates } = await client.listResourceTemplates();
    const declared = operations.flatMap((op) => (op.resource ? [op.resource.uriTemplate] : []));
    expect(declared).toContain('mycelium://briefs/{meetingId}');
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(declared.sort());
  });

  it('serves a docs page naming every operation and linking the OpenAPI document, without a token', async () => {
    const page = await surfaces.http('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = page.body as string;
    expect(html).toContain('href="/openapi.json"');
    for (const op of operations) expect(html).toContain(`<code>${op.name}</code>`);
    // offline: no asset from anywhere else
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('answers /healthz always and /readyz only when ready, in the error shape when not', async () => {
    expect(await surfaces.http('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    expect(await surfaces.http('GET', '/readyz')).toMatchObject({ status: 200, body: { ok: true } });
    surfaces.setReady(false);
    try {
      expect(await surfaces.http('GET', '/readyz')).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
      expect((await surfaces.http('GET', '/healthz')).status).toBe(200);
    } finally {
      surfaces.setReady(true);
    }
  });
});

describe('MCP over stdio (myc mcp)', () => {
  it('serves the same tools, answers and errors as the service it calls, and is gone once the client closes', async () => {
    const token = await surfaces.token('alice@acme.test', 'read');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', new URL('./fixtures/mcp-stdio.ts', import.meta.url).pathname],
      env: { ...(process.env as Record<string, string>), MYCELIUM_URL: surfaces.url, MYCELIUM_TOKEN: token },
      stderr: 'inherit',
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    const stdioTools = (await client.listTools()).tools;
    expect(surfaceDifferences(operations, doc, stdioTools)).toEqual([]);

    const invalid = toolJson(await client.callTool({ name: 'search', arguments: { query: 'pricing', limit: 'abc' } }));
    const http = await surfaces.http('GET', '/v1/search', { token, query: { query: 'pricing', limit: 'abc' } });
    expect(invalid).toEqual({ isError: true, json: http.body });
    expect(invalid.json).toMatchObject({ error: { field: 'limit' } });

    const ops = toolJson(await client.callTool({ name: 'ops', arguments: {} }));
    expect(ops.isError).toBe(false);
    expect((ops.json as { name: string }[]).map((o) => o.name)).toEqual(operations.map((op) => op.name));

    const pid = transport.pid;
    expect(pid).toBeTypeOf('number');
    const exited = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
    });
    await client.close();
    await exited;
    expect(() => process.kill(pid!, 0)).toThrow();
  });
});
