/**
 * A local stand-in for Qdrant's REST API (node:http on 127.0.0.1, port 0) that holds every request
 * to Qdrant's published OpenAPI document (test/fixtures/qdrant-openapi-<version>.json):
 *
 * - the method and path must be an operation of the document;
 * - every query parameter must be one the operation declares, with a value of its type;
 * - the JSON body must validate against the operation's request body schema (ajv), and a body
 *   sent to an operation that takes none is an error too.
 *
 * The document is OpenAPI 3.0, so it is first turned into plain JSON Schema: `nullable: true`
 * becomes a "null" type (and a bare `{nullable: true}` branch of an anyOf, which would otherwise
 * accept anything, accepts only null), and Qdrant's numeric formats (uint32, uint64, float, ...)
 * are checked. It is also made STRICTER than the server on one point, deliberately: an object
 * schema that lists its properties refuses others (`additionalProperties: false`). Qdrant's serde
 * silently ignores an unknown key, so a misspelt `wait`/`filter`/`modifier` would pass unnoticed
 * against a real server; here it fails.
 *
 * Violations are recorded per request (never thrown at the client: the test reads them), and the
 * answers are shaped by the same document: each response is validated against the operation's 200
 * schema before it is sent, and a mismatch is recorded as a fault of this stand-in.
 *
 * Just enough state to answer like Qdrant: collections (config, payload indexes) and their points.
 * Queries answer the stored points in insertion order with made-up descending scores; what ranks
 * and filters really do is the job of the live suite (QDRANT_URL).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { projectRoot } from '../../infra/paths';

export const QDRANT_OPENAPI_VERSION = '1.18.3';
export const QDRANT_OPENAPI_FILE = path.join(projectRoot, 'test', 'fixtures', `qdrant-openapi-${QDRANT_OPENAPI_VERSION}.json`);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface RecordedRequest {
  method: string;
  /** the path as sent, e.g. /collections/c/points */
  path: string;
  /** the document's operationId, e.g. upsert_points (undefined: no such operation) */
  operationId: string | undefined;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** schema violations of this request: empty when it conforms */
  violations: string[];
  /** the status the stand-in answered with */
  status: number;
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  pathParams: string[];
  operationId: string;
  queryParams: Map<string, ValidateFunction>;
  requestBody: ValidateFunction | undefined;
  response: ValidateFunction | undefined;
}

interface StoredCollection {
  vectors: JsonObject;
  sparseVectors: JsonObject;
  payloadSchema: Map<string, string>;
  points: Map<string, JsonObject>;
}

/** Compiles the document's operations; shared by every server of a test file. */
export class QdrantSchema {
  readonly operations: Operation[];
  readonly version = QDRANT_OPENAPI_VERSION;

  constructor(file: string = QDRANT_OPENAPI_FILE) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, JsonObject>>; components: JsonObject };
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addQdrantFormats(ajv);
    ajv.addSchema({ $id: 'qdrant', components: toJsonSchema(doc.components) as Json } as JsonObject);
    const compileRef = (schema: Json | undefined): ValidateFunction | undefined =>
      schema === undefined ? undefined : ajv.compile(rebase(toJsonSchema(schema)) as JsonObject);
    this.operations = [];
    for (const [template, methods] of Object.entries(doc.paths)) {
      const pathParams: string[] = [];
      const pattern = new RegExp(
        `^${template.replace(/\{([^}]+)\}/g, (_m, name: string) => (pathParams.push(name), '([^/]+)'))}$`,
      );
      for (const [method, op] of Object.entries(methods)) {
        const parameters = (op.parameters ?? []) as JsonObject[];
        const queryParams = new Map<string, ValidateFunction>();
        for (const p of parameters.filter((p) => p.in === 'query')) {
          queryParams.set(String(p.name), compileRef(p.schema ?? {})!);
        }
        const body = (op.requestBody as JsonObject | undefined)?.content as JsonObject | undefined;
        const ok = ((op.responses as JsonObject | undefined)?.['200'] as JsonObject | undefined)?.content as JsonObject | undefined;
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern,
          pathParams,
          operationId: String(op.operationId),
          queryParams,
          requestBody: compileRef((body?.['application/json'] as JsonObject | undefined)?.schema),
          response: compileRef((ok?.['application/json'] as JsonObject | undefined)?.schema),
        });
      }
    }
  }

  /** Violations of one request (empty when it conforms); also used by tests to check the validator's teeth. */
  check(method: string, pathname: string, query: URLSearchParams, body: unknown): { operation?: Operation; violations: string[] } {
    const operation = this.match(method, pathname);
    if (!operation) return { violations: [`${method} ${pathname} is not an operation of Qdrant ${this.version}'s API`] };
    const violations: string[] = [];
    for (const [name, value] of query) {
      const validate = operation.queryParams.get(name);
      if (!validate) violations.push(`query parameter ${name} is not declared by ${operation.operationId}`);
      else if (!validate(coerceQueryValue(value))) violations.push(`query parameter ${name}=${value}: ${describe(validate.errors)}`);
    }
    if (operation.requestBody) {
      if (body === undefined) violations.push(`${operation.operationId} needs a JSON body`);
      else if (!operation.requestBody(body)) violations.push(`${operation.operationId} body: ${describe(operation.requestBody.errors)}`);
    } else if (body !== undefined) {
      violations.push(`${operation.operationId} takes no body, but one was sent`);
    }
    return { operation, violations };
  }

  match(method: string, pathname: string): Operation | undefined {
    return this.operations.find((o) => o.method === method && o.pattern.test(pathname));
  }
}

export class QdrantContractServer {
  readonly requests: RecordedRequest[] = [];
  /** responses of this stand-in that did not match the document (a bug here, not in the adapter) */
  readonly responseFaults: string[] = [];
  readonly collections = new Map<string, StoredCollection>();
  /** status codes to answer the next requests of an operation with, e.g. { create_collection: [409] } */
  readonly failNext = new Map<string, number[]>();
  /** results to answer the next requests of an operation with, instead of the stored state */
  readonly answerNext = new Map<string, Json[]>();
  url = '';
  readonly #schema: QdrantSchema;
  #server: Server | undefined;

  constructor(schema: QdrantSchema) {
    this.#schema = schema;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** Every violation of every request so far, one line each (empty: all conformed). */
  violations(): string[] {
    return this.requests.flatMap((r) => r.violations.map((v) => `${r.method} ${r.path}: ${v}`));
  }

  of(operationId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    let body: unknown;
    const violations: string[] = [];
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        violations.push('the body is not JSON');
      }
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) violations.push(`content-type ${req.headers['content-type']} is not application/json`);
    }
    const method = req.method ?? 'GET';
    const checked = this.#schema.check(method, url.pathname, url.searchParams, body);
    violations.push(...checked.violations);
    const operation = checked.operation;
    const record: RecordedRequest = { method, path: url.pathname, operationId: operation?.operationId, query: url.searchParams, headers: req.headers, body, violations, status: 0 };
    this.requests.push(record);

    if (!operation) return send(res, (record.status = 404), { status: { error: `no such operation ${method} ${url.pathname}` }, time: 0 });
    const failure = this.failNext.get(operation.operationId)?.shift();
    if (failure !== undefined) return send(res, (record.status = failure), { status: { error: `injected ${failure}` }, time: 0 });
    const params = Object.fromEntries(operation.pathParams.map((name, i) => [name, decodeURIComponent(operation.pattern.exec(url.pathname)![i + 1]!)]));
    const scripted = this.answerNext.get(operation.operationId);
    const answer = scripted?.length ? { status: 200, result: scripted.shift()! } : this.#answer(operation.operationId, params, body as JsonObject | undefined);
    record.status = answer.status;
    const envelope = { result: answer.result, status: 'ok', time: 0.000_1 } as JsonObject;
    if (answer.status === 200 && operation.response && !operation.response(envelope)) {
      this.responseFaults.push(`${operation.operationId} response: ${describe(operation.response.errors)}`);
    }
    send(res, answer.status, answer.status === 200 ? envelope : { status: { error: String(answer.result) }, time: 0 });
  }

  #answer(operationId: string, params: Record<string, string>, body: JsonObject | undefined): { status: number; result: Json } {
    const name = params.collection_name ?? '';
    const collection = this.collections.get(name);
    const missing = { status: 404, result: `Not found: Collection \`${name}\` doesn't exist!` };
    const updated = { status: 200, result: { operation_id: this.requests.length, status: 'completed' } };
    switch (operationId) {
      case 'collection_exists':
        return { status: 200, result: { exists: collection !== undefined } };
      case 'create_collection':
        if (collection) return { status: 409, result: `Wrong input: Collection \`${name}\` already exists!` };
        this.collections.set(name, {
          vectors: (body?.vectors ?? {}) as JsonObject,
          sparseVectors: (body?.sparse_vectors ?? {}) as JsonObject,
          payloadSchema: new Map(),
          points: new Map(),
        });
        return { status: 200, result: true };
      case 'delete_collection':
        return { status: 200, result: this.collections.delete(name) };
      case 'get_collection':
        return collection ? { status: 200, result: collectionInfo(collection) } : missing;
      case 'create_field_index':
        if (!collection) return missing;
        collection.payloadSchema.set(String(body?.field_name), String(body?.field_schema));
        return updated;
      case 'upsert_points':
        if (!collection) return missing;
        for (const point of (body?.points ?? []) as JsonObject[]) collection.points.set(String(point.id), point);
        return updated;
      case 'delete_points': {
        if (!collection) return missing;
        const itemIds = itemIdsOfDeleteFilter(body);
        for (const [id, point] of collection.points) {
          if (itemIds.has(String((point.payload as JsonObject | undefined)?.item_id))) collection.points.delete(id);
        }
        return updated;
      }
      case 'query_points': {
        if (!collection) return missing;
        const limit = Number(body?.limit ?? 10);
        const keys = Array.isArray(body?.with_payload) ? (body.with_payload as string[]) : [];
        const points = [...collection.points.values()].slice(0, limit).map((p, i) => ({
          id: p.id as Json,
          version: 1,
          score: 1 / (i + 1),
          payload: Object.fromEntries(keys.map((k) => [k, ((p.payload as JsonObject | undefined) ?? {})[k] ?? null])),
        }));
        return { status: 200, result: { points } };
      }
      default:
        return { status: 501, result: `the stand-in does not implement ${operationId}` };
    }
  }
}

// ---- OpenAPI 3.0 -> JSON Schema -------------------------------------------------------------------------------

/** `#/components/...` refs point into the document registered as `qdrant`. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `qdrant${v}` : rebase(v);
  }
  return out;
}

/** nullable -> null type; properties listed -> no others (see the header comment). */
export function toJsonSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    // under `properties` the keys are property names, not keywords: convert their schemas only
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toJsonSchema(s)]));
    } else if (k !== 'nullable' && k !== 'example') {
      out[k] = toJsonSchema(v);
    }
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.type === undefined && Object.keys(out).every((k) => k === 'description' || k === 'default')) out.type = 'null';
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  if (out.properties && out.additionalProperties === undefined && (out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object')))) {
    out.additionalProperties = false;
  }
  return out;
}

function addQdrantFormats(ajv: Ajv): void {
  const int = (min: number, max: number) => ({ type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
  ajv.addFormat('uint8', int(0, 255));
  ajv.addFormat('uint32', int(0, 2 ** 32 - 1));
  ajv.addFormat('uint64', int(0, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('uint', int(0, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('int64', int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) && Math.abs(n) <= 3.4028234663852886e38 });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // RFC 3339, as Qdrant parses datetimes (a date alone, or without a zone, is accepted too)
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i);
  ajv.addFormat('partial-date-time', /^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i);
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
}

// ---- helpers --------------------------------------------------------------------------------------------------

function coerceQueryValue(value: string): unknown {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

function collectionInfo(c: StoredCollection): Json {
  return {
    status: 'green',
    optimizer_status: 'ok',
    segments_count: 1,
    points_count: c.points.size,
    indexed_vectors_count: 0,
    config: {
      params: { vectors: c.vectors, sparse_vectors: c.sparseVectors, shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10_000 },
      optimizer_config: { default_segment_number: 0, flush_interval_sec: 5 },
    },
    payload_schema: Object.fromEntries([...c.payloadSchema].map(([field, type]) => [field, { data_type: type, points: c.points.size }])),
  };
}

function itemIdsOfDeleteFilter(body: JsonObject | undefined): Set<string> {
  const must = ((body?.filter as JsonObject | undefined)?.must ?? []) as JsonObject[];
  const ids = new Set<string>();
  for (const condition of must) {
    const match = condition.match as JsonObject | undefined;
    if (condition.key === 'item_id' && Array.isArray(match?.any)) for (const id of match.any) ids.add(String(id));
  }
  return ids;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
