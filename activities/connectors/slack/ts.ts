/**
 * Slack timestamps ("1700000000.000100") are ids as much as times: compared exactly (seconds, then the six-digit
 * fraction), never as floats, whose 53 bits cannot hold all sixteen digits.
 */
function parts(ts: string): [bigint, bigint] {
  const [secs = '0', frac = ''] = ts.split('.');
  return [BigInt(secs || '0'), BigInt((frac + '000000').slice(0, 6))];
}

export function compareTs(a: string, b: string): number {
  const [as, af] = parts(a);
  const [bs, bf] = parts(b);
  return as === bs ? (af === bf ? 0 : af < bf ? -1 : 1) : as < bs ? -1 : 1;
}

export function maxTs(...values: (string | undefined)[]): string | undefined {
  let best: string | undefined;
  for (const v of values) if (v && (best === undefined || compareTs(v, best) > 0)) best = v;
  return best;
}

/** The Slack timestamp of an instant. */
export function tsOf(date: Date): string {
  const ms = date.getTime();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}
