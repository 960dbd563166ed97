/**
 * The demo's path, end to end, on real servers: ingest the sample team through syncSource, brief the next
 * meeting through ensureMeetingHasContext, and check what the brief says, cites and withholds.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder, sampleTimeShiftMs } from '../../clients/cli/demo';
import { brief, ingest, meetings, search, type BriefOutput, type IngestOutput } from '../../clients/operations';
import { openTestStack, type TestStack } from '../support/stack';

const OPT_OUT_MARKER = 'PRIVATE-OPTOUT-MARKER';
const NEXT_MEETING = 'acme:mobile-sync-001@acme.test@2026-03-10T10:00:00.000Z';

let stack: TestStack;
let ingested: IngestOutput;
let result: BriefOutput;
let timeShiftMs: number;

async function itemIdOf(externalId: string): Promise<string> {
  const { rows } = await stack.db.query<{ id: string }>('SELECT id FROM items WHERE external_id = $1', [externalId]);
  expect(rows, `item ${externalId} was ingested`).toHaveLength(1);
  return rows[0]!.id;
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'sample-team' });
  timeShiftMs = await sampleTimeShiftMs(new Date());
  ingested = await ingest(stack, { folder: sampleTeamFolder, sourceId: 'acme', timeShiftMs });
  const [next] = await meetings(stack, { limit: 1 });
  result = await brief(stack, { meetingId: next!.id });
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe('the sample team, ingested and briefed', () => {
  it('ingests every file of the sample team and quarantines none', () => {
    expect(ingested.result.quarantined).toEqual([]);
    expect(ingested.result.files).toBeGreaterThanOrEqual(30);
    expect(ingested.result.inserted).toBeGreaterThan(50);
  });

  it('briefs the next upcoming meeting: the weekly series occurrence 30 minutes after the sample "now"', () => {
    expect(result.meeting.id).toBe(NEXT_MEETING);
    expect(result.workflowId).toBe(`meeting:${NEXT_MEETING}`);
    expect(result.brief.recipients).toHaveLength(6);
  });

  it('finds the earlier decision nobody followed up, citing the turn it was made in', async () => {
    const transcript = await itemIdOf('transcripts/2026-02-24-mobile-release-sync.vtt');
    const section = result.brief.sections.find((s) => s.key === 'decisions');
    const cited = section!.statements.flatMap((s) => s.citations).map((m) => result.brief.citations[m - 1]!);
    expect(cited.some((c) => c.itemId === transcript && c.position === 20)).toBe(true);
  });

  it('finds the question to an attendee that got no answer', async () => {
    const question = await itemIdOf('C01MOBREL/1772818818.000840');
    const section = result.brief.sections.find((s) => s.key === 'unanswered');
    const cited = section!.statements.flatMap((s) => s.citations).map((m) => result.brief.citations[m - 1]!.itemId);
    expect(cited).toContain(question);
    expect(section!.statements.some((s) => s.text.includes('asked Bob Okafor'))).toBe(true);
  });

  it('finds the vendor deadline change everyone missed', async () => {
    const candidates = [await itemIdOf('C01BACKEND/1772701371.001247'), await itemIdOf('<20260305145012.dev.pushwave-fwd@acme.test>')];
    const section = result.brief.sections.find((s) => s.key === 'missed');
    const cited = section!.statements.flatMap((s) => s.citations).map((m) => result.brief.citations[m - 1]!.itemId);
    expect(cited.some((id) => candidates.includes(id))).toBe(true);
  });

  it('cites only real items, each quote taken from the cited item, each citation recorded as lineage of this run', async () => {
    const items = new Map((await stack.store.getItems(result.brief.citations.map((c) => c.itemId))).map((i) => [i.id, i]));
    for (const citation of result.brief.citations) {
      const item = items.get(citation.itemId);
      expect(item, `cited item ${citation.itemId}`).toBeDefined();
      const text = citation.position === undefined ? item!.body : item!.segments.find((s) => s.position === citation.position)?.text;
      const quoted = citation.quote.replace(/…$/, '');
      expect(text?.replace(/\s+/g, ' ')).toContain(quoted.replace(/\s+/g, ' ').trim());
      expect(result.brief.markdown).toContain(`[${citation.marker}]`);
    }
    const lineage = await stack.store.lineageOf(result.brief.id);
    expect(lineage.map((l) => l.itemId).sort()).toEqual(result.brief.citations.map((c) => c.itemId).sort());
    expect(new Set(lineage.map((l) => `${l.workflowId}/${l.runId}`))).toEqual(new Set([`${result.workflowId}/${result.runId}`]));
  });

  it('only cites what every recipient may see', async () => {
    const items = await stack.store.getItems(result.brief.citations.map((c) => c.itemId));
    for (const item of items) {
      for (const recipient of result.brief.recipients) expect(item.access).toContain(recipient);
    }
  });

  it('never lets content of people outside the opt-in in: not in the store, the brief, the outbox or search', async () => {
    const { rows } = await stack.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM items i LEFT JOIN chunks c ON c.item_id = i.id WHERE i.body LIKE $1 OR i.title LIKE $1 OR c.text LIKE $1",
      [`%${OPT_OUT_MARKER}%`],
    );
    expect(rows[0]!.n).toBe(0);
    expect(JSON.stringify(result)).not.toContain(OPT_OUT_MARKER);
    expect(result.brief.markdown).not.toMatch(/Grace|Hugo/);
    const outbox = await readdir(stack.outboxDir);
    expect(outbox).toContain(`${result.brief.id}.md`);
    for (const file of outbox) expect(await readFile(join(stack.outboxDir, file), 'utf8')).not.toContain(OPT_OUT_MARKER);
    const found = await search(stack, { query: 'store listing copy', as: 'alice@acme.test', limit: 50 });
    expect(JSON.stringify(found)).not.toContain(OPT_OUT_MARKER);
  });

  it('re-running the sync ingests nothing new', async () => {
    const again = await ingest(stack, { folder: sampleTeamFolder, sourceId: 'acme', timeShiftMs });
    expect(again.result.inserted).toBe(0);
    expect(again.result.updated).toBe(0);
    expect(again.result.quarantined).toEqual([]);
  });
});
