/**
 * The errors every surface shares. Each has a stable `code`; HTTP maps codes to statuses, MCP to
 * tool errors, the CLI to its one-line message and exit code 1. One JSON shape everywhere:
 * `{ "error": { "code": "...", "message": "...", "field"?: "...", "issues"?: [...] } }`.
 *
 * Imports nothing heavy: the thin CLI client loads this on every start.
 */
export type ErrorCode = 'invalid_input' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable' | 'internal';

export interface ErrorIssue {
  /** dotted path of the field, e.g. "limit" or "sections.0.heading" */
  field: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; issues?: ErrorIssue[] };
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};

/** An error the user caused and can fix: surfaces print its message alone. */
export class UserError extends Error {
  override name = 'UserError';
  readonly code: ErrorCode = 'invalid_input';
  readonly issues?: ErrorIssue[];
  constructor(message: string, options: { issues?: ErrorIssue[] } = {}) {
    super(message);
    if (options.issues) this.issues = options.issues;
  }
}

export class InvalidInputError extends UserError {
  override name = 'InvalidInputError';
}

export class UnauthorizedError extends UserError {
  override name = 'UnauthorizedError';
  override readonly code = 'unauthorized';
}

export class ForbiddenError extends UserError {
  override name = 'ForbiddenError';
  override readonly code = 'forbidden';
}

export class NotFoundError extends UserError {
  override name = 'NotFoundError';
  override readonly code = 'not_found';
}

export class ConflictError extends UserError {
  override name = 'ConflictError';
  override readonly code = 'conflict';
}

export class UnavailableError extends UserError {
  override name = 'UnavailableError';
  override readonly code = 'unavailable';
}

/** The one JSON error shape, for any thrown value (an unexpected error says only that it is internal). */
export function errorBody(error: unknown): ErrorBody {
  if (error instanceof UserError) {
    const issues = error.issues;
    return {
      error: {
        code: error.code,
        message: error.message,
        ...(issues?.[0] ? { field: issues[0].field } : {}),
        ...(issues ? { issues } : {}),
      },
    };
  }
  return { error: { code: 'internal', message: error instanceof Error ? error.message.split('\n')[0]! : String(error) } };
}

/** Rebuilds the typed error from a body received over HTTP or MCP, so a client throws what the server threw. */
export function errorFromBody(body: ErrorBody): UserError | Error {
  const { code, message, issues } = body.error;
  const options = issues ? { issues } : {};
  switch (code) {
    case 'invalid_input':
      return new InvalidInputError(message, options);
    case 'unauthorized':
      return new UnauthorizedError(message);
    case 'forbidden':
      return new ForbiddenError(message);
    case 'not_found':
      return new NotFoundError(message);
    case 'conflict':
      return new ConflictError(message);
    case 'unavailable':
      return new UnavailableError(message);
    default:
      return new Error(message);
  }
}

export function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { message?: unknown }).message === 'string';
}
