/**
 * DecisionStore's list…Each (the decision log read once for several views — each attendee's own brief beside the
 * meeting's shared one): every view must get exactly what its own list returns, including where the shared read
 * was cut before a view's rows were in it (then it says so, and the view is read alone). On the sample team's
 * decisions, actions and questions, whose access lists differ by channel and thread. PGlite and PostgreSQL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decisionJudge } from '../../activities/intelligence/decision-match';
import { LocalExtractor } from '../../activities/intelligence/extraction/local';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { contextReads, gatherMeetingContext } from '../../activities/intelligence/meeting-context';
import { meetingAttendees } from '../../activities/intelligence/personal-brief';
import { sharedContextReads } from '../../activities/intelligence/shared-context-reads';
import { DecisionStore } from '../../activities/memory/decisions';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { loadSample, type Sample } from '../extraction/sample';
import { DB_FLAVORS, useTestDatabase } from '../support/db';

const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';
const CARLA = 'carla@acme.test';
const INES = 'ines@acme.test';
const VIEWS = [[ALICE, BOB, CARLA], [ALICE], [BOB], [CARLA], [INES]];

describe.each(DB_FLAVORS)('the decision log for several views at once on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let decisions: DecisionStore;
  let store: MemoryStore;
  let sample: Sample;
  beforeAll(async () => {
    decisions = new DecisionStore({ db: database.db, judge: decisionJudge });
    sample = await loadSample();
    const embedder = new LocalHashingEmbedder();
    store = new MemoryStore({ db: database.db, vectors: await chooseVectorIndex(database.db, embedder.dimensions, { info: () => undefined }), embedder });
    await store.upsertPeople(sample.people);
    for (const unit of sample.units) await store.storeUnit('acme', unit);
    const extractor = new LocalExtractor();
    for (const item of sample.items) {
      const extraction = await extractor.extract({ item, people: sample.directory, thread: sample.threadOf(item) });
      await decisions.saveExtraction(extraction, { contentHash: item.contentHash });
    }
  });

  const ids = (records: { id: string }[] | undefined) => records?.map((r) => r.id);

  it('answers each view what its own list answers, or undefined where the shared read cannot', async () => {
    const lists = [
      { name: 'decisions', own: (visibleTo: string[], limit: number) => decisions.listDecisions({ visibleTo, limit }), each: (limit: number) => decisions.listDecisionsEach({ limit }, VIEWS) },
      { name: 'actions', own: (visibleTo: string[], limit: number) => decisions.listActions({ visibleTo, limit }), each: (limit: number) => decisions.listActionsEach({ limit }, VIEWS) },
      { name: 'questions', own: (visibleTo: string[], limit: number) => decisions.listQuestions({ visibleTo, limit }), each: (limit: number) => decisions.listQuestionsEach({ limit }, VIEWS) },
    ];
    let cutViews = 0;
    for (const list of lists) {
      const all = await list.own([ALICE], 1000);
      expect(all.length, `the sample has ${list.name} Alice may see`).toBeGreaterThan(2);
      for (const limit of [1000, 2, 1]) {
        const each = await list.each(limit);
        expect(each).toHaveLength(VIEWS.length);
        for (const [k, view] of VIEWS.entries()) {
          const own = await list.own(view, limit);
          if (each[k] === undefined) {
            expect(limit, `${list.name} for ${view.join('+')}: read alone only where the shared read was cut`).toBeLessThan(1000);
            cutViews++;
            continue;
          }
          expect(ids(each[k]), `${list.name} for ${view.join('+')} at ${limit}`).toEqual(ids(own));
          expect(each[k]).toEqual(own);
        }
      }
    }
    // the generous limit never needs a view read alone; the tight ones do somewhere (the shared read is cut there)
    expect(cutViews).toBeGreaterThan(0);
  });

  it('keeps every other filter of the list', async () => {
    const since = new Date('2026-02-20T00:00:00Z');
    const each = await decisions.listDecisionsEach({ since, open: true, limit: 50 }, VIEWS);
    for (const [k, view] of VIEWS.entries()) expect(ids(each[k])).toEqual(ids(await decisions.listDecisions({ visibleTo: view, since, open: true, limit: 50 })));
    const overdueAt = new Date('2026-12-31T00:00:00Z');
    const actions = await decisions.listActionsEach({ open: true, overdueAt, limit: 50 }, VIEWS);
    for (const [k, view] of VIEWS.entries()) expect(ids(actions[k])).toEqual(ids(await decisions.listActions({ visibleTo: view, open: true, overdueAt, limit: 50 })));
    const questions = await decisions.listQuestionsEach({ unanswered: true, askedOf: [BOB, CARLA], limit: 50 }, VIEWS);
    for (const [k, view] of VIEWS.entries()) expect(ids(questions[k])).toEqual(ids(await decisions.listQuestions({ visibleTo: view, unanswered: true, askedOf: [BOB, CARLA], limit: 50 })));
  });

  it("gathers every sample meeting's shared brief and each attendee's own from shared reads exactly as from their own", async () => {
    const meetings = sample.units.flatMap((u) => u.meetings);
    expect(meetings.length).toBeGreaterThan(0);
    let withLog = 0;
    for (const meeting of meetings) {
      const now = new Date(meeting.startsAt.getTime() - 3_600_000);
      const own = meetingAttendees(meeting);
      const shared = sharedContextReads(store, decisions, [meeting.attendeeIds, ...own.map((p) => [p])]);
      const alone = contextReads(store, decisions);
      expect(await gatherMeetingContext(shared, meeting, now), meeting.id).toEqual(await gatherMeetingContext(alone, meeting, now));
      for (const person of own) {
        const context = await gatherMeetingContext(shared, meeting, now, undefined, [person]);
        expect(context, `${meeting.id} for ${person}`).toEqual(await gatherMeetingContext(alone, meeting, now, undefined, [person]));
        if (context.openDecisions.length + context.overdueActions.length + context.unanswered.length > 0) withLog++;
      }
    }
    // the decision log is really in these briefs, not only the messages
    expect(withLog).toBeGreaterThan(0);
  });
});
