/**
 * `npm run eval -- routing` end to end on a tiny generated dataset in the recipient-prediction layout
 * (shared/eval/README.md): the history goes through the real store, the report and --json carry ours beside the
 * baselines, and a bad line is refused with its file and line number.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../../clients/eval/main.ts', import.meta.url));
const RUN_TIMEOUT_MS = 180_000;

function evalCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const MARK = 'mark@example.org'; // SPI maintainer
const LINUS = 'linus@example.org'; // GPIO maintainer
const SPI_LIST = 'linux-spi@example.org';
const GPIO_LIST = 'linux-gpio@example.org';

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const day = (d: number) => new Date(Date.UTC(2025, 0, 1 + d, 10)).toISOString();

/** Alice and Bob send SPI patches to Mark and the SPI list, GPIO patches to Linus and the GPIO list. */
function history(): unknown[] {
  const rows: unknown[] = [];
  for (let d = 0; d < 24; d += 1) {
    const spi = d % 2 === 0;
    const sender = d % 3 === 0 ? BOB : ALICE;
    rows.push({
      id: `<h${d}@example.org>`,
      sender,
      date: day(d),
      subject: spi ? `[PATCH] spi: dma: fix transfer timeout ${d}` : `[PATCH] gpio: pinctrl: fix debounce ${d}`,
      body: spi ? 'The SPI controller DMA transfer times out on long messages.' : 'The GPIO line debounce is wrong for pinctrl.',
      to: spi ? [MARK] : [LINUS],
      cc: [spi ? SPI_LIST : GPIO_LIST],
      bcc: [],
    });
  }
  return rows;
}

const queries = [
  { id: '<q1@example.org>', sender: ALICE, date: day(30), subject: '[PATCH] spi: dma: handle transfer timeout', body: 'The SPI DMA transfer still times out.' },
  { id: '<q2@example.org>', sender: ALICE, date: day(31), subject: '[PATCH] gpio: pinctrl: debounce again', body: 'GPIO debounce for pinctrl, take two.' },
];
const gold = [
  { id: '<q1@example.org>', recipients: [MARK, SPI_LIST] },
  { id: '<q2@example.org>', recipients: [LINUS, GPIO_LIST] },
];

describe('npm run eval -- routing', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycelium-routing-eval-'));
    await writeFile(join(dir, 'history.jsonl.gz'), gzipSync(jsonl(history())));
    await writeFile(join(dir, 'test_queries.jsonl'), jsonl(queries));
    await writeFile(join(dir, 'test_gold.jsonl'), jsonl(gold));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'prints MAP@10 and recall@10 for resolveStakeholders beside every baseline, with the load time',
    async () => {
      const run = await evalCli('routing', '--data', dir);
      expect(run.stderr).not.toMatch(/eval:/);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('routing (test split): 2 messages, history of 24 messages and 6 people');
      for (const row of ['Mycelium (resolveStakeholders)', 'recipient frequency', 'recency-weighted frequency (30-day half-life)', 'TF-IDF centroid', '½ frequency + ½ TF-IDF', '½ recency + ½ TF-IDF']) {
        expect(run.stdout).toMatch(new RegExp(`\\| ${row.replace(/[()+½]/g, '\\$&')} \\| [01]\\.\\d{3} \\| [01]\\.\\d{3} \\|`));
      }
      expect(run.stdout).toMatch(/MAP@10 vs ½ recency \+ ½ TF-IDF: \d+\.\d{3}×/);
      expect(run.stdout).toMatch(/time: load \d+\.\d s, routing \d+\.\d s/);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    '--json prints { metrics, baseline, predictions } with every query ranked, the right people first',
    async () => {
      const run = await evalCli('routing', '--data', dir, '--json');
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as {
        metrics: { queries: number; map_at_10: number; recall_at_10: number; split: string; timing_ms: { load_ms: number } };
        baseline: Record<string, { map_at_10: number; recall_at_10: number }>;
        predictions: { id: string; ranked: string[] }[];
      };
      expect(Object.keys(out).sort()).toEqual(['baseline', 'metrics', 'predictions']);
      expect(out.metrics).toMatchObject({ queries: 2, split: 'test' });
      expect(out.metrics.timing_ms.load_ms).toBeGreaterThan(0);
      expect(Object.keys(out.baseline).sort()).toEqual(['frequency', 'frequency_tfidf', 'recency', 'recency_tfidf', 'tfidf']);
      for (const m of [out.metrics, ...Object.values(out.baseline)]) {
        expect(m.map_at_10).toBeGreaterThanOrEqual(0);
        expect(m.map_at_10).toBeLessThanOrEqual(1);
      }
      expect(out.predictions.map((p) => p.id)).toEqual(queries.map((q) => q.id));
      // an SPI patch goes to the SPI maintainer and list, a GPIO patch to the GPIO ones
      expect(new Set(out.predictions[0]!.ranked.slice(0, 2))).toEqual(new Set([MARK, SPI_LIST]));
      expect(new Set(out.predictions[1]!.ranked.slice(0, 2))).toEqual(new Set([LINUS, GPIO_LIST]));
      expect(out.metrics.map_at_10).toBe(1);
      expect(out.predictions.every((p) => !p.ranked.includes(ALICE))).toBe(true);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses a malformed line, naming the file and the line',
    async () => {
      const bad = await mkdtemp(join(tmpdir(), 'mycelium-routing-bad-'));
      try {
        await writeFile(join(bad, 'history.jsonl'), `${jsonl(history().slice(0, 2))}{"id": "<broken@example.org>", "sender": \n`);
        await writeFile(join(bad, 'test_queries.jsonl'), jsonl(queries));
        await writeFile(join(bad, 'test_gold.jsonl'), jsonl(gold));
        const notJson = await evalCli('routing', '--data', bad);
        expect(notJson.code).toBe(1);
        expect(notJson.stderr).toContain(`eval: ${join(bad, 'history.jsonl')}:3: not a JSON line`);

        await writeFile(join(bad, 'history.jsonl'), jsonl(history()));
        await writeFile(join(bad, 'test_queries.jsonl'), jsonl([queries[0], { ...queries[1], date: 'someday' }]));
        const badDate = await evalCli('routing', '--data', bad);
        expect(badDate.code).toBe(1);
        expect(badDate.stderr).toMatch(new RegExp(`eval: ${join(bad, 'test_queries.jsonl').replace(/[.]/g, '\\.')}:2: date: `));
      } finally {
        await rm(bad, { recursive: true, force: true });
      }
    },
    RUN_TIMEOUT_MS,
  );
});

describe('npm run eval -- routing, test messages as a stream', () => {
  // Bob starts a conversation after the history ends; Alice answers it. Only the stream tells that Bob took part.
  const opened = { id: '<s1@example.org>', sender: BOB, date: day(40), subject: '[PATCH] spi: add a loopback mode', body: 'Adds a loopback mode to the SPI core.' };
  const answer = { id: '<s2@example.org>', sender: ALICE, date: day(41), subject: 'Re: [PATCH] spi: add a loopback mode', body: 'Looks good to me.' };
  let dir: string;
  let kept: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycelium-routing-stream-'));
    kept = await mkdtemp(join(tmpdir(), 'mycelium-routing-kept-'));
    await writeFile(join(dir, 'history.jsonl'), jsonl(history()));
    // listed answer first: the eval routes by date, not by line
    await writeFile(join(dir, 'test_queries.jsonl'), jsonl([answer, opened]));
    await writeFile(join(dir, 'test_gold.jsonl'), jsonl([
      { id: answer.id, recipients: [BOB, MARK, SPI_LIST] },
      { id: opened.id, recipients: [MARK, SPI_LIST] },
    ]));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(kept, { recursive: true, force: true });
  });

  type Out = { metrics: { protocol: string }; predictions: { id: string; ranked: string[] }[] };
  const rankedFor = (out: Out, id: string) => out.predictions.find((p) => p.id === id)!.ranked;

  it(
    'an answer to a conversation begun after the history goes to whoever began it; --isolated does not know them; a kept store replays the same',
    async () => {
      const streamed = await evalCli('routing', '--data', dir, '--json', '--store', kept);
      expect(streamed.code).toBe(0);
      const out = JSON.parse(streamed.stdout) as Out;
      expect(out.metrics.protocol).toBe('stream');
      expect(out.predictions.map((p) => p.id)).toEqual([answer.id, opened.id]);
      expect(rankedFor(out, answer.id)[0]).toBe(BOB);
      // the conversation's opener was routed before it existed: nobody from it
      expect(rankedFor(out, opened.id)).not.toContain(ALICE);

      // the kept store holds the first run's stream: an isolated run forgets it first
      const isolated = JSON.parse((await evalCli('routing', '--data', dir, '--json', '--isolated', '--store', kept)).stdout) as Out;
      expect(isolated.metrics.protocol).toBe('isolated');
      expect(rankedFor(isolated, answer.id)).not.toContain(BOB);

      const again = JSON.parse((await evalCli('routing', '--data', dir, '--json', '--store', kept)).stdout) as Out;
      expect(again.predictions).toEqual(out.predictions);
    },
    3 * RUN_TIMEOUT_MS,
  );
});
