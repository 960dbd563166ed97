import { describe, expect, it } from 'vitest';
import { subjectThreadKey } from '../../activities/intelligence/routing/threads';

describe('subjectThreadKey', () => {
  it('makes a reply and the next version of a patch one conversation', () => {
    const key = subjectThreadKey('[PATCH v3 2/5] spi: fsl: fix CS');
    expect(key).toBe('subject:spi: fsl: fix cs');
    for (const s of ['Re: [PATCH v3 2/5] spi: fsl: fix CS', 'RE: Re: [PATCH v4 2/5] spi: fsl:  fix CS', 'AW: [PATCH] spi: fsl: fix CS', 'Fwd: Re[2]: spi: fsl: fix CS']) {
      expect(subjectThreadKey(s)).toBe(key);
    }
  });

  it('drops a leading parenthesized marker: b4’s “(subset)” reply to a series applied in part, a gateway’s “(EXT)”', () => {
    const key = subjectThreadKey('[PATCH v3 0/6] Configure Clocks, Add Internal DMA support');
    expect(subjectThreadKey('Re: (subset) [PATCH v3 0/6] Configure Clocks, Add Internal DMA support')).toBe(key);
    expect(subjectThreadKey('(EXT) Re: [PATCH v3 0/6] Configure Clocks, Add Internal DMA support')).toBe(key);
    // a parenthesis inside the subject is part of it
    expect(subjectThreadKey('spi: fix leak in slave_show() (again)')).toBe('subject:spi: fix leak in slave_show() (again)');
  });

  it('gives no key to a subject too short to tell conversations apart', () => {
    expect(subjectThreadKey('Re: [PATCH] hi')).toBeUndefined();
    expect(subjectThreadKey('(subset)')).toBeUndefined();
  });
});
