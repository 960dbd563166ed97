import { describe, expect, it } from 'vitest';
import { chunkItem, MAX_CHUNK_CHARS, packParagraphs } from '../../activities/memory/chunking';
import { ANA, BEN, item } from './fixtures';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('chunkItem', () => {
  it('makes one chunk per segment, keeping position, speaker and start', () => {
    const chunks = chunkItem(
      item('t1', {
        kind: 'transcript',
        title: 'Weekly sync',
        segments: [
          { position: 0, text: 'Let us start.', speakerId: ANA, startMs: 0 },
          { position: 1, text: 'Budget is done.', speakerId: null, startMs: 4000 },
          { position: 2, text: 'x'.repeat(MAX_CHUNK_CHARS * 2), speakerId: BEN },
        ],
      }),
    );
    expect(chunks).toEqual([
      { position: 0, text: 'Let us start.', speakerId: ANA, startMs: 0 },
      { position: 1, text: 'Budget is done.', speakerId: null, startMs: 4000 },
      // a citation names a segment, so even a long one stays whole
      { position: 2, text: 'x'.repeat(MAX_CHUNK_CHARS * 2), speakerId: BEN },
    ]);
  });

  it('keeps segment positions that do not start at zero', () => {
    const chunks = chunkItem(item('m', { segments: [{ position: 7, text: 'seven' }] }));
    expect(chunks).toEqual([{ position: 7, text: 'seven', speakerId: null }]);
  });

  it('puts the title at the head of the first chunk of an unsegmented item', () => {
    const chunks = chunkItem(item('d', { title: 'Q3 plan', body: 'First paragraph.\n\nSecond paragraph.' }));
    expect(chunks).toEqual([{ position: 0, text: 'Q3 plan\n\nFirst paragraph.\n\nSecond paragraph.', speakerId: null }]);
  });

  it('splits a long body into numbered chunks of at most MAX_CHUNK_CHARS, losing nothing', () => {
    const paragraph = (n: number) => `Paragraph ${n}. ` + 'The team reviewed the plan in detail. '.repeat(12);
    const body = Array.from({ length: 10 }, (_, n) => paragraph(n)).join('\n\n');
    const chunks = chunkItem(item('long', { title: 'Report', body }));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    expect(chunks[0]?.text.startsWith('Report\n\nParagraph 0.')).toBe(true);
    expect(words(chunks.map((c) => c.text).join(' '))).toEqual(words(`Report ${body}`));
    // paragraphs are packed whole: none is cut in two
    for (const c of chunks) expect(c.text.trimEnd().endsWith('detail.')).toBe(true);
  });

  it('cuts an oversized paragraph at sentence ends, and a wall of text at spaces', () => {
    const sentences = 'This sentence is about the budget. '.repeat(80).trim();
    const parts = packParagraphs(sentences, 200);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(200);
      expect(p.endsWith('.')).toBe(true);
    }
    expect(words(parts.join(' '))).toEqual(words(sentences));

    const noSentences = 'word '.repeat(500).trim();
    const pieces = packParagraphs(noSentences, 100);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(100);
    expect(words(pieces.join(' '))).toEqual(words(noSentences));
  });

  it('hard-cuts a single word longer than the limit', () => {
    const pieces = packParagraphs('y'.repeat(250), 100);
    expect(pieces.map((p) => p.length)).toEqual([100, 100, 50]);
  });

  it('returns no chunks for an empty item, and a title-only chunk for a title without body', () => {
    expect(chunkItem(item('e', { body: '  \n\n ' }))).toEqual([]);
    expect(chunkItem(item('t', { title: 'Only a title', body: '' }))).toEqual([
      { position: 0, text: 'Only a title', speakerId: null },
    ]);
  });
});
