/**
 * The same call on HTTP and MCP gives the same answer and the same error, and who is asking is the
 * token's person on both: no token → 401, a scope too small → 403, `as` someone else only with an
 * admin token, and what a person may not see never reaches them on either surface.
 *
 * The sample team is ingested through the HTTP API itself (an admin token, POST /v1/ingest).
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder } from '../../clients/cli/demo';
import { isErrorBody } from '../../clients/registry/errors';
import { startSurfaces, toolJson, type Surfaces } from './harness';

/** The Q2 planning pre-read chain (email 07-09): Ines, Erin, Alice and Dev, not Bob. */
const Q2_MESSAGE_IDS = ['<20260306093040.ines.q2@acme.test>', '<20260306121502.erin.q2@acme.test>', '<20260309081122.alice.q2@acme.test>'];

let surfaces: Surfaces;
let tokens: { admin: string; aliceRead: string; bobRead: string; aliceWrite: string };
let q2ItemIds: string[];
let aliceMcp: Client;
let bobMcp: Client;

beforeAll(async () => {
  surfaces = await startSurfaces('surfaces-access');
  tokens = {
    admin: await surfaces.token('ines@acme.test', 'admin'),
    aliceRead: await surfaces.token('alice@acme.test', 'read'),
    bobRead: await surfaces.token('bob@acme.test', 'read'),
    aliceWrite: await surfaces.token('alice@acme.test', 'write'),
  };
  const ingested = await surfaces.http('POST', '/v1/ingest', { token: tokens.admin, body: { folder: sampleTeamFolder, sourceId: 'acme' } });
  expect(ingested.status, JSON.stringify(ingested.body)).toBe(200);
  const { rows } = await surfaces.stack.db.query<{ id: string }>('SELECT id FROM items WHERE external_id = ANY($1)', [Q2_MESSAGE_IDS]);
  q2ItemIds = rows.map((r) => r.id);
  expect(q2ItemIds).toHaveLength(3);
  aliceMcp = await surfaces.mcp(tokens.aliceRead);
  bobMcp = await surfaces.mcp(tokens.bobRead);
}, 240_000);

afterAll(async () => {
  await surfaces?.close();
});

const call = async (client: Client, name: string, args: Record<string, unknown>) => toolJson(await client.callTool({ name, arguments: args }));

describe('the same call, the same answer on HTTP and MCP', () => {
  it('search as alice gives the same results on both surfaces', async () => {
    const http = await surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query: 'Q2 planning pre-read', limit: '5' } });
    expect(http.status).toBe(200);
    expect((http.body as unknown[]).length).toBeGreaterThan(0);
    const result = await aliceMcp.callTool({ name: 'search', arguments: { query: 'Q2 planning pre-read', limit: 5 } });
    expect(toolJson(result)).toEqual({ isError: false, json: http.body });
    // arrays travel as structuredContent wrapped in { result }, objects as themselves
    expect(result.structuredContent).toEqual({ result: http.body });
  });

  it('an invalid field is named the same way on both', async () => {
    const http = await surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query: 'pricing', limit: 'abc' } });
    expect(http.status).toBe(400);
    expect(http.body).toMatchObject({ error: { code: 'invalid_input', field: 'limit' } });
    expect(await call(aliceMcp, 'search', { query: 'pricing', limit: 'abc' })).toEqual({ isError: true, json: http.body });
  });

  it('an unknown meeting is not_found on both: 404 over HTTP, an error tool result and a resource-not-found over MCP', async () => {
    const http = await surfaces.http('GET', '/v1/meetings/no-such-meeting/brief', { token: tokens.aliceRead });
    expect(http.status).toBe(404);
    expect(http.body).toMatchObject({ error: { code: 'not_found' } });
    expect(await call(aliceMcp, 'brief_show', { meetingId: 'no-such-meeting' })).toEqual({ isError: true, json: http.body });
    const read = await aliceMcp.readResource({ uri: 'mycelium://briefs/no-such-meeting' }).catch((error: unknown) => error);
    expect(read).toBeInstanceOf(McpError);
    expect((read as McpError).code).toBe(-32002);
    expect((read as McpError).data).toEqual(http.body);
  });

  it('a malformed JSON body is a 400 naming the body; an unknown route a 404; both in the error shape', async () => {
    const bad = await surfaces.http('POST', '/v1/ask', { token: tokens.aliceRead, rawBody: '{"question": ' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid_input', field: '(body)' } });
    const missing = await surfaces.http('GET', '/v1/nothing-here', { token: tokens.aliceRead });
    expect(missing.status).toBe(404);
    expect(isErrorBody(missing.body)).toBe(true);
  });

  it('odd query strings and bodies are 400s, never 500s', async () => {
    const answers = await Promise.all([
      surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query: ['a', 'b'] } }),
      surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query: 'x', limit: '1e400' } }),
      surfaces.http('GET', '/v1/meetings', { token: tokens.aliceRead, query: { from: 'yesterday-ish' } }),
      surfaces.http('POST', '/v1/ask', { token: tokens.aliceRead, body: [1, 2] }),
      surfaces.http('POST', '/v1/ask', { token: tokens.aliceRead, body: { question: 42 } }),
      surfaces.http('POST', '/v1/ingest', { token: tokens.aliceWrite, body: { folder: '/no/such/folder/anywhere' } }),
    ]);
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(isErrorBody(answer.body)).toBe(true);
    }
    // Postgres text cannot hold U+0000: refused up front, naming the field, on both surfaces
    const nul = await Promise.all([
      surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query: 'a\u0000b' } }),
      surfaces.http('GET', '/v1/meetings/%00%2F..%ff/brief', { token: tokens.aliceRead }),
      surfaces.http('DELETE', '/v1/tokens/%00', { token: tokens.admin }),
      surfaces.http('POST', '/v1/ask', { token: tokens.aliceRead, body: { question: 'why this?', meeting: 'x\u0000' } }),
    ]);
    expect(nul.map((a) => [a.status, (a.body as { error?: { field?: string } }).error?.field])).toEqual([
      [400, 'query'],
      [400, 'meetingId'],
      [400, 'id'],
      [400, 'meeting'],
    ]);
    expect(await call(aliceMcp, 'search', { query: 'a\u0000b' })).toEqual({ isError: true, json: nul[0]!.body });
  });
});

describe('who is asking', () => {
  it('no token, or a wrong one, is a 401 on HTTP and on /mcp', async () => {
    for (const token of [undefined, 'myc_notarealtoken_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']) {
      const http = await surfaces.http('GET', '/v1/search', { token, query: { query: 'pricing' } });
      expect(http.status).toBe(401);
      expect(http.body).toMatchObject({ error: { code: 'unauthorized' } });
      expect(http.headers.get('www-authenticate')).toBe('Bearer');
    }
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const raw = await fetch(new URL('/mcp', surfaces.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(initialize),
    });
    expect(raw.status).toBe(401);
    expect(isErrorBody(await raw.json())).toBe(true);
    await expect(surfaces.mcp(undefined)).rejects.toThrow();
  });

  it('a read token calling a write operation is a 403 on both', async () => {
    const http = await surfaces.http('POST', '/v1/ingest', { token: tokens.aliceRead, body: { folder: sampleTeamFolder } });
    expect(http.status).toBe(403);
    expect(http.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(await call(aliceMcp, 'ingest', { folder: sampleTeamFolder })).toEqual({ isError: true, json: http.body });
  });

  it('asking as someone else needs an admin token (403 otherwise); with one, it reads with their eyes', async () => {
    const http = await surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query: 'Q2 planning', as: 'bob@acme.test' } });
    expect(http.status).toBe(403);
    expect(await call(aliceMcp, 'search', { query: 'Q2 planning', as: 'bob@acme.test' })).toEqual({ isError: true, json: http.body });

    const asBob = await surfaces.http('GET', '/v1/search', { token: tokens.admin, query: { query: 'offline sync rollback runbook', as: 'bob@acme.test' } });
    const bobHimself = await surfaces.http('GET', '/v1/search', { token: tokens.bobRead, query: { query: 'offline sync rollback runbook' } });
    expect(asBob.status).toBe(200);
    expect((asBob.body as unknown[]).length).toBeGreaterThan(0);
    expect(asBob.body).toEqual(bobHimself.body);
  });

  it("a person who lacks access gets none of it, by search or ask, on HTTP or MCP (Bob is not on the Q2 planning emails; Alice is)", async () => {
    const query = 'Q2 planning pre-read themes capacity';
    const itemsOf = (results: unknown) => (results as { itemId: string }[]).map((r) => r.itemId);

    const alice = await surfaces.http('GET', '/v1/search', { token: tokens.aliceRead, query: { query, limit: '20' } });
    expect(itemsOf(alice.body).some((id) => q2ItemIds.includes(id)), 'alice finds the Q2 emails (the control)').toBe(true);

    const bobHttp = await surfaces.http('GET', '/v1/search', { token: tokens.bobRead, query: { query, limit: '20' } });
    expect(bobHttp.status).toBe(200);
    expect(itemsOf(bobHttp.body).filter((id) => q2ItemIds.includes(id))).toEqual([]);
    const bobTool = await call(bobMcp, 'search', { query, limit: 20 });
    expect(bobTool.isError).toBe(false);
    expect(itemsOf(bobTool.json).filter((id) => q2ItemIds.includes(id))).toEqual([]);

    const question = 'What is in the Q2 planning pre-read about product themes and capacity?';
    const cited = (answer: unknown) => (answer as { citations: { itemId: string }[] }).citations.map((c) => c.itemId);
    const aliceAsk = await surfaces.http('POST', '/v1/ask', { token: tokens.aliceRead, body: { question } });
    expect(aliceAsk.status).toBe(200);
    expect(cited(aliceAsk.body).some((id) => q2ItemIds.includes(id)), 'alice is answered from the Q2 emails (the control)').toBe(true);

    const bobAsk = await surfaces.http('POST', '/v1/ask', { token: tokens.bobRead, body: { question } });
    expect(bobAsk.status).toBe(200);
    expect(cited(bobAsk.body).filter((id) => q2ItemIds.includes(id))).toEqual([]);
    const bobAskTool = await call(bobMcp, 'ask', { question });
    expect(bobAskTool.isError).toBe(false);
    expect(cited(bobAskTool.json).filter((id) => q2ItemIds.includes(id))).toEqual([]);
    expect(bobAskTool.json).toEqual(bobAsk.body);
  });

  it('an admin may create and revoke tokens; a revoked token is refused at once', async () => {
    const created = await surfaces.http('POST', '/v1/tokens', { token: tokens.admin, body: { person: 'carla@acme.test', scope: 'read' } });
    expect(created.status).toBe(200);
    const { id, token } = created.body as { id: string; token: string };
    expect((await surfaces.http('GET', '/v1/meetings', { token })).status).toBe(200);
    expect((await surfaces.http('DELETE', `/v1/tokens/${id}`, { token: tokens.aliceWrite })).status).toBe(403);
    const revoked = await surfaces.http('DELETE', `/v1/tokens/${id}`, { token: tokens.admin });
    expect(revoked).toMatchObject({ status: 200, body: { id, revokedAt: expect.any(String) } });
    expect((await surfaces.http('GET', '/v1/meetings', { token })).status).toBe(401);
  });
});
