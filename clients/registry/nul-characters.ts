/**
 * Text with a NUL character (U+0000) cannot be stored or compared by Postgres (its text type refuses
 * it), so an input carrying one would fail deep in the store as a 500. Every surface refuses it (through parseInput)
 * up front, as invalid input naming the field.
 */
import { InvalidInputError } from './errors';

function findNul(value: unknown, path: string[], depth: number): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  // deeper than any operation's input: the schema will refuse it anyway
  if (depth > 32 || typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = findNul(inner, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function refuseNulCharacters(operationName: string, input: unknown): void {
  const path = findNul(input, [], 0);
  if (!path) return;
  const field = path.join('.') || '(input)';
  const message = 'text may not contain NUL (U+0000) characters';
  throw new InvalidInputError(`${operationName}: ${field}: ${message}`, { issues: [{ field, message }] });
}
