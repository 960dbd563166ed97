/**
 * One MCP request over Streamable HTTP, stateless: a fresh server and transport per request, bound to
 * that request's principal (through `invoke`), answered with plain JSON rather than an SSE stream so
 * nothing outlives the request.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createMcpServer, type McpServerOptions } from './server';

export async function handleMcpHttp(request: Request, options: McpServerOptions): Promise<Response> {
  if (request.method !== 'POST') {
    // no sessions, so no server-initiated stream to GET and nothing to DELETE
    return new Response(JSON.stringify({ error: { code: 'invalid_input', message: `${request.method} /mcp: this MCP endpoint is stateless; send JSON-RPC with POST` } }), {
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
    });
  }
  const mcp = createMcpServer(options);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await mcp.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    await mcp.close();
  }
}
