/**
 * Message traits from free text: what the medium policy judges by, with the words that decided each trait.
 * Reference: Tuesday 4 June 2024 10:00 in Berlin (08:00 UTC), a 09:00–17:00 working day.
 */
import { describe, expect, it } from 'vitest';
import { deriveMessageTraits } from '../../activities/intelligence/routing/traits';
import { chooseMedium } from '../../workflows/medium-policy';

const referenceDate = new Date('2024-06-04T08:00:00Z');
const read = (text: string, more: Partial<Parameters<typeof deriveMessageTraits>[1]> = {}) =>
  deriveMessageTraits(text, { referenceDate, timezone: 'Europe/Berlin', workingHours: { start: '09:00', end: '17:00' }, ...more });

describe('deriveMessageTraits: kind', () => {
  it.each([
    ['Can you review the pricing PR?', 'question', /question mark|can you/],
    ['Could you send me the Q3 numbers', 'question', /could you/],
    ['I am blocked on the API keys and can’t proceed until infra helps.', 'blocker', /blocked/],
    ['This is a blocker for the release: the signing cert expired.', 'blocker', /blocker/],
    ['We need a decision on the launch date before Friday.', 'decision_needed', /need a decision/],
    ['Should we ship on Thursday or wait for QA?', 'decision_needed', /should we/],
    ['We decided to go with Stripe for billing.', 'decision_record', /decided/],
    ['We will move the standup to 10:00 from next week.', 'decision_record', /we will/],
    ["Let's go with the blue logo.", 'decision_record', /decision statement/],
    ['FYI the office is closed on Monday.', 'fyi', /no ask/],
  ])('%s → %s', (text, kind, evidence) => {
    const { traits, evidence: why } = read(text);
    expect(traits.kind).toBe(kind);
    expect(why.kind.join(' ')).toMatch(evidence);
  });
});

describe('deriveMessageTraits: urgency and deadline', () => {
  it('an outage is critical', () => {
    const { traits, evidence } = read('Production is down: checkout returns 500s for everyone.');
    expect(traits.urgency).toBe('critical');
    expect(evidence.urgency).toContain('production is down');
  });

  it('asap is high', () => {
    const { traits, evidence } = read('Please send me the signed contract asap.');
    expect(traits.urgency).toBe('high');
    expect(evidence.urgency).toEqual(['asap']);
  });

  it('EOD is high, and is the end of the writer’s working day', () => {
    const { traits } = read('Can you get me the numbers by EOD?');
    expect(traits.urgency).toBe('high');
    expect(traits.deadline?.toISOString()).toBe('2024-06-04T15:00:00.000Z'); // 17:00 Berlin
  });

  it('a deadline within a day is high, with the words it came from', () => {
    const { traits, evidence } = read('Could you look at the draft by tomorrow morning?');
    expect(traits.deadline?.toISOString()).toBe('2024-06-05T07:00:00.000Z'); // Wed 09:00 Berlin
    expect(traits.urgency).toBe('high');
    expect(evidence.deadline).toEqual(['by tomorrow morning']);
    expect(evidence.urgency[0]).toMatch(/due by tomorrow morning, in 23 hours/);
  });

  it('a deadline later in the week is a deadline, not urgency', () => {
    const { traits } = read('Can you send the deck by Friday?');
    expect(traits.deadline?.toISOString()).toBe('2024-06-07T15:00:00.000Z'); // Fri 17:00 Berlin
    expect(traits.urgency).toBe('normal');
  });

  it('no rush is low', () => {
    const { traits, evidence } = read('No rush: have a look at the new logo when you get a chance.');
    expect(traits.urgency).toBe('low');
    expect(evidence.urgency).toEqual(expect.arrayContaining(['no rush', 'when you get a chance']));
    expect(traits.deadline).toBeUndefined();
  });
});

describe('deriveMessageTraits: length, complexity, discussion, reversibility', () => {
  it('counts words', () => {
    expect(read('one two three, four-five six’s').traits.words).toBe(5);
  });

  it('a short single ask is low complexity', () => {
    expect(read('Can you review the PR?').traits.complexity).toBe('low');
  });

  it('many questions make it complex', () => {
    const { traits, evidence } = read('Which region? Which instance size? Who pays for it?');
    expect(traits.complexity).toBe('high');
    expect(evidence.complexity).toContain('3 questions');
  });

  it('a long text is complex', () => {
    const { traits, evidence } = read(Array.from({ length: 450 }, (_, i) => `word${i}`).join(' '));
    expect(traits.complexity).toBe('high');
    expect(evidence.complexity).toContain('450 words');
  });

  it('a decision between options needs discussion', () => {
    const { traits, evidence } = read('We need a decision: option A (Postgres) vs option B (DynamoDB).');
    expect(traits.kind).toBe('decision_needed');
    expect(traits.needsDiscussion).toBe(true);
    expect(evidence.needsDiscussion[0]).toMatch(/a decision between options \(option a, option b, vs\)/);
    expect(traits.complexity).toBe('high');
  });

  it('an explicit ask to talk needs discussion', () => {
    const { traits, evidence } = read('I am blocked on the schema; can we hop on a call to discuss the trade-offs?');
    expect(traits.kind).toBe('blocker');
    expect(traits.needsDiscussion).toBe(true);
    expect(evidence.needsDiscussion).toEqual(expect.arrayContaining(['discuss', 'hop on a call', 'trade-offs']));
  });

  it('a plain FYI needs no discussion and is reversible', () => {
    const { traits, evidence } = read('FYI the office is closed on Monday.');
    expect(traits.needsDiscussion).toBe(false);
    expect(traits.reversible).toBe(true);
    expect(evidence.reversible).toEqual(['nothing irreversible mentioned']);
  });

  it.each([
    ['Migrating the users table tonight; this is irreversible.', ['irreversible', 'migrating']],
    ['We will delete the old backups bucket on Friday.', ['delete']],
    ["Once it's sent we can't undo it.", ["can't undo"]],
  ])('%s is not reversible', (text, words) => {
    const { traits, evidence } = read(text);
    expect(traits.reversible).toBe(false);
    expect(evidence.reversible).toEqual(expect.arrayContaining(words));
  });
});

describe('deriveMessageTraits: hints and the policy', () => {
  it('a hint wins over the text, and says so', () => {
    const { traits, evidence } = read('Can you review this?', { hints: { kind: 'decision_record', urgency: 'low' }, audienceSize: 4 });
    expect(traits.kind).toBe('decision_record');
    expect(traits.urgency).toBe('low');
    expect(traits.audienceSize).toBe(4);
    expect(evidence.kind).toEqual(['given']);
    const due = read('FYI', { hints: { deadline: '2024-06-05T10:00:00Z' } });
    expect(due.traits.deadline).toEqual(new Date('2024-06-05T10:00:00Z'));
    expect(due.evidence.deadline).toEqual(['given']);
  });

  it('feeds the policy: a blocker asking to talk among three becomes a call', () => {
    const { traits } = read('I am blocked on the schema change and can’t proceed; can we discuss it today?', { audienceSize: 3 });
    const hours = { start: '09:00', end: '17:00' };
    const choice = chooseMedium({
      message: traits,
      recipient: { personId: 'alice', timezone: 'Europe/Berlin', workingHours: hours, reachable: { chat: true, email: true, calendar: true } },
      call: { participants: ['alice', 'bob', 'chen'].map((personId) => ({ personId, timezone: 'Europe/Berlin', workingHours: hours, busy: [] })) },
      now: referenceDate,
    });
    expect(traits).toMatchObject({ kind: 'blocker', urgency: 'high', needsDiscussion: true });
    expect(choice.medium).toBe('call');
    expect(choice.slot?.start.toISOString()).toBe('2024-06-04T08:00:00.000Z');
  });
});
