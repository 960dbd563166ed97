/**
 * The MCP server, generated from the operation registry: one tool per operation (named as the
 * operation, its input schema the same JSON Schema OpenAPI publishes), and the operations that
 * declare a `resource` also as resource templates. Every call goes through the given `invoke`, so a
 * tool runs exactly what the HTTP route and the CLI command of that name run.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { errorBody, NotFoundError, type ErrorCode as MyceliumErrorCode } from '../registry/errors';
import { jsonSchemaOf } from '../registry/json-schema';
import type { AnyOperation } from '../registry/operation';

export type McpInvoke = (name: string, input: unknown) => Promise<unknown>;

export interface ResourceContent {
  mimeType: string;
  text: string;
}

export interface McpServerOptions {
  operations: readonly AnyOperation[];
  /** runs an operation by name as the caller (the stdio user, or the bearer token of an /mcp request) */
  invoke: McpInvoke;
  /** how a resource reads; default: the operation's result as JSON */
  readResource?: (operation: AnyOperation, input: Record<string, string>) => Promise<ResourceContent>;
  version?: string;
}

type ObjectSchema = Tool['inputSchema'];

/** MCP's structuredContent (and outputSchema) must be an object: any other result is wrapped in `{ result }` */
function wrapsResult(schema: Record<string, unknown>): boolean {
  return schema.type !== 'object';
}

export function toolOf(op: AnyOperation): Tool {
  const output = jsonSchemaOf(op.output, 'output');
  return {
    name: op.name,
    description: op.description,
    inputSchema: jsonSchemaOf(op.input, 'input') as ObjectSchema,
    outputSchema: (wrapsResult(output) ? { type: 'object', properties: { result: output }, required: ['result'] } : output) as Tool['outputSchema'],
    annotations: { readOnlyHint: op.scope === 'read', openWorldHint: false },
  };
}

function toolResult(op: AnyOperation, result: unknown): CallToolResult {
  const wrapped = wrapsResult(jsonSchemaOf(op.output, 'output'));
  // the JSON round trip turns Dates into the ISO strings the schema promises
  const json = JSON.stringify(result);
  const plain = JSON.parse(json) as unknown;
  return {
    content: [{ type: 'text', text: json }],
    structuredContent: (wrapped ? { result: plain } : plain) as Record<string, unknown>,
  };
}

function toolError(error: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(errorBody(error)) }] };
}

const JSON_RPC_CODE: Partial<Record<MyceliumErrorCode, number>> = {
  invalid_input: ErrorCode.InvalidParams,
  // the code the MCP specification gives "resource not found"
  not_found: -32002,
};

/** A resource read has no isError: its failure is a JSON-RPC error carrying the same error body. */
function resourceError(error: unknown): McpError {
  const body = errorBody(error);
  return new McpError(JSON_RPC_CODE[body.error.code] ?? ErrorCode.InternalError, body.error.message, body);
}

export function createMcpServer(options: McpServerOptions): McpServer {
  const { operations, invoke } = options;
  const mcp = new McpServer({ name: 'mycelium', version: options.version ?? '0.1.0' });
  // Tools are served through the low-level handlers: McpServer would derive its own JSON Schemas from
  // zod and validate before `invoke`, and then MCP's schemas and errors would differ from HTTP's.
  mcp.server.registerCapabilities({ tools: { listChanged: false } });
  mcp.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: operations.map(toolOf) }));
  mcp.server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const op = operations.find((o) => o.name === request.params.name);
    if (!op) return toolError(new NotFoundError(`no tool "${request.params.name}" (tools/list lists them)`));
    try {
      const input = request.params.arguments ?? {};
      return toolResult(op, await invoke(op.name, input));
    } catch (error) {
      return toolError(error);
    }
  });

  for (const op of operations) {
    const resource = op.resource;
    if (!resource) continue;
    const read =
      options.readResource ??
      (async (operation: AnyOperation, input: Record<string, string>): Promise<ResourceContent> => ({
        mimeType: 'application/json',
        text: JSON.stringify(await invoke(operation.name, input)),
      }));
    mcp.registerResource(
      resource.name,
      new ResourceTemplate(resource.uriTemplate, { list: undefined }),
      { description: resource.description, mimeType: 'application/json' },
      async (uri, variables) => {
        const input = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
        try {
          const content = await read(op, input);
          return { contents: [{ uri: uri.href, ...content }] };
        } catch (error) {
          throw resourceError(error);
        }
      },
    );
  }
  return mcp;
}

/**
 * MCP over stdio (`myc mcp`): serves until the client closes stdin. The caller's `invoke` decides
 * where operations run (a running service, or in-process) and as whom.
 */
export async function runMcpStdio(options: McpServerOptions): Promise<void> {
  const mcp = createMcpServer(options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await mcp.connect(transport);
  const end = (): void => void mcp.close();
  process.stdin.once('end', end);
  process.stdin.once('close', end);
  await closed;
}
