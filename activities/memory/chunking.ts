/**
 * Splits an item into the chunks that are indexed, searched and cited.
 *
 * - An item with segments (transcript turns, messages, email paragraphs) gets exactly one chunk
 *   per segment, at the segment's own position: a citation (itemId, position) then names the
 *   very turn it quotes, so segments are never merged or re-split, even long ones.
 * - An item without segments is cut into paragraph-sized chunks of at most MAX_CHUNK_CHARS,
 *   the title leading the first one so a search for the title finds the item.
 */
import type { Item, PersonId } from '../../schemas/entities';

export const MAX_CHUNK_CHARS = 1200;

export interface ChunkDraft {
  position: number;
  text: string;
  speakerId: PersonId | null;
  startMs?: number;
}

export function chunkItem(item: Pick<Item, 'title' | 'body' | 'segments'>): ChunkDraft[] {
  if (item.segments.length > 0) {
    return item.segments.map((s) => ({
      position: s.position,
      text: s.text,
      speakerId: s.speakerId ?? null,
      ...(s.startMs === undefined ? {} : { startMs: s.startMs }),
    }));
  }
  const title = item.title?.trim();
  const text = title ? `${title}\n\n${item.body}` : item.body;
  return packParagraphs(text, MAX_CHUNK_CHARS).map((chunkText, position) => ({ position, text: chunkText, speakerId: null }));
}

/** Greedily packs whole paragraphs into chunks of at most maxChars; oversized paragraphs are cut first. */
export function packParagraphs(text: string, maxChars: number): string[] {
  const pieces = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .flatMap((p) => (p.length > maxChars ? splitLongParagraph(p, maxChars) : [p]));

  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    const joined = current ? `${current}\n\n${piece}` : piece;
    if (joined.length <= maxChars) {
      current = joined;
    } else {
      chunks.push(current);
      current = piece;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/** Cuts at sentence ends when it can, at spaces when it must, mid-word only for a word longer than maxChars. */
function splitLongParagraph(paragraph: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = paragraph;
  while (rest.length > maxChars) {
    const window = rest.slice(0, maxChars + 1);
    const cut = lastBreak(window, /[.!?](?=\s)/g, 1) ?? lastBreak(window, /\s/g, 0) ?? maxChars;
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts.filter((p) => p.length > 0);
}

/** End offset (match index + keep) of the last match in the window's second half, if any. */
function lastBreak(window: string, pattern: RegExp, keep: number): number | undefined {
  let best: number | undefined;
  for (const match of window.matchAll(pattern)) {
    const end = match.index + keep;
    if (end >= window.length / 2 && end <= window.length - 1) best = end;
  }
  return best;
}
