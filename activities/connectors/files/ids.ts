/** Deterministic ids and hashes. */
import { createHash } from 'node:crypto';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short stable id of an item: the first 24 hex digits (96 bits) of sha256(sourceId NUL externalId). */
export function itemIdFor(sourceId: string, externalId: string): string {
  return sha256(`${sourceId}\u0000${externalId}`).slice(0, 24);
}

/** JSON with object keys sorted and Dates as ISO strings, so equal content gives equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function stableHash(value: unknown): string {
  return sha256(stableStringify(value));
}
