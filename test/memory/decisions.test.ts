/**
 * DecisionStore on PGlite and on a real PostgreSQL server: saving extractions in one transaction,
 * idempotence and convergence, merging a decision stated in chat and confirmed in a meeting, supersession,
 * permission filtering on every read, manual changes extraction does not override, and follow-up evidence
 * on the sample team.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { LocalExtractor } from '../../activities/intelligence/extraction/local';
import { DecisionStore } from '../../activities/memory/decisions';
import type { Db } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import type { Item } from '../../schemas/entities';
import type { Extraction } from '../../schemas/memory';
import { loadSample, type Sample, syntheticItem } from '../extraction/sample';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';
import { decisionJudge } from '../../activities/intelligence/decision-match';

const quiet = { info: () => undefined };
const extractor = new LocalExtractor();

const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';
const CARLA = 'carla@acme.test';
const DEV = 'dev@acme.test';
const ERIN = 'erin@acme.test';
const INES = 'ines@acme.test';
const MOBILE = [ALICE, BOB, CARLA, DEV, ERIN, 'farid@acme.test'].sort();

let sample: Sample;
beforeAll(async () => {
  sample = await loadSample();
});

async function extract(item: Item, thread: Item[] = []): Promise<Extraction> {
  return extractor.extract({ item, people: sample.directory, thread });
}

function slack(id: string, authorId: string, at: string, text: string, threadId = `slack:C:${id}`, access = MOBILE): Item {
  return syntheticItem({ id, kind: 'message', authorId, occurredAt: new Date(at), threadId, access, segments: [{ position: 0, text }] });
}

function meeting(id: string, at: string, turns: [string, string][], access = MOBILE): Item {
  return syntheticItem({
    id,
    kind: 'transcript',
    occurredAt: new Date(at),
    threadId: `meeting:${id}`,
    access,
    segments: turns.map(([speakerId, text], position) => ({ position, text, speakerId, startMs: position * 10_000 })),
  });
}

describe.each(DB_FLAVORS)('DecisionStore on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let db: Db;
  let decisions: DecisionStore;

  beforeAll(() => {
    db = database.db;
    decisions = new DecisionStore({ db, judge: decisionJudge });
  });

  beforeEach(async () => {
    await truncateAll(db);
  });

  describe('saving', () => {
    it('stores a transcript\'s extraction in one go, readable by id with its sources, and idempotently', async () => {
      const item = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
      const extraction = await extract(item);
      const first = await decisions.saveExtraction(extraction, { contentHash: item.contentHash });
      expect(first.decisionIds).toHaveLength(extraction.decisions.length);
      const runbook = extraction.decisions.find((d) => d.sources[0]?.position === 20)!;
      const stored = await decisions.getDecision(runbook.id);
      expect(stored).toMatchObject({ statement: runbook.statement, status: 'agreed', ownerId: CARLA, deciderId: ALICE, open: true, followUps: [] });
      expect(stored!.sources).toEqual(runbook.sources);
      expect(stored!.access).toEqual(runbook.access);
      const action = extraction.actions.find((a) => a.what.includes('rollback runbook'))!;
      expect(await decisions.getAction(action.id)).toMatchObject({ ownerId: CARLA, decisionId: runbook.id, dueAt: action.dueAt, open: true });
      expect(await decisions.extractionOf(item.id)).toMatchObject({ extractor: extractor.name, contentHash: item.contentHash });

      const count = async (): Promise<number[]> =>
        Promise.all(['decisions', 'actions', 'questions', 'decision_sources', 'action_sources', 'question_sources'].map(async (t) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n)));
      const before = await count();
      await decisions.saveExtraction(extraction, { contentHash: item.contentHash });
      expect(await count()).toEqual(before);
    });

    it('refuses an invalid extraction without writing anything', async () => {
      const item = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
      const extraction = await extract(item);
      const broken = { ...extraction, actions: [...extraction.actions, { ...extraction.actions[0]!, id: 'act_broken', sources: [] }] };
      await expect(decisions.saveExtraction(broken)).rejects.toThrow();
      expect((await db.query('SELECT id FROM decisions')).rows).toEqual([]);
    });

    it('saves a decision that cites the same turn twice with that turn once, keeping the first quote', async () => {
      const item = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
      const extraction = await extract(item);
      const decision = extraction.decisions[0]!;
      const first = decision.sources[0]!;
      const twice = { ...decision, sources: [first, { ...first, quote: `${first.quote} (again)` }, ...decision.sources.slice(1)] };
      await decisions.saveExtraction({ ...extraction, decisions: [twice, ...extraction.decisions.slice(1)] }, { contentHash: item.contentHash });
      expect((await decisions.getDecision(decision.id))!.sources).toEqual(decision.sources);
    });

    it('converges on the answer whichever email is extracted first, and never un-answers', async () => {
      const asked = sample.byExternalId('<20260220101402.erin.consent@acme.test>');
      const answered = sample.byExternalId('<20260220143055.ines.consent@acme.test>');
      // the question alone (its reply not synced yet), then the reply
      const alone = await extract(asked);
      expect(alone.questions[0]!.answered).toBe(false);
      await decisions.saveExtraction(alone);
      await decisions.saveExtraction(await extract(answered, [asked]));
      const q = await decisions.getQuestion(alone.questions[0]!.id);
      expect(q).toMatchObject({ answered: true, answer: { itemId: answered.id, position: 1 } });
      // extracting the question again without the reply in view does not undo it
      await decisions.saveExtraction(alone);
      expect((await decisions.getQuestion(alone.questions[0]!.id))?.answered).toBe(true);
      expect(await decisions.listQuestions({ visibleTo: [ERIN], unanswered: true })).toEqual([]);
    });

    it('forgets what an item no longer says when it is extracted again', async () => {
      const v1 = slack('m1', ALICE, '2026-03-02T09:00:00Z', "We agreed: the beta goes to 5% of users. I'll write the beta announcement by Friday.");
      await decisions.saveExtraction(await extract(v1));
      expect(await decisions.listDecisions({ visibleTo: [ALICE] })).toHaveLength(1);
      const v2 = { ...v1, segments: [{ position: 0, text: 'Never mind, nothing to see here.' }] };
      const result = await decisions.saveExtraction(await extract(v2));
      expect(result.removed).toHaveLength(2);
      expect(await decisions.listDecisions({ visibleTo: [ALICE] })).toEqual([]);
      expect(await decisions.listActions({ visibleTo: [ALICE] })).toEqual([]);
    });
  });

  describe('merging and supersession', () => {
    const chat = slack('c1', ALICE, '2026-02-23T09:00:00Z', "Let's go with a phased release on both stores: Apple's seven-day rollout and 5/20/100 on Play.");
    const plusOne = slack('c2', BOB, '2026-02-23T09:10:00Z', '+1, sounds good.', 'slack:C:c1');
    const meetingItem = meeting('mtg1', '2026-02-24T10:00:00Z', [
      [ERIN, 'Which rollout are we doing?'],
      [ALICE, 'Okay, we agreed: a phased release on both stores, each step held at least 48 hours.'],
      [CARLA, 'Fine.'],
    ], [...MOBILE, INES].sort());

    it('keeps a decision proposed in chat and confirmed in the meeting as ONE decision with both sources, explaining why', async () => {
      const fromChat = await extract(chat, [{ ...plusOne, threadId: chat.threadId }]);
      const fromMeeting = await extract(meetingItem);
      expect(fromChat.decisions).toHaveLength(1);
      expect(fromMeeting.decisions).toHaveLength(1);
      await decisions.saveExtraction(fromChat);
      const saved = await decisions.saveExtraction(fromMeeting);
      expect(saved.merged).toHaveLength(1);
      expect(saved.merged[0]!.into).toBe(fromChat.decisions[0]!.id);
      expect(saved.merged[0]!.reason).toMatch(/same decision: topic "phased release", shared terms \[.*phased.*\]/);

      const all = await decisions.listDecisions({ visibleTo: [ALICE] });
      expect(all).toHaveLength(1);
      const merged = all[0]!;
      expect(new Set(merged.sources.map((s) => s.itemId))).toEqual(new Set(['c1', 'c2', 'mtg1']));
      // the meeting's consensus statement is surer than the chat proposal: it becomes the statement
      expect(merged.statement).toBe('A phased release on both stores, each step held at least 48 hours');
      expect(merged.status).toBe('agreed');
      // visible to whoever could see every source: Ines was only in the meeting
      expect(merged.access).toEqual(MOBILE);
      expect(await decisions.listDecisions({ visibleTo: [INES] })).toEqual([]);
      // the meeting's own id resolves to the merged decision, and re-extraction lands on it again
      expect((await decisions.getDecision(fromMeeting.decisions[0]!.id))?.id).toBe(merged.id);
      await decisions.saveExtraction(fromMeeting);
      expect(await decisions.listDecisions({ visibleTo: [ALICE] })).toHaveLength(1);
    });

    it('does not merge two decisions of one meeting that share a topic but not their content', async () => {
      const item = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
      const extraction = await extract(item);
      await decisions.saveExtraction(extraction);
      const stored = await decisions.listDecisions({ visibleTo: [ALICE] });
      expect(stored).toHaveLength(extraction.decisions.length);
      expect(stored.every((d) => d.status !== 'superseded')).toBe(true);
    });

    it('links a later agreed decision that replaces an earlier one, and the earlier one is no longer open', async () => {
      const first = meeting('mtg2', '2026-02-24T10:00:00Z', [[ALICE, 'Okay, we agreed: store submission on Thursday March 12.']]);
      const later = slack('c3', ALICE, '2026-03-05T09:00:00Z', 'Change of plan: we decided to move the store submission to Thursday March 19 instead.');
      const a = await extract(first);
      const b = await extract(later);
      await decisions.saveExtraction(a);
      const result = await decisions.saveExtraction(b);
      expect(result.merged).toEqual([]);
      expect(result.superseded).toHaveLength(1);
      expect(result.superseded[0]!.reason).toMatch(/replaces/);
      const old = await decisions.getDecision(a.decisions[0]!.id);
      const replacement = await decisions.getDecision(b.decisions[0]!.id);
      expect(old).toMatchObject({ status: 'superseded', supersededById: replacement!.id, open: false });
      expect(replacement).toMatchObject({ status: 'agreed', supersedesId: old!.id, open: true });
      expect((await decisions.listDecisions({ visibleTo: [ALICE], open: true })).map((d) => d.id)).toEqual([replacement!.id]);
      // re-extracting the old meeting does not revive it
      await decisions.saveExtraction(a);
      expect((await decisions.getDecision(a.decisions[0]!.id))?.status).toBe('superseded');
    });

    it('supersedes on a changed date alone, but not an unrelated later decision', async () => {
      const first = meeting('mtg3', '2026-02-24T10:00:00Z', [[ALICE, 'Okay, we agreed: the go/no-go meeting is on Thursday March 12.']]);
      const unrelated = slack('c4', ALICE, '2026-03-02T09:00:00Z', 'We agreed: the offsite is in Lisbon on April 15.');
      const moved = slack('c5', ALICE, '2026-03-03T09:00:00Z', 'We agreed: the go/no-go meeting is on Friday March 13.');
      const a = await extract(first);
      await decisions.saveExtraction(a);
      expect((await decisions.saveExtraction(await extract(unrelated))).superseded).toEqual([]);
      const result = await decisions.saveExtraction(await extract(moved));
      expect(result.superseded.map((s) => s.id)).toEqual([a.decisions[0]!.id]);
      expect(result.superseded[0]!.reason).toMatch(/names 2026-03-13 instead of 2026-03-12/);
    });
  });

  describe('reads are filtered by who may see', () => {
    beforeEach(async () => {
      for (const externalId of ['transcripts/2026-02-24-mobile-release-sync.vtt', 'C01MOBREL/1772818818.000840', '<20260306093040.ines.q2@acme.test>', '<20260309081122.alice.q2@acme.test>']) {
        const item = sample.byExternalId(externalId);
        await decisions.saveExtraction(await extract(item, sample.threadOf(item)));
      }
    });

    it('lists only what every person asked for may see', async () => {
      const asAlice = await decisions.listDecisions({ visibleTo: [ALICE] });
      expect(asAlice.length).toBeGreaterThan(3);
      expect(asAlice.every((d) => d.access.includes(ALICE))).toBe(true);
      // Ines was not in the release sync
      expect(await decisions.listDecisions({ visibleTo: [INES] })).toEqual([]);
      expect(await decisions.listDecisions({ visibleTo: [ALICE, INES] })).toEqual([]);
      expect(await decisions.listDecisions({ visibleTo: ['grace@acme.test'] })).toEqual([]);
      await expect(decisions.listDecisions({ visibleTo: [] })).rejects.toThrow(/at least one person/);

      const id = asAlice[0]!.id;
      expect(await decisions.getDecision(id, { visibleTo: [ALICE] })).toBeDefined();
      expect(await decisions.getDecision(id, { visibleTo: [ALICE, INES] })).toBeUndefined();

      // the Q2 planning email chain is Ines's, Alice's, Erin's and Dev's; Bob sees none of it
      const devActions = await decisions.listActions({ visibleTo: [DEV], ownerId: DEV });
      expect(devActions.map((a) => a.what)).toContain('bring a rough backend estimate for the sharing permissions model');
      expect((await decisions.listActions({ visibleTo: [BOB], ownerId: DEV })).map((a) => a.what)).not.toContain('bring a rough backend estimate for the sharing permissions model');
    });

    it('filters by open, topic and owner; questions by unanswered and addressee', async () => {
      const byTopic = await decisions.listDecisions({ visibleTo: [ALICE], topic: 'RUNBOOK' });
      expect(byTopic.map((d) => d.ownerId)).toEqual([CARLA]);
      expect(await decisions.listDecisions({ visibleTo: [ALICE], topic: '%' })).toEqual([]);
      expect((await decisions.listDecisions({ visibleTo: [ALICE], ownerId: CARLA })).map((d) => d.id)).toEqual(byTopic.map((d) => d.id));

      const toBob = await decisions.listQuestions({ visibleTo: [BOB], unanswered: true, askedOf: [BOB] });
      expect(toBob).toHaveLength(1);
      expect(toBob[0]!.question).toContain('is RC2 (318) the build we actually submit');
      // Ines is in #mobile-release (she sees the RC2 question) but was not in the 24 Feb sync
      expect((await decisions.listQuestions({ visibleTo: [INES], askedOf: [BOB] })).map((q) => q.id)).toEqual([toBob[0]!.id]);
      const transcript = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
      const toErin = await decisions.listQuestions({ visibleTo: [ALICE], askedOf: [ERIN] });
      expect(toErin.map((q) => q.sources[0]!.itemId)).toContain(transcript.id);
      expect((await decisions.listQuestions({ visibleTo: [INES], askedOf: [ERIN] })).map((q) => q.sources[0]!.itemId)).not.toContain(transcript.id);

      // the runbook action is due before the 10 March sync: overdue an hour later, not a day before
      expect((await decisions.listActions({ visibleTo: [CARLA], overdueAt: new Date('2026-03-10T09:00:00Z') })).map((a) => a.ownerId)).toContain(CARLA);
      expect((await decisions.listActions({ visibleTo: [CARLA], overdueAt: new Date('2026-03-09T09:00:00Z'), ownerId: CARLA })).map((a) => a.what)).not.toContain('own the rollback runbook for 4.2');
    });

    it('keeps what a person set by hand when the item is extracted again', async () => {
      const item = sample.byExternalId('transcripts/2026-02-24-mobile-release-sync.vtt');
      const runbook = (await decisions.listDecisions({ visibleTo: [ALICE], topic: 'runbook' }))[0]!;
      const action = (await decisions.listActions({ visibleTo: [CARLA], ownerId: CARLA })).find((a) => a.what.includes('runbook'))!;
      await decisions.updateDecision(runbook.id, { status: 'done', ownerId: BOB });
      await decisions.updateAction(action.id, { status: 'dropped', dueAt: new Date('2026-04-01T12:00:00Z') });
      await decisions.saveExtraction(await extract(item));
      expect(await decisions.getDecision(runbook.id)).toMatchObject({ status: 'done', ownerId: BOB, open: false });
      expect(await decisions.getAction(action.id)).toMatchObject({ status: 'dropped', dueAt: new Date('2026-04-01T12:00:00Z'), ownerId: CARLA, open: false });
      expect((await decisions.listDecisions({ visibleTo: [ALICE], open: true })).map((d) => d.id)).not.toContain(runbook.id);
    });
  });
});

describe.each(DB_FLAVORS)('follow-up evidence on the sample team (%s)', (flavor) => {
  const database = useTestDatabase(flavor);
  let decisions: DecisionStore;

  beforeAll(async () => {
    const db = database.db;
    const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, undefined, quiet), embedder: new LocalHashingEmbedder() });
    for (const unit of sample.units) await store.storeUnit('acme', unit);
    decisions = new DecisionStore({ db, judge: decisionJudge });
    for (const item of [...sample.items].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())) {
      await decisions.saveExtraction(await extract(item, sample.threadOf(item)));
    }
  }, 120_000);

  it('finds the follow-ups the sample README lists, and none for the runbook decision nobody followed up', async () => {
    const evidence = await decisions.findCompletionEvidence(sample.items);
    const everyone = [ALICE];
    const all = await decisions.listDecisions({ visibleTo: everyone, limit: 500 });
    const ios16 = all.find((d) => d.statement === 'Minimum iOS 16 for 4.2')!;
    const runbook = all.find((d) => d.statement.includes('rollback runbook'))!;
    const bobsMessage = sample.byExternalId('C01MOBREL/1772617257.000618');
    expect(evidence).toContainEqual({ subjectKind: 'decision', subjectId: ios16.id, itemId: bobsMessage.id, position: 0 });
    expect(evidence.some((e) => e.subjectId === runbook.id)).toBe(false);

    const deviceMatrix = all.find((d) => d.statement === 'A proper device matrix this time')!;
    const faridsMatrix = sample.byExternalId('C01MOBREL/1772029826.000322');
    expect(evidence).toContainEqual({ subjectKind: 'decision', subjectId: deviceMatrix.id, itemId: faridsMatrix.id, position: 0 });

    const actions = await decisions.listActions({ visibleTo: ['farid@acme.test'], limit: 500 });
    const matrix = actions.find((a) => a.what.includes('device farm'))!;
    expect(evidence).toContainEqual({ subjectKind: 'action', subjectId: matrix.id, itemId: sample.byExternalId('C01MOBREL/1772029826.000322').id, position: 0 });
    const notes = actions.find((a) => a.what.startsWith('Release notes'))!;
    expect(evidence.some((e) => e.subjectId === notes.id && e.itemId === sample.byExternalId('<20260309112047.erin.relnotes@acme.test>').id)).toBe(true);

    // recorded: open lists leave them out, the runbook decision and its actions stay open
    const open = await decisions.listDecisions({ visibleTo: everyone, open: true, limit: 500 });
    expect(open.map((d) => d.id)).toContain(runbook.id);
    expect(open.map((d) => d.id)).not.toContain(ios16.id);
    expect((await decisions.getDecision(ios16.id))?.followUps[0]).toMatchObject({ itemId: bobsMessage.id, authorId: BOB });
    const openActions = await decisions.listActions({ visibleTo: [CARLA], open: true, ownerId: CARLA });
    expect(openActions.map((a) => a.what)).toContain('own the rollback runbook for 4.2');

    // idempotent
    expect(await decisions.findCompletionEvidence(sample.items)).toEqual(evidence);
  });
});
