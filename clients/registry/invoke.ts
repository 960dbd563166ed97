/**
 * The one way an operation runs, whatever the surface: scope check, input validation (an error names
 * the field), acting-as resolution, the handler, and the output checked against its schema — so the
 * CLI, HTTP and MCP cannot drift apart.
 */
import { z } from 'zod';
import { ForbiddenError, InvalidInputError, type ErrorIssue } from './errors';
import { refuseNulCharacters } from './nul-characters';
import { scopeAllows, type AnyOperation, type OperationContext } from './operation';

export function issuesOf(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(input)', message: issue.message }));
}

export function parseInput(operation: AnyOperation, raw: unknown): Record<string, unknown> {
  refuseNulCharacters(operation.name, raw);
  const parsed = operation.input.safeParse(raw ?? {});
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = issuesOf(parsed.error);
  const described = issues.map((i) => (i.field === '(input)' ? i.message : `${i.field}: ${i.message}`)).join('; ');
  throw new InvalidInputError(`${operation.name}: ${described}`, { issues });
}

export async function invoke(operation: AnyOperation, raw: unknown, context: OperationContext): Promise<unknown> {
  const { principal } = context;
  if (!scopeAllows(principal.scope, operation.scope)) {
    throw new ForbiddenError(`${operation.name} needs a token with the "${operation.scope}" scope; this one has "${principal.scope}"`);
  }
  const input = parseInput(operation, raw);
  if (operation.actsAs) {
    const as = typeof input.as === 'string' ? input.as : undefined;
    if (as !== undefined && as !== principal.personId && principal.scope !== 'admin') {
      throw new ForbiddenError(`${operation.name}: only an admin token may ask as someone else (${as}); this token is ${principal.personId}'s`);
    }
    if (as === undefined) {
      if (principal.owner) {
        throw new InvalidInputError(`${operation.name}: say whose eyes to read with: --as <email> (or set MYCELIUM_AS)`, {
          issues: [{ field: 'as', message: 'required for the owner token' }],
        });
      }
      input.as = principal.personId;
    }
  }
  const result = await operation.handler(context, input);
  return operation.output.parse(result);
}
