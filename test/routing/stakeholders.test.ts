/**
 * resolveStakeholders on both engines, over a coordination graph filled by the normal ingest path
 * (MemoryStore.storeUnit): roles and readable reasons, a bounded audience per role, stale involvement dropping out,
 * the opt-in, and someone who should know but may not see the source.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { resolveStakeholders, routingReadsOver, type RoutingReads } from '../../activities/intelligence/routing/stakeholders';
import { CoordinationGraph, ProjectHistory } from '../../activities/memory/coordination';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { routingConfig, type RoutingConfig } from '../../config/routing';
import type { Item } from '../../schemas/entities';
import { RoutingSubject, type Stakeholder } from '../../schemas/routing';
import { at, item, person, unit } from '../memory/fixtures';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';

const ANA = 'ana@team.test'; // asks
const BEN = 'ben@team.test'; // owns the follow-up
const CY = 'cy@team.test'; // decided
const DEV = 'dev@team.test'; // took part in the conversation
const EVE = 'eve@team.test'; // Ana writes to her about the release, but the decision's sources are not hers to see
const MIA = 'mia@team.test'; // Ben's manager
const OUT = 'out@team.test'; // not opted in
const OLD = 'old@team.test'; // worked with Ana over a year ago
const PEERS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'].map((p) => `${p}@team.test`);
const DAY_H = 24;

let n = 0;
function mail(from: string, to: string[], hoursAgo: number, over: Partial<Item> = {}): Item {
  n += 1;
  return item(`mail-${n}`, { kind: 'email', title: 'status', body: `weekly status ${n}`, authorId: from, recipients: to, access: [from, ...to], occurredAt: at(-hoursAgo), ...over });
}

const release = (from: string, to: string[], hoursAgo: number) =>
  mail(from, to, hoursAgo, { title: 'Re: SPI release plan', body: 'The SPI driver release moves to Friday after the DMA timeout fix lands.', threadId: 'thread-release' });

function history(): Item[] {
  return [
    release(ANA, [BEN, CY, DEV], 72),
    release(BEN, [ANA, CY], 48),
    ...[30, 60, 90, 120].map((h) => mail(ANA, [EVE], h, { title: 'SPI driver release notes', body: 'Draft notes for the SPI driver release and the DMA timeout fix.' })),
    ...[10, 20, 30, 40, 50, 60].map((h) => mail(ANA, [OUT], h)),
    ...[1, 2, 3, 4, 5].map((d) => mail(ANA, [OLD], 400 * DAY_H + d * DAY_H)),
    // Ana writes to p1 eight times, p2 seven times … p8 once, all last month
    ...PEERS.flatMap((p, i) => Array.from({ length: PEERS.length - i }, (_, k) => mail(ANA, [p], 200 + k * DAY_H + i))),
  ];
}

const decision = RoutingSubject.parse({
  kind: 'decision',
  id: 'D-12',
  title: 'SPI release moves to Friday',
  text: 'We move the SPI driver release to Friday, after the DMA timeout fix lands.',
  askerId: ANA,
  occurredAt: at(0),
  threadId: 'thread-release',
  // decided in the release thread, which Eve is not on
  access: [ANA, BEN, CY, DEV],
  named: [
    { personId: BEN, as: 'owner' },
    { personId: CY, as: 'decider' },
  ],
});

const byId = (list: Stakeholder[]) => new Map(list.map((s) => [s.personId, s]));

describe.each(DB_FLAVORS)('resolveStakeholders on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let reads: RoutingReads;

  beforeAll(async () => {
    await truncateAll(database.db);
    const vectors = await chooseVectorIndex(database.db, undefined, { info: () => undefined });
    const store = new MemoryStore({ db: database.db, vectors, embedder: new LocalHashingEmbedder() });
    await store.upsertSource({ id: 'src', kind: 'files', config: {} });
    await store.upsertPeople([
      person(ANA),
      person(BEN, { managerId: MIA }),
      person(CY),
      person(DEV),
      person(EVE),
      person(MIA, { name: 'Mia' }),
      person(OUT, { optedIn: false }),
      person(OLD),
      ...PEERS.map((p) => person(p)),
    ]);
    await store.storeUnit('src', unit('mail', { items: history() }));
    reads = routingReadsOver(store, new CoordinationGraph(database.db), new ProjectHistory(database.db));
  });

  it('counts the people on the conversation’s latest message (the one a reply answers) above the rest of the conversation', async () => {
    const reply = RoutingSubject.parse({ kind: 'text', title: 'Re: SPI release plan', text: 'Friday works for me.', askerId: ANA, occurredAt: at(0), threadId: 'thread-release' });
    const s = byId((await resolveStakeholders(reads, reply)).stakeholders);
    // Ben's message to Ana and Cy (two days ago) is the latest; Dev was only on Ana's earlier one
    const latest = `was on the latest message of this conversation (${at(-48).toISOString().slice(0, 10)})`;
    expect(s.get(CY)!.reasons).toContain(latest);
    expect(s.get(BEN)!.reasons).toContain(latest);
    expect(s.get(DEV)!.reasons).not.toContain(latest);
    expect(s.get(CY)!.score).toBeGreaterThan(s.get(DEV)!.score);
    const without = byId((await resolveStakeholders(reads, reply, { ...routingConfig, weights: { ...routingConfig.weights, latestInConversation: 0 } })).stakeholders);
    expect(without.get(CY)!.reasons).not.toContain(latest);
    expect(s.get(CY)!.score / s.get(DEV)!.score).toBeGreaterThan(without.get(CY)!.score / without.get(DEV)!.score);
  });

  it('counts the people on items whose subjects are most like this one’s: a short reply says little, its subject a lot', async () => {
    // a new conversation (no thread in the history) whose text carries no content words: only its subject says what it is about
    const reply = RoutingSubject.parse({ kind: 'text', title: 'Re: [PATCH v2] SPI driver release notes', text: 'Acked.', askerId: ANA, occurredAt: at(0) });
    const subjectReason = (x: Stakeholder | undefined) => x?.reasons.find((r) => r.includes('conversations with the most similar subjects'));
    const config = { ...routingConfig, weights: { ...routingConfig.weights, similarSubject: 2 } };
    const s = byId((await resolveStakeholders(reads, reply, config)).stakeholders);
    // Ana wrote to Eve four times under "SPI driver release notes"
    expect(subjectReason(s.get(EVE))).toMatch(/^was on 4 of the \d+ conversations with the most similar subjects, e\.g\. “SPI driver release notes”$/);
    // the weekly status mails share no subject word with it
    expect(subjectReason(s.get(OUT)) ?? subjectReason(s.get(PEERS[0]!))).toBeUndefined();
    const without = byId((await resolveStakeholders(reads, reply, { ...config, weights: { ...config.weights, similarSubject: 0 } })).stakeholders);
    expect(subjectReason(without.get(EVE))).toBeUndefined();
    // Ana's most frequent correspondent, with nothing to do with the subject, falls behind Eve further
    expect(s.get(EVE)!.score / s.get(PEERS[0]!)!.score).toBeGreaterThan(without.get(EVE)!.score / without.get(PEERS[0]!)!.score);
  });

  it('gives the decider and the owner decide, the conversation consult, the owner’s manager inform, each with a reason a person can read', async () => {
    const { stakeholders } = await resolveStakeholders(reads, decision);
    const s = byId(stakeholders);
    expect(s.get(CY)).toMatchObject({ role: 'decide', maySeeSource: true });
    expect(s.get(CY)!.reasons[0]).toBe('made decision D-12');
    expect(s.get(BEN)).toMatchObject({ role: 'decide', maySeeSource: true });
    expect(s.get(BEN)!.reasons[0]).toBe('owns the follow-up of decision D-12');
    expect(s.get(BEN)!.reasons).toContain('took part in 2 earlier messages of this conversation');
    expect(s.get(DEV)).toMatchObject({ role: 'consult', reasons: expect.arrayContaining(['took part in 1 earlier message of this conversation']) });
    expect(s.get(MIA)).toMatchObject({ role: 'inform', name: 'Mia', reasons: ['manager of the owner, ben'] });
    expect(stakeholders.every((x) => x.reasons.length > 0 && x.personId !== ANA)).toBe(true);
  });

  it('marks someone who should know but may not see the sources, and names who could share them', async () => {
    const { stakeholders } = await resolveStakeholders(reads, decision);
    const eve = byId(stakeholders).get(EVE);
    expect(eve).toMatchObject({ maySeeSource: false, shareVia: [ANA, BEN, CY] });
    // why she should know: the four release-notes mails Ana sent her (her strongest reasons; none quotes the decision)
    expect(eve!.reasons.join(' | ')).toMatch(/(you wrote to them( about similar things)? 4 times|was on 4 of the \d+ (most similar conversations|conversations with the most similar subjects))/);
    expect(eve!.reasons.join(' | ')).not.toMatch(/D-12|moves to Friday/);
    // everyone else here may see the sources, and needs nobody to share them
    for (const x of stakeholders.filter((y) => y.personId !== EVE)) expect(x).toMatchObject({ maySeeSource: decision.access.includes(x.personId), shareVia: decision.access.includes(x.personId) ? [] : [ANA, BEN, CY] });
  });

  it('never selects a person who has not opted in, however strong the evidence or if the subject names them', async () => {
    const named = RoutingSubject.parse({ ...decision, named: [...decision.named, { personId: OUT, as: 'mentioned' }] });
    for (const subject of [decision, named]) {
      const { stakeholders, considered } = await resolveStakeholders(reads, subject);
      expect(stakeholders.map((x) => x.personId)).not.toContain(OUT);
      expect(considered).toBeGreaterThan(stakeholders.length);
    }
    // the evidence was there: with Out opted in, Ana's six recent mails to them count
    await database.db.query('UPDATE people SET opted_in = true WHERE id = $1', [OUT]);
    try {
      expect((await resolveStakeholders(reads, decision)).stakeholders.map((x) => x.personId)).toContain(OUT);
    } finally {
      await database.db.query('UPDATE people SET opted_in = false WHERE id = $1', [OUT]);
    }
  });

  it('lets stale involvement drop out: decayed below the cut, and not read at all past the horizon', async () => {
    const ids = async (config: RoutingConfig) => (await resolveStakeholders(reads, decision, config)).stakeholders.map((x) => x.personId);
    // five mails over a year ago, at a 30-day half-life, weigh nothing beside last month's
    expect(await ids(routingConfig)).not.toContain(OLD);
    const slow: RoutingConfig = { ...routingConfig, halfLifeDays: 3650 };
    const withOld = (await resolveStakeholders(reads, decision, slow)).stakeholders;
    expect(withOld.find((x) => x.personId === OLD)?.reasons).toContain('you wrote to them 5 times, last on 2025-01-25');
    // past the horizon nothing is read, however slow the decay
    expect(await ids({ ...slow, horizonDays: 365 })).not.toContain(OLD);
  });

  it('bounds the audience per role, passing a full role’s next candidate down and never dropping the strongest', async () => {
    const text = RoutingSubject.parse({ kind: 'text', title: 'Lunch on Friday?', text: 'Who is in?', askerId: ANA, occurredAt: at(0) });
    const bounded: RoutingConfig = { ...routingConfig, audience: { decide: 1, consult: 1, inform: 3 } };
    const { stakeholders } = await resolveStakeholders(reads, text, bounded);
    const roles = stakeholders.map((x) => x.role);
    expect(roles.filter((r) => r === 'decide').length).toBeLessThanOrEqual(1);
    expect(roles.filter((r) => r === 'consult').length).toBeLessThanOrEqual(1);
    expect(roles.filter((r) => r === 'inform').length).toBeLessThanOrEqual(3);
    const unbounded = (await resolveStakeholders(reads, text)).stakeholders;
    expect(unbounded.length).toBeGreaterThan(stakeholders.length);
    expect(stakeholders.map((x) => x.personId)).toEqual(unbounded.slice(0, stakeholders.length).map((x) => x.personId));
  });
});
