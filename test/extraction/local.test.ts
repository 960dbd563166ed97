/**
 * The local extractor on the sample team's real files (parsed by the files connector) and on hand-made
 * conversations for what the sample does not cover: statuses from reactions, due dates in the speaker's
 * time zone, malformed input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalExtractor } from '../../activities/intelligence/extraction/local';
import type { ExtractionInput } from '../../activities/intelligence/extraction/port';
import type { Item } from '../../schemas/entities';
import { Extraction as ExtractionSchema, type Extraction } from '../../schemas/memory';
import { loadSample, OPT_OUT_MARKER, quotesAreVerbatim, type Sample, syntheticItem } from './sample';

const extractor = new LocalExtractor();
let sample: Sample;

const RELEASE_SYNC_0224 = 'transcripts/2026-02-24-mobile-release-sync.vtt';
const RELEASE_SYNC_0303 = 'transcripts/2026-03-03-mobile-release-sync.vtt';
const RC2_QUESTION = 'C01MOBREL/1772818818.000840';
const CONSENT_QUESTION = '<20260220101402.erin.consent@acme.test>';
const CONSENT_ANSWER = '<20260220143055.ines.consent@acme.test>';

async function extractSample(externalId: string): Promise<{ item: Item; extraction: Extraction }> {
  const item = sample.byExternalId(externalId);
  const extraction = await extractor.extract({ item, people: sample.directory, thread: sample.threadOf(item) });
  expect(ExtractionSchema.safeParse(extraction).success).toBe(true);
  return { item, extraction };
}

beforeAll(async () => {
  sample = await loadSample();
});

describe('the 24 Feb release sync', () => {
  it('finds the rollback-runbook decision at position 20: agreed, decided by Alice, owned by Carla, with the reason Carla gave', async () => {
    const { item, extraction } = await extractSample(RELEASE_SYNC_0224);
    const decision = extraction.decisions.find((d) => d.sources[0]?.position === 20);
    expect(decision, JSON.stringify(extraction.decisions.map((d) => d.statement))).toBeDefined();
    expect(decision!.statement).toMatch(/rollback runbook linked from the release checklist/);
    expect(decision!.status).toBe('agreed');
    expect(decision!.deciderId).toBe('alice@acme.test');
    expect(decision!.ownerId).toBe('carla@acme.test');
    expect(decision!.rationale).toBe("If sync v2 turns out to lose data, we can't send them back to 4.1");
    expect(decision!.sources.map((s) => s.position)).toEqual([20, 9]);
    expect(decision!.access).toEqual([...item.access].sort());
    expect(decision!.decidedAt.toISOString()).toBe('2026-02-24T10:03:04.400Z');
  });

  it('finds the rollback runbook action: asked of Carla, accepted by her, restated in the decision, due before the 10 March sync', async () => {
    const { extraction } = await extractSample(RELEASE_SYNC_0224);
    const decision = extraction.decisions.find((d) => d.sources[0]?.position === 20)!;
    const action = extraction.actions.find((a) => a.what.includes('rollback runbook'));
    expect(action).toBeDefined();
    expect(action!.what).toBe('own the rollback runbook for 4.2');
    expect(action!.ownerId).toBe('carla@acme.test');
    expect(action!.sources.map((s) => s.position)).toEqual([17, 18, 20]);
    expect(action!.decisionId).toBe(decision.id);
    // "before the March 10 sync", said by Alice (Europe/Berlin, 09:00-17:00): the start of her working day
    expect(action!.dueText).toBe('before the March 10');
    expect(action!.dueAt?.toISOString()).toBe('2026-03-10T08:00:00.000Z');
    // Dev's flag, the other half of the decision
    const flag = extraction.actions.find((a) => a.ownerId === 'dev@acme.test');
    expect(flag?.what).toBe('put the flag into the admin console');
    expect(flag?.decisionId).toBe(decision.id);
  });

  it('resolves "by Wednesday" in the speaker\'s time zone: Farid (Europe/Berlin, ends 16:00) on Tue 24 Feb → Wed 25 Feb 15:00 UTC', async () => {
    const { extraction } = await extractSample(RELEASE_SYNC_0224);
    const matrix = extraction.actions.find((a) => a.what.includes('device farm'));
    expect(matrix?.ownerId).toBe('farid@acme.test');
    expect(matrix?.sources.map((s) => s.position)).toEqual([25, 26]);
    expect(matrix?.dueText).toBe('by Wednesday');
    expect(matrix?.dueAt?.toISOString()).toBe('2026-02-25T15:00:00.000Z');
  });

  it('keeps the store-submission decision (position 8) apart from the runbook decision, and parks iOS 15 as agreed', async () => {
    const { extraction } = await extractSample(RELEASE_SYNC_0224);
    const submission = extraction.decisions.find((d) => d.sources[0]?.position === 8);
    expect(submission?.statement).toBe('Store submission on Thursday March 12, RC1 cut on Monday March 2nd, and a go/no-go on the morning of the 12th');
    expect(submission?.status).toBe('agreed');
    const park = extraction.decisions.find((d) => /iOS 15/.test(d.statement));
    expect(park?.status).toBe('agreed');
    expect(park?.sources[0]?.position).toBe(29);
  });

  it('quotes every source verbatim and never includes anything from people outside the opt-in', async () => {
    for (const externalId of [RELEASE_SYNC_0224, RELEASE_SYNC_0303, 'transcripts/2026-02-19-checkout-redesign-review.vtt']) {
      const { extraction } = await extractSample(externalId);
      const spans = [
        ...extraction.decisions.flatMap((d) => d.sources),
        ...extraction.actions.flatMap((a) => a.sources),
        ...extraction.questions.flatMap((q) => [...q.sources, ...(q.answer ? [q.answer] : [])]),
      ];
      expect(spans.length).toBeGreaterThan(0);
      expect(quotesAreVerbatim(spans, sample.items)).toEqual([]);
      expect(JSON.stringify(extraction)).not.toContain(OPT_OUT_MARKER);
      const owners = [...extraction.actions.map((a) => a.ownerId), ...extraction.decisions.map((d) => d.ownerId)].filter(Boolean);
      expect(owners.every((o) => sample.directory.some((p) => p.id === o))).toBe(true);
    }
  });

  it('is deterministic: extracting again yields the same ids and content', async () => {
    const a = await extractSample(RELEASE_SYNC_0224);
    const b = await extractSample(RELEASE_SYNC_0224);
    expect(b.extraction).toEqual(a.extraction);
    const ids = [...a.extraction.decisions, ...a.extraction.actions, ...a.extraction.questions].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('the 3 Mar release sync', () => {
  it('finds the iOS 16 decision owned by Bob, and Erin\'s release notes due Monday 9 March at the end of her day in Dublin', async () => {
    const { extraction } = await extractSample(RELEASE_SYNC_0303);
    const ios16 = extraction.decisions.find((d) => d.statement === 'Minimum iOS 16 for 4.2');
    expect(ios16?.status).toBe('agreed');
    expect(ios16?.ownerId).toBe('bob@acme.test');
    const change = extraction.actions.find((a) => a.decisionId === ios16?.id);
    expect(change?.ownerId).toBe('bob@acme.test');
    // "first thing tomorrow" said by Bob (Europe/London, from 09:30)
    expect(change?.dueAt?.toISOString()).toBe('2026-03-04T09:30:00.000Z');
    const notes = extraction.actions.find((a) => a.what.startsWith('Release notes'));
    expect(notes?.what).toBe('Release notes: send a draft by email');
    expect(notes?.ownerId).toBe('erin@acme.test');
    expect(notes?.dueAt?.toISOString()).toBe('2026-03-09T17:30:00.000Z');
  });
});

describe('questions', () => {
  it('finds Farid\'s RC2 question to Bob, unanswered', async () => {
    const { item, extraction } = await extractSample(RC2_QUESTION);
    expect(extraction.questions).toHaveLength(1);
    const q = extraction.questions[0]!;
    expect(q.askedById).toBe('farid@acme.test');
    expect(q.askedOfIds).toEqual(['bob@acme.test']);
    expect(q.answered).toBe(false);
    expect(q.answer).toBeUndefined();
    expect(q.question).toContain('is RC2 (318) the build we actually submit on the 12th');
    expect(q.sources).toEqual([{ itemId: item.id, position: 0, quote: q.question }]);
  });

  it('marks Erin\'s legal-review question answered by Ines\'s reply, from either email, with the same id', async () => {
    const asked = await extractSample(CONSENT_QUESTION);
    const reply = await extractSample(CONSENT_ANSWER);
    const answerItem = sample.byExternalId(CONSENT_ANSWER);
    const q = asked.extraction.questions[0]!;
    expect(q.askedById).toBe('erin@acme.test');
    expect(q.askedOfIds).toEqual(['ines@acme.test']); // "Hi Ines," although Alice is on Cc
    expect(q.answered).toBe(true);
    expect(q.answer?.itemId).toBe(answerItem.id);
    expect(q.answer?.position).toBe(1);
    expect(q.answer?.quote).toMatch(/^Yes, it needed a review, and it's already done/);
    expect(reply.extraction.questions).toEqual([q]);
  });

  it('does not take a deferral for an answer ("I need to look at … Can we decide next week?")', async () => {
    const { extraction } = await extractSample(RELEASE_SYNC_0224);
    const ios15 = extraction.questions.find((x) => x.question === 'One question from me. Do we keep iOS 15?' || x.question === 'Do we keep iOS 15?');
    expect(ios15?.answered).toBe(false);
    const named = extraction.questions.find((x) => x.question === 'Erin, what does product want?');
    expect(named?.askedOfIds).toEqual(['erin@acme.test']);
    expect(named?.answer?.position).toBe(5);
  });
});

// ---- hand-made conversations

const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';
const DEV = 'dev@acme.test';
const CHANNEL = ['alice@acme.test', 'bob@acme.test', 'carla@acme.test', 'dev@acme.test'];

function message(id: string, authorId: string, at: string, text: string, extra: Partial<Item> = {}): Item {
  return syntheticItem({
    id,
    kind: 'message',
    authorId,
    occurredAt: new Date(at),
    threadId: 'slack:T:1',
    access: CHANNEL,
    segments: [{ position: 0, text }],
    ...extra,
  });
}

describe('due dates in the speaker\'s time zone', () => {
  it('"by Friday" said on Tuesday 3 March: Friday 6 March at the end of the speaker\'s working day, wherever they are', async () => {
    const people = (await loadSample()).directory;
    const said = '2026-03-03T10:00:00Z';
    const byAlice = await extractor.extract({ item: message('m1', ALICE, said, "I'll send the go/no-go checklist by Friday."), people });
    const byDev = await extractor.extract({ item: message('m2', DEV, said, "I'll send the go/no-go checklist by Friday."), people });
    expect(byAlice.actions[0]?.dueAt?.toISOString()).toBe('2026-03-06T16:00:00.000Z'); // 17:00 Europe/Berlin
    expect(byDev.actions[0]?.dueAt?.toISOString()).toBe('2026-03-06T14:00:00.000Z'); // 19:30 Asia/Kolkata
    expect(byAlice.actions[0]?.dueText).toBe('by Friday');
    expect(byAlice.actions[0]?.what).toBe('send the go/no-go checklist');
  });
});

describe('decision status from the reactions in a thread', () => {
  const proposal = message('p', ALICE, '2026-03-02T09:00:00Z', "Let's drop the legacy sync endpoint in 4.3.");

  it('stays proposed with no reaction, becomes agreed on "+1, sounds good" and rejected on "No, let\'s not"', async () => {
    const people = (await loadSample()).directory;
    const alone = await extractor.extract({ item: proposal, people });
    expect(alone.decisions.map((d) => d.status)).toEqual(['proposed']);

    const plusOne = message('r1', BOB, '2026-03-02T09:05:00Z', '+1, sounds good to me.');
    const agreed = await extractor.extract({ item: proposal, people, thread: [plusOne] });
    expect(agreed.decisions.map((d) => d.status)).toEqual(['agreed']);
    expect(agreed.decisions[0]!.id).toBe(alone.decisions[0]!.id);
    expect(agreed.decisions[0]!.sources.map((s) => s.itemId)).toEqual(['p', 'r1']);

    // the reply's own extraction re-emits the decision it reacts to, with the same id
    const fromReply = await extractor.extract({ item: plusOne, people, thread: [proposal] });
    expect(fromReply.decisions).toEqual(agreed.decisions);

    const no = message('r2', DEV, '2026-03-02T09:06:00Z', "No, let's not, the Android 4.2 build still calls it.");
    const rejected = await extractor.extract({ item: proposal, people, thread: [no] });
    expect(rejected.decisions.map((d) => d.status)).toEqual(['rejected']);
  });

  it('takes the owner of a request from whoever accepts it ("Can someone …?" / "I\'ll take it")', async () => {
    const people = (await loadSample()).directory;
    const ask = message('q', ALICE, '2026-03-02T10:00:00Z', 'Can someone own the cleanup of the old pg13 snapshots?');
    const take = message('t', DEV, '2026-03-02T10:30:00Z', "I'll take it, ticket PLAT-771.");
    const fromTake = await extractor.extract({ item: take, people, thread: [ask] });
    expect(fromTake.actions).toHaveLength(1);
    expect(fromTake.actions[0]).toMatchObject({ what: 'own the cleanup of the old pg13 snapshots', ownerId: DEV });
    expect(fromTake.actions[0]!.sources.map((s) => s.itemId)).toEqual(['q', 't']);
  });
});

describe('malformed input yields nothing and does not throw', () => {
  const cases: [string, (people: ExtractionInput['people']) => ExtractionInput][] = [
    ['no segments', (people) => ({ item: syntheticItem({ id: 'e1', kind: 'transcript', occurredAt: new Date(), access: [ALICE], segments: [] }), people })],
    ['empty and blank segments', (people) => ({ item: message('e2', ALICE, '2026-03-02T10:00:00Z', '   ', { segments: [{ position: 0, text: '' }, { position: 1, text: ' \n ' }] }), people })],
    ['garbage', (people) => ({ item: message('e3', ALICE, '2026-03-02T10:00:00Z', '%%%% ))) 0x00ff ### ??? !!! ~~~ ::: ;;; ___'), people })],
    ['non-English', (people) => ({ item: message('e4', ALICE, '2026-03-02T10:00:00Z', 'Wir haben beschlossen, die Veröffentlichung zu verschieben. これは決定事項です。'), people })],
    ['no opted-in speaker', (people) => ({ item: message('e5', 'grace@acme.test', '2026-03-02T10:00:00Z', "We agreed: ship it. I'll write the runbook by Friday. Can you review it?"), people })],
    ['an empty directory', () => ({ item: message('e6', ALICE, '2026-03-02T10:00:00Z', "We agreed: ship it. I'll write the runbook by Friday."), people: [] })],
    [
      'a transcript whose speakers are unknown',
      (people) => ({
        item: syntheticItem({
          id: 'e7',
          kind: 'transcript',
          occurredAt: new Date('2026-03-02T10:00:00Z'),
          access: [ALICE],
          segments: [
            { position: 0, text: "Okay, we agreed: we ship on Friday. I'll write the notes.", speakerId: null },
            { position: 1, text: 'Do we keep iOS 15 or not?', speakerId: 'stranger@elsewhere.test' },
          ],
        }),
        people,
      }),
    ],
  ];
  it.each(cases)('%s', async (_name, build) => {
    const people = (await loadSample()).directory;
    const input = build(people);
    const extraction = await extractor.extract(input);
    expect(extraction).toEqual({ itemId: input.item.id, extractor: extractor.name, decisions: [], actions: [], questions: [] });
  });
});
