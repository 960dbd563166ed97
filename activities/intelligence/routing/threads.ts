/**
 * A conversation key from an email subject, for mail that carries no References / In-Reply-To (archives, exports):
 * "Re: [PATCH v3 2/5] spi: fsl: fix CS" and "[PATCH v4 2/5] spi: fsl: fix CS" are one conversation, because a
 * reply and the next version of a patch go to the people the last one went to. Reply / forward prefixes in several
 * languages, bracketed tags and a leading parenthesized marker — "Re: (subset) [PATCH v3 0/6] …", b4's reply to a
 * series applied in part; "(EXT)", a mail gateway's — are dropped; the rest is case- and space-normalized.
 */
const REPLY_PREFIX = /^\s*((re|fwd?|aw|sv|vs|wg|antw|r)\s*(\[\d+\])?\s*:\s*)+/i;
const TAG = /\[[^\]]*\]/g;
const MARKER = /^\s*\([^()\s]{1,12}\)\s*/;

export function subjectThreadKey(subject: string): string | undefined {
  let s = subject.normalize('NFKC');
  for (let i = 0; i < 3; i += 1) s = s.replace(REPLY_PREFIX, '').replace(MARKER, '').replace(TAG, ' ');
  const key = s.replace(/\s+/g, ' ').trim().toLowerCase();
  // too short to tell two conversations apart ("hi", "question")
  return key.length >= 8 ? `subject:${key}` : undefined;
}
