/**
 * Deterministic ids of extracted things: sha256 over (kind, item id, segment position, ordinal in the
 * segment). Extracting the same item again yields the same ids, so saving converges instead of duplicating.
 */
import { createHash } from 'node:crypto';

export type ExtractedKind = 'decision' | 'action' | 'question';

const PREFIX: Record<ExtractedKind, string> = { decision: 'dec', action: 'act', question: 'qst' };

export function extractedId(kind: ExtractedKind, anchor: { itemId: string; position: number }, ordinal = 0): string {
  const digest = createHash('sha256').update(`${kind}\u0000${anchor.itemId}\u0000${anchor.position}\u0000${ordinal}`).digest('hex');
  return `${PREFIX[kind]}_${digest.slice(0, 24)}`;
}
