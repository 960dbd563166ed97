/**
 * extractFromItems on the sample team, ingested into a real store (PGlite), run in Temporal's activity
 * context (MockActivityEnvironment: heartbeats, no worker); then the decision log a client sees.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExtractionActivities, type ExtractFromItemsResult } from '../../activities/extraction';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { LocalExtractor } from '../../activities/intelligence/extraction/local';
import type { ExtractionInput, Extractor } from '../../activities/intelligence/extraction/port';
import { DecisionStore } from '../../activities/memory/decisions';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { decisions as decisionLog } from '../../clients/memory-operations';
import { UserError } from '../../clients/operations';
import type { Extraction } from '../../schemas/memory';
import { useTestDatabase } from '../support/db';
import { loadSample, OPT_OUT_MARKER, syntheticItem, type Sample } from './sample';
import { decisionJudge } from '../../activities/intelligence/decision-match';

/** The local extractor, counting its calls (to see that a second run extracts nothing again). */
class CountingExtractor implements Extractor {
  readonly inner = new LocalExtractor();
  readonly name = this.inner.name;
  calls = 0;
  async extract(input: ExtractionInput): Promise<Extraction> {
    this.calls += 1;
    return this.inner.extract(input);
  }
}

const database = useTestDatabase('pglite');
let sample: Sample;
let store: MemoryStore;
let decisions: DecisionStore;
let extractor: CountingExtractor;
let activities: ReturnType<typeof createExtractionActivities>;
let first: ExtractFromItemsResult;
const heartbeats: unknown[] = [];

beforeAll(async () => {
  sample = await loadSample();
  const db = database.db;
  store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, undefined, { info: () => undefined }), embedder: new LocalHashingEmbedder() });
  for (const unit of sample.units) await store.storeUnit('acme', unit);
  decisions = new DecisionStore({ db, judge: decisionJudge });
  extractor = new CountingExtractor();
  activities = createExtractionActivities({ store, decisions, extractor, log: pino({ level: 'warn' }), now: () => new Date('2026-03-10T09:30:00Z') });
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  first = await env.run(activities.extractFromItems, { sourceId: 'acme', itemIds: sample.items.map((i) => i.id) });
}, 120_000);

describe('extractFromItems', () => {
  it('names the decisions recent enough to announce (decided in the last 14 days), and the decisions they replace', async () => {
    const now = new Date('2026-03-10T09:30:00Z').getTime();
    const { rows } = await database.db.query<{ id: string }>('SELECT id FROM decisions');
    const all = (await Promise.all(rows.map((r) => decisions.getDecision(r.id)))).filter((d) => d !== undefined);
    const recent = all.filter((d) => now - d.decidedAt.getTime() <= 14 * 86_400_000 && d.status !== 'rejected');
    expect(all.length, 'decisions in the log').toBeGreaterThan(0);
    expect(recent.length, `recent among ${all.map((d) => d.decidedAt.toISOString()).join(', ')}`).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(all.length); // the window leaves older ones out
    const expected = [
      ...recent.filter((d) => d.status !== 'superseded').map((d) => `${d.id}:new`),
      ...recent.filter((d) => d.supersedesId).map((d) => `${d.supersedesId}:superseded`),
    ].sort();
    expect(first.announce.map((c) => `${c.id}:${c.change}`).sort()).toEqual(expected);
  });

  it('extracts every conversational item once, heartbeating per item, and returns counts and ids only', async () => {
    const conversational = sample.items.filter((i) => ['transcript', 'message', 'email'].includes(i.kind));
    expect(extractor.calls).toBe(conversational.length);
    expect(heartbeats).toHaveLength(conversational.length);
    expect(heartbeats[0]).toMatchObject({ index: 0 });
    expect(first.decisions).toBeGreaterThanOrEqual(10);
    expect(first.actions).toBeGreaterThanOrEqual(15);
    expect(first.questions).toBeGreaterThanOrEqual(15);
    expect(JSON.stringify(first).length).toBeLessThan(20_000);
    expect(JSON.stringify(first)).not.toContain(OPT_OUT_MARKER);
  });

  it('reports the runbook decision as open and the iOS 16 decision as followed up', async () => {
    const all = await decisions.listDecisions({ visibleTo: ['alice@acme.test'], limit: 500 });
    const runbook = all.find((d) => d.statement.includes('rollback runbook'))!;
    const ios16 = all.find((d) => d.statement === 'Minimum iOS 16 for 4.2')!;
    expect(first.openSubjects).toContainEqual({ kind: 'decision', id: runbook.id });
    expect(first.openSubjects).not.toContainEqual({ kind: 'decision', id: ios16.id });
    expect(first.evidence).toContainEqual({ subjectKind: 'decision', subjectId: ios16.id, itemId: sample.byExternalId('C01MOBREL/1772617257.000618').id, position: 0 });
  });

  it('is idempotent: run again, nothing is extracted again and the result is the same', async () => {
    const before = extractor.calls;
    const again = await new MockActivityEnvironment().run(activities.extractFromItems, { sourceId: 'acme', itemIds: sample.items.map((i) => i.id) });
    expect(extractor.calls).toBe(before);
    expect(again).toEqual(first);
  });

  it('announces a decision replaced by a later one as superseded, and the later one as new', async () => {
    const access = ['alice@acme.test', 'bob@acme.test'];
    const first = syntheticItem({
      id: 'announce-mtg',
      sourceId: 'announce',
      kind: 'transcript',
      occurredAt: new Date('2026-03-02T10:00:00Z'),
      threadId: 'meeting:announce-mtg',
      access,
      segments: [{ position: 0, text: 'Okay, we agreed: the design offsite is in Lisbon on Friday March 13.', speakerId: 'alice@acme.test', startMs: 0 }],
    });
    const later = syntheticItem({
      id: 'announce-chat',
      sourceId: 'announce',
      kind: 'message',
      authorId: 'alice@acme.test',
      occurredAt: new Date('2026-03-05T09:00:00Z'),
      threadId: 'slack:C:announce',
      access,
      segments: [{ position: 0, text: 'Change of plan: we decided to move the design offsite to Porto on Friday March 20 instead.' }],
    });
    await store.storeUnit('announce', { path: 'announce.json', fileHash: 'announce-1', people: [], items: [first, later], meetings: [] });
    const result: ExtractFromItemsResult = await new MockActivityEnvironment().run(activities.extractFromItems, { sourceId: 'announce', itemIds: [first.id, later.id] });
    const [replaced] = (await decisions.extractedFrom([first.id])).decisionIds;
    const [replacement] = (await decisions.extractedFrom([later.id])).decisionIds;
    expect((await decisions.getDecision(replaced!))?.supersededById).toBe(replacement);
    expect(result.announce).toEqual(expect.arrayContaining([{ id: replacement, change: 'new' }, { id: replaced, change: 'superseded' }]));
    expect(result.announce).not.toContainEqual({ id: replaced, change: 'new' });
  });

  it('ignores ids of another source and unknown ids', async () => {
    const result = await new MockActivityEnvironment().run(activities.extractFromItems, { sourceId: 'other', itemIds: [...sample.items.map((i) => i.id), 'nope'] });
    expect(result).toEqual({ decisions: 0, actions: 0, questions: 0, openSubjects: [], evidence: [], announce: [] });
  });
});

describe('the decision log (clients/memory-operations)', () => {
  it('lists decisions with their sources (item, locator, author, time, quote) as one person may see them', async () => {
    const log = await decisionLog({ db: database.db, store }, { as: 'alice@acme.test', topic: 'runbook' });
    expect(log).toHaveLength(1);
    const entry = log[0]!;
    expect(entry).toMatchObject({ status: 'agreed', open: true, owner: { id: 'carla@acme.test', name: 'Carla Reyes' }, decider: { id: 'alice@acme.test', name: 'Alice Chen' } });
    const transcript = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
    expect(entry.sources[0]).toEqual({
      itemId: transcript.id,
      position: 20,
      kind: 'transcript',
      locator: 'transcripts/2026-02-24-mobile-release-sync.vtt#t=184.4',
      author: 'Alice Chen',
      occurredAt: new Date('2026-02-24T10:03:04.400Z'),
      quote: 'So the decision is: no store submission for 4.2 without the rollback runbook linked from the release checklist.',
    });
    expect(entry.sources[1]).toMatchObject({ position: 9, author: 'Carla Reyes' });
  });

  it('filters by open and owner (an email or a name), and refuses people outside the directory or the opt-in', async () => {
    const open = await decisionLog({ db: database.db, store }, { as: 'alice@acme.test', open: true });
    expect(open.every((d) => d.open)).toBe(true);
    expect(open.map((d) => d.statement)).not.toContain('Minimum iOS 16 for 4.2');
    const byName = await decisionLog({ db: database.db, store }, { as: 'alice@acme.test', owner: 'Carla' });
    const byEmail = await decisionLog({ db: database.db, store }, { as: 'alice@acme.test', owner: 'carla@acme.test' });
    expect(byName.map((d) => d.id)).toEqual(byEmail.map((d) => d.id));
    expect(byName.length).toBeGreaterThan(0);
    // Ines was not in the release syncs
    expect((await decisionLog({ db: database.db, store }, { as: 'ines@acme.test', topic: 'runbook' }))).toEqual([]);
    await expect(decisionLog({ db: database.db, store }, { as: 'grace@acme.test' })).rejects.toThrow(UserError);
    await expect(decisionLog({ db: database.db, store }, { as: 'nobody@acme.test' })).rejects.toThrow(/not in the directory/);
    await expect(decisionLog({ db: database.db, store }, { as: 'alice@acme.test', owner: 'Zed' })).rejects.toThrow(/no one called/);
  });
});
