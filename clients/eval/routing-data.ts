/**
 * The recipient-prediction layout of shared/eval/README.md ("routing"): `history.jsonl[.gz]`, `test_queries.jsonl`,
 * `test_gold.jsonl`, one JSON message per line. Read line by line, so a 33k-message archive never sits in memory
 * as one string, and every bad line is named (file and line number) instead of being skipped.
 */
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';

const Address = z.string().trim().toLowerCase().min(1);

export const HistoryMessage = z.object({
  id: z.string().min(1),
  sender: Address,
  date: z.coerce.date(),
  subject: z.string().default(''),
  body: z.string().default(''),
  to: z.array(Address).default([]),
  cc: z.array(Address).default([]),
  bcc: z.array(Address).default([]),
});
export type HistoryMessage = z.infer<typeof HistoryMessage>;

export const TestQuery = HistoryMessage.pick({ id: true, sender: true, date: true, subject: true, body: true });
export type TestQuery = z.infer<typeof TestQuery>;

export const GoldLine = z.object({ id: z.string().min(1), recipients: z.array(Address) });

export interface RoutingData {
  history: HistoryMessage[];
  queries: TestQuery[];
  gold: Map<string, string[]>;
}

/** To ∪ Cc ∪ Bcc minus the sender: who a message went to. */
export function recipientsOf(m: Pick<HistoryMessage, 'sender' | 'to' | 'cc' | 'bcc'>): string[] {
  return [...new Set([...m.to, ...m.cc, ...m.bcc])].filter((r) => r !== m.sender);
}

async function readJsonLines<T>(file: string, schema: z.ZodType<T>): Promise<T[]> {
  const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const out: T[] = [];
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${n}: not a JSON line`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}:${n}: ${issue?.path.join('.') || 'line'}: ${issue?.message ?? 'invalid'}`);
    }
    out.push(parsed.data);
  }
  return out;
}

function existing(dir: string, names: string[]): string {
  for (const name of names) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new Error(`${dir} has none of ${names.join(', ')}`);
}

export async function loadRoutingData(dir: string): Promise<RoutingData> {
  const [history, queries, goldLines] = await Promise.all([
    readJsonLines(existing(dir, ['history.jsonl.gz', 'history.jsonl']), HistoryMessage),
    readJsonLines(existing(dir, ['test_queries.jsonl', 'test_queries.jsonl.gz']), TestQuery),
    readJsonLines(existing(dir, ['test_gold.jsonl', 'test_gold.jsonl.gz']), GoldLine),
  ]);
  history.sort((a, b) => a.date.getTime() - b.date.getTime() || (a.id < b.id ? -1 : 1));
  const gold = new Map(goldLines.map((g) => [g.id, g.recipients]));
  const missing = queries.find((q) => !gold.has(q.id));
  if (missing) throw new Error(`test_gold.jsonl has no line for query ${missing.id}`);
  return { history, queries, gold };
}
