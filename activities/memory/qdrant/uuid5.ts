/**
 * UUID version 5 (RFC 9562 §5.5: SHA-1 of namespace + name), for deterministic Qdrant point ids:
 * the same chunk embedded by the same model always lands on the same point, so upserts are
 * idempotent and a retried activity never duplicates a point.
 */
import { createHash } from 'node:crypto';

/** Mycelium's namespace for vector points (a fixed random UUID; changing it re-keys every point). */
export const POINT_ID_NAMESPACE = '6f1c9a52-3d0e-4c8b-9f57-2b8e1d4a7c30';

export function uuidV5(name: string, namespace: string = POINT_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`namespace ${namespace} is not a UUID`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The point id of one chunk's vector made by one model. */
export function pointIdOf(itemId: string, position: number, model: string): string {
  // JSON keeps the three parts unambiguous whatever characters ids and model names contain.
  return uuidV5(JSON.stringify([itemId, position, model]));
}
