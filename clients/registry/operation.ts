/**
 * What an operation is: declared once — name, description, zod input and output, the scope it needs,
 * how HTTP reaches it, and a handler — and served unchanged by the CLI, the HTTP API and MCP.
 *
 * This module imports only zod and types: the thin CLI client loads the registry on every start, and
 * a handler loads what it needs (Temporal, the store, NLP) only when it runs.
 */
import type { z } from 'zod';
import type { Stack } from '../runtime';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** read < write < admin: a token may do what its scope and every smaller scope allow. */
export function scopeAllows(granted: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(granted) >= SCOPES.indexOf(needed);
}

/** Who is asking: always a person, from a token (or the local owner of an in-process CLI). */
export interface Principal {
  personId: string;
  scope: Scope;
  tokenId?: string;
  /** the owner of this Mycelium (the token `myc dev` writes, or a CLI running in-process) */
  owner?: boolean;
}

export type Surface = 'cli' | 'http' | 'mcp' | 'in-process';

export interface OperationContext {
  principal: Principal;
  surface: Surface;
  /** the running stack; opened lazily so that operations needing none (ops) open none */
  stack(): Promise<Stack>;
  /** progress of long operations (ingest), for surfaces that can show it */
  onProgress?: (progress: { phase: string; total: number; done: number }) => void;
}

export interface HttpBinding {
  method: 'GET' | 'POST' | 'DELETE';
  /** Hono-style path, `:name` segments filled from the input field of that name */
  path: string;
}

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType, N extends string = string> {
  /** letters, digits and "_": the same on every surface (CLI words, operationId, MCP tool name) */
  name: N;
  /** one sentence a person (or a model choosing a tool) can act on */
  description: string;
  scope: Scope;
  input: I;
  output: O;
  http: HttpBinding;
  /** the operation reads as someone: input may carry `as` (an admin asks on behalf of a person) */
  actsAs?: boolean;
  /** in-process, the operation needs a worker of its own (it starts workflows and waits on them) */
  needsWorker?: boolean;
  /** MCP resources: the URI template under which results are also readable (`mycelium://briefs/{meetingId}`) */
  resource?: { uriTemplate: string; name: string; description: string };
  handler(context: OperationContext, input: z.output<I>): Promise<z.input<O>>;
}

export type AnyOperation = Operation<z.ZodType, z.ZodType>;

/** Keeps the input and output types of one operation tied together. */
export function defineOperation<I extends z.ZodType, O extends z.ZodType, N extends string>(operation: Operation<I, O, N>): Operation<I, O, N> {
  if (!/^[a-z][a-z0-9_]*$/.test(operation.name)) throw new Error(`operation name "${operation.name}" must be lower-case letters, digits and "_"`);
  return operation;
}

export type InputOf<O> = O extends Operation<infer I, z.ZodType, string> ? z.input<I> : never;
export type OutputOf<O> = O extends Operation<z.ZodType, infer R, string> ? z.output<R> : never;
