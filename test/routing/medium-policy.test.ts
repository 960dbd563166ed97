/**
 * The medium policy, table-driven: each row is one message for one recipient, the medium it deserves, and the fact
 * its one-sentence reason must name. Times are worked out by hand: Alice is in Berlin (CEST, UTC+2 in June), working
 * 09:00–17:00; "now" is Tuesday 4 June 2024 10:00 Berlin = 08:00 UTC unless the row says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { mediumsConfig, type MediumsConfig } from '../../config/mediums';
import { CHANNEL_OF, Medium, MediumChoice } from '../../schemas/routing';
import type { SlotParticipant } from '../../workflows/call-slot';
import { chooseMedium, spendsAttention, type CallContext, type MediumPolicyInput, type MessageTraits, type RecipientContext } from '../../workflows/medium-policy';

const NOW = '2024-06-04T08:00:00Z'; // Tue 10:00 Berlin
const hours = { start: '09:00', end: '17:00' };

const message = (over: Partial<MessageTraits> = {}): MessageTraits => ({
  kind: 'fyi',
  urgency: 'normal',
  audienceSize: 1,
  words: 50,
  complexity: 'low',
  needsDiscussion: false,
  reversible: true,
  ...over,
});
const alice = (over: Partial<RecipientContext> = {}): RecipientContext => ({
  personId: 'alice',
  name: 'Alice',
  timezone: 'Europe/Berlin',
  workingHours: hours,
  reachable: { chat: true, email: true, calendar: true },
  ...over,
});
const person = (personId: string, timezone: string, busy: SlotParticipant['busy'] = []): SlotParticipant => ({ personId, name: personId, timezone, workingHours: hours, busy });
/** Alice, Bob (London) and Chen (Berlin): everyone is free at Tue 10:00 Berlin = 08:00 UTC */
const trio = (busy: SlotParticipant['busy'] = []): CallContext => ({
  participants: [person('alice', 'Europe/Berlin', busy), person('bob', 'Europe/London'), person('chen', 'Europe/Berlin')],
});

interface Row {
  name: string;
  message?: Partial<MessageTraits>;
  recipient?: Partial<RecipientContext>;
  call?: CallContext;
  now?: string;
  medium: Medium;
  /** the deciding fact the reason must name */
  reason: RegExp;
  /** undefined: delivered now; a string: delivered then */
  deliverAt?: string;
  slotStart?: string;
}

const rows: Row[] = [
  // ---- the seed's own examples
  {
    name: 'a meeting that should have been a thread: weekly status readout, 9 attendees, no decisions',
    message: { audienceSize: 9, words: 200, meeting: { attendees: 9, decisionsToTake: 0, oneWayUpdates: true } },
    medium: 'chat_channel',
    reason: /meeting of 9 attendees with one-way updates and no decision to take should have been a thread/,
  },
  {
    name: 'a thread that should have been a 5-minute call: 23 replies, 3 people, 2 days, a blocker',
    message: { kind: 'blocker', audienceSize: 3, thread: { replies: 23, participants: 3, hoursSpanned: 48 } },
    call: trio(),
    medium: 'call',
    reason: /23 replies between 3 people over 2 days on a blocker is a thread that should have been a 5-minute call/,
    slotStart: '2024-06-04T08:00:00.000Z',
  },
  // ---- meetings
  {
    name: 'a one-way meeting when chat is out of reach goes to the digest',
    message: { audienceSize: 9, meeting: { attendees: 9, decisionsToTake: 0, oneWayUpdates: true } },
    recipient: { reachable: { chat: false, email: true, calendar: true } },
    medium: 'digest',
    reason: /should have been a thread; Alice cannot be reached by a channel post/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  {
    name: 'a small one-way meeting is a digest entry',
    message: { audienceSize: 2, meeting: { attendees: 2, decisionsToTake: 0, oneWayUpdates: true } },
    medium: 'digest',
    reason: /meeting of 2 attendees .* should have been a digest entry/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  {
    name: 'a meeting with decisions to take stays a call, in its booked slot',
    message: { audienceSize: 6, meeting: { attendees: 6, decisionsToTake: 2, oneWayUpdates: false, scheduled: { start: '2024-06-05T12:00:00Z', end: '2024-06-05T12:30:00Z' } } },
    medium: 'call',
    reason: /2 decisions to take, so it stays a call/,
    slotStart: '2024-06-05T12:00:00.000Z',
  },
  // ---- calls
  {
    name: 'a blocker that needs discussion among 3 people',
    message: { kind: 'blocker', audienceSize: 3, needsDiscussion: true },
    call: trio(),
    medium: 'call',
    reason: /blocker that needs discussion among 3 people/,
    slotStart: '2024-06-04T08:00:00.000Z',
  },
  {
    name: 'a call goes in the first slot after Alice’s busy hour',
    message: { kind: 'blocker', audienceSize: 3, needsDiscussion: true },
    call: trio([{ start: '2024-06-04T08:00:00Z', end: '2024-06-04T09:00:00Z' }]),
    medium: 'call',
    reason: /call at Tue 06-04 11:00 Europe\/Berlin, the first slot free for everyone/,
    slotStart: '2024-06-04T09:00:00.000Z',
  },
  {
    name: 'a decision that cannot be undone and needs discussion',
    message: { kind: 'decision_needed', audienceSize: 2, needsDiscussion: true, reversible: false },
    call: trio(),
    medium: 'call',
    reason: /decision that cannot be undone/,
  },
  {
    name: 'a complex question that needs discussion',
    message: { kind: 'question', audienceSize: 3, needsDiscussion: true, complexity: 'high' },
    call: trio(),
    medium: 'call',
    reason: /complex question that needs discussion among 3 people/,
  },
  {
    name: 'a long thread among 6 people is too many for a 5-minute call',
    message: { kind: 'blocker', audienceSize: 6, thread: { replies: 23, participants: 6, hoursSpanned: 48 } },
    call: trio(),
    medium: 'chat_dm',
    reason: /this blocker waits for an answer/,
  },
  {
    name: 'a reversible decision request without complexity is a chat message, not a call',
    message: { kind: 'decision_needed', audienceSize: 2, needsDiscussion: true, reversible: true },
    call: trio(),
    medium: 'chat_dm',
    reason: /decision request waits for an answer/,
  },
  {
    name: 'no call when the participants’ working hours never meet (Berlin, New York, Tokyo)',
    message: { kind: 'blocker', audienceSize: 3, needsDiscussion: true },
    call: { participants: [person('alice', 'Europe/Berlin'), person('bob', 'America/New_York'), person('kenji', 'Asia/Tokyo')] },
    medium: 'chat_dm',
    reason: /no call, since the working hours of .* never share 5 minutes/,
  },
  {
    name: 'no call when the first common slot is further away than a high-urgency blocker can wait',
    message: { kind: 'blocker', urgency: 'high', audienceSize: 3, needsDiscussion: true },
    call: trio([{ start: '2024-06-04T00:00:00Z', end: '2024-06-06T00:00:00Z' }]),
    medium: 'chat_dm',
    // Bob's London day starts at 08:00 UTC = 10:00 Berlin
    reason: /first slot free for everyone \(Thu 06-06 10:00 Europe\/Berlin\) is more than 24 hours away/,
  },
  {
    name: 'no call without calendars',
    message: { kind: 'blocker', audienceSize: 3, needsDiscussion: true },
    medium: 'chat_dm',
    reason: /no calendars to find a slot in/,
  },
  {
    name: 'someone who avoids calls gets a chat message for a normal blocker',
    message: { kind: 'blocker', audienceSize: 3, needsDiscussion: true },
    recipient: { preferences: { avoided: ['call'] } },
    call: trio(),
    medium: 'chat_dm',
    reason: /Alice avoids calls/,
  },
  {
    name: 'a critical blocker overrides the avoidance of calls',
    message: { kind: 'blocker', urgency: 'critical', audienceSize: 3, needsDiscussion: true },
    recipient: { preferences: { avoided: ['call'] } },
    call: trio(),
    medium: 'call',
    reason: /Alice avoids calls, but critical urgency overrides that/,
  },
  // ---- the record and FYI
  {
    name: 'a decision record is a doc',
    message: { kind: 'decision_record', audienceSize: 5 },
    medium: 'doc',
    reason: /decision record is kept as a doc/,
  },
  {
    name: 'a long FYI is a doc',
    message: { words: 1200 },
    medium: 'doc',
    reason: /FYI of 1200 words \(above 800\)/,
  },
  {
    name: 'a normal FYI waits for tomorrow’s digest',
    medium: 'digest',
    reason: /normal-urgency FYI can wait for the digest; it goes out with Alice's digest at Wed 06-05 09:00 Europe\/Berlin/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  {
    name: 'a low FYI before the working day joins today’s digest',
    message: { urgency: 'low' },
    now: '2024-06-04T05:00:00Z',
    medium: 'digest',
    reason: /low-urgency FYI/,
    deliverAt: '2024-06-04T07:00:00.000Z',
  },
  {
    name: 'the digest goes out in the recipient’s own timezone (New York)',
    recipient: { timezone: 'America/New_York' },
    medium: 'digest',
    reason: /digest at Tue 06-04 09:00 America\/New_York/,
    deliverAt: '2024-06-04T13:00:00.000Z',
  },
  {
    name: 'the person agent’s own digest time wins',
    recipient: { nextDigestAt: '2024-06-04T15:30:00Z' },
    medium: 'digest',
    reason: /digest at Tue 06-04 17:30 Europe\/Berlin/,
    deliverAt: '2024-06-04T15:30:00.000Z',
  },
  // ---- urgency and deadlines
  {
    name: 'a high-urgency FYI goes out fast',
    message: { urgency: 'high' },
    medium: 'chat_dm',
    reason: /this FYI is high urgency/,
  },
  {
    name: 'an FYI due in 3 hours goes out fast',
    message: { deadline: '2024-06-04T11:00:00Z' },
    medium: 'chat_dm',
    reason: /deadline of this FYI is in 3 hours/,
  },
  {
    name: 'an FYI due before the next digest (over the weekend) goes out fast',
    message: { deadline: '2024-06-09T12:00:00Z' },
    now: '2024-06-07T08:00:00Z',
    medium: 'chat_dm',
    reason: /deadline of this FYI comes before Alice's next digest/,
  },
  {
    name: 'an FYI due next week waits for the digest',
    message: { deadline: '2024-06-12T12:00:00Z' },
    medium: 'digest',
    reason: /can wait for the digest/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  // ---- questions, length, audience
  {
    name: 'a short question is a chat message',
    message: { kind: 'question' },
    medium: 'chat_dm',
    reason: /this question waits for an answer/,
  },
  {
    name: 'a long question is an email',
    message: { kind: 'question', words: 300 },
    medium: 'email',
    reason: /at 300 words reads better as an email/,
  },
  {
    name: 'a low-urgency question is an email',
    message: { kind: 'question', urgency: 'low' },
    medium: 'email',
    reason: /this question waits for an answer/,
  },
  {
    name: 'a question to 12 people is one channel post',
    message: { kind: 'question', audienceSize: 12 },
    medium: 'chat_channel',
    reason: /audience of 12 people \(above 8\) gets one channel post/,
  },
  {
    name: 'an FYI to 12 people goes to the digest',
    message: { audienceSize: 12 },
    medium: 'digest',
    reason: /audience of 12 people \(above 8\) hears of a normal-urgency FYI in the digest/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  {
    name: 'a critical FYI to 30 people is a channel post',
    message: { urgency: 'critical', audienceSize: 30 },
    medium: 'chat_channel',
    reason: /audience of 30 people .* as this FYI is critical urgency/,
  },
  // ---- reachability, preferences, history
  {
    name: 'without chat, a question is an email',
    message: { kind: 'question' },
    recipient: { reachable: { chat: false, email: true, calendar: false } },
    medium: 'email',
    reason: /Alice cannot be reached by a chat message/,
  },
  {
    name: 'reachable by nothing fast, a question joins the digest',
    message: { kind: 'question' },
    recipient: { reachable: { chat: false, email: false, calendar: false } },
    medium: 'digest',
    reason: /the digest is the way left to reach Alice/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  {
    name: 'a stated preference for email is honoured',
    message: { kind: 'question' },
    recipient: { preferences: { preferred: ['email'] } },
    medium: 'email',
    reason: /Alice prefers emails/,
  },
  {
    name: 'a stated avoidance of chat is honoured',
    message: { kind: 'question' },
    recipient: { preferences: { avoided: ['chat_dm'] } },
    medium: 'email',
    reason: /Alice avoids chat messages/,
  },
  {
    name: 'critical urgency overrides a preference for email',
    message: { kind: 'blocker', urgency: 'critical' },
    recipient: { preferences: { preferred: ['email'] } },
    medium: 'chat_dm',
    reason: /Alice prefers emails, but critical urgency overrides that/,
  },
  {
    name: 'someone who answers email and ignores chat gets an email',
    message: { kind: 'question' },
    recipient: { history: { chat_dm: { sent: 8, answered: 1, medianResponseMinutes: 600 }, email: { sent: 10, answered: 9, medianResponseMinutes: 20 } } },
    medium: 'email',
    reason: /Alice answered 9 of 10 emails \(median 20 minutes\) but 1 of 8 chat messages/,
  },
  {
    name: 'a history too small to mean anything changes nothing',
    message: { kind: 'question' },
    recipient: { history: { chat_dm: { sent: 2, answered: 0 }, email: { sent: 2, answered: 2, medianResponseMinutes: 5 } } },
    medium: 'chat_dm',
    reason: /this question waits for an answer\.$/,
  },
  // ---- attention and time
  {
    name: 'an exhausted attention budget turns a chat message into an email',
    message: { kind: 'question' },
    recipient: { attention: { usedToday: 5, budget: 5 } },
    medium: 'email',
    reason: /Alice has used 5 of 5 interruptions today, so an email instead of a chat message/,
  },
  {
    name: 'a critical message goes through an exhausted attention budget',
    message: { kind: 'blocker', urgency: 'critical' },
    recipient: { attention: { usedToday: 5, budget: 5 } },
    medium: 'chat_dm',
    reason: /5 of 5 interruptions today, but critical urgency goes through/,
  },
  {
    name: 'a question in the evening waits for the next working morning',
    message: { kind: 'question' },
    now: '2024-06-04T20:00:00Z',
    medium: 'chat_dm',
    reason: /waits until Wed 06-05 09:00 Europe\/Berlin, the start of Alice's working hours/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
  {
    name: 'a question on Saturday waits for Monday',
    message: { kind: 'question' },
    now: '2024-06-08T10:00:00Z',
    medium: 'chat_dm',
    reason: /waits until Mon 06-10 09:00 Europe\/Berlin/,
    deliverAt: '2024-06-10T07:00:00.000Z',
  },
  {
    name: 'quiet hours inside the working day hold a message back',
    message: { kind: 'question' },
    recipient: { quietHours: { start: '09:30', end: '11:00' } },
    medium: 'chat_dm',
    reason: /waits until Tue 06-04 11:00 Europe\/Berlin, the end of Alice's quiet hours/,
    deliverAt: '2024-06-04T09:00:00.000Z',
  },
  {
    name: 'do-not-disturb holds a message back',
    message: { kind: 'question' },
    recipient: { doNotDisturbUntil: '2024-06-04T10:00:00Z' },
    medium: 'chat_dm',
    reason: /the end of Alice's do-not-disturb/,
    deliverAt: '2024-06-04T10:00:00.000Z',
  },
  {
    name: 'a critical outage interrupts outside working hours',
    message: { kind: 'blocker', urgency: 'critical' },
    now: '2024-06-04T21:00:00Z',
    medium: 'chat_dm',
    reason: /it is critical, so it interrupts Alice outside working hours/,
  },
  {
    name: 'even critical waits for do-not-disturb by default',
    message: { kind: 'blocker', urgency: 'critical' },
    recipient: { doNotDisturbUntil: '2024-06-04T09:30:00Z' },
    medium: 'chat_dm',
    reason: /even critical, it waits for Alice's do-not-disturb to end at Tue 06-04 11:30/,
    deliverAt: '2024-06-04T09:30:00.000Z',
  },
  {
    name: 'an email outside working hours waits as well',
    message: { kind: 'question', words: 400 },
    now: '2024-06-04T18:00:00Z',
    medium: 'email',
    reason: /waits until Wed 06-05 09:00/,
    deliverAt: '2024-06-05T07:00:00.000Z',
  },
];

function run(row: Row, config: MediumsConfig = mediumsConfig): MediumChoice {
  const input: MediumPolicyInput = { message: message(row.message), recipient: alice(row.recipient), now: row.now ?? NOW, ...(row.call ? { call: row.call } : {}) };
  return chooseMedium(input, config);
}

describe('chooseMedium', () => {
  it('has a table of at least 30 cases covering every medium', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((r) => r.medium))).toEqual(new Set(Medium.options));
  });

  it.each(rows)('$name → $medium', (row) => {
    const choice = run(row);
    expect(choice.medium, choice.reason).toBe(row.medium);
    expect(choice.channel).toBe(CHANNEL_OF[row.medium]);
    expect(choice.reason).toMatch(row.reason);
    // one sentence: a capital first, one full stop, at the end
    expect(choice.reason).toMatch(/^[A-Z][^]*\.$/);
    expect(choice.reason.slice(0, -1)).not.toMatch(/\.(\s|$)/);
    expect(choice.deliverAt?.toISOString()).toBe(row.deliverAt);
    if (row.medium === 'call') expect(choice.slot).toBeDefined();
    else expect(choice.slot).toBeUndefined();
    if (row.slotStart) expect(choice.slot?.start.toISOString()).toBe(row.slotStart);
    // the output is the schema's type: it survives a round trip through zod (workflow history is JSON)
    expect(MediumChoice.parse(JSON.parse(JSON.stringify(choice)))).toEqual(choice);
  });

  it('is deterministic: the same input gives the same choice', () => {
    for (const row of rows) expect(run(row)).toEqual(run(row));
  });

  it('a meeting that should have been a thread is never a call, whatever the attendees', () => {
    for (const attendees of [3, 9, 40]) {
      const choice = run({ name: '', message: { audienceSize: attendees, meeting: { attendees, decisionsToTake: 0, oneWayUpdates: true } }, medium: 'chat_channel', reason: /./ });
      expect(choice.medium).not.toBe('call');
      expect(['chat_channel', 'digest']).toContain(choice.medium);
    }
  });
});

describe('spendsAttention', () => {
  it('counts chat messages against the budget, not the digest or email, as configured', () => {
    expect(spendsAttention('chat_dm')).toBe(true);
    expect(spendsAttention('digest')).toBe(false);
    expect(spendsAttention('email')).toBe(false);
    expect(spendsAttention('email', { ...mediumsConfig, attention: { ...mediumsConfig.attention, interrupting: ['email'] } })).toBe(true);
  });
});

describe('the configuration changes the outcome', () => {
  const tweak = (over: Partial<MediumsConfig>): MediumsConfig => ({ ...mediumsConfig, ...over });

  it('a lower broadcast threshold turns a question to 5 people into a channel post', () => {
    const row: Row = { name: '', message: { kind: 'question', audienceSize: 5 }, medium: 'chat_dm', reason: /./ };
    expect(run(row).medium).toBe('chat_dm');
    const choice = run(row, tweak({ audience: { channelPostAbove: 3 } }));
    expect(choice.medium).toBe('chat_channel');
    expect(choice.reason).toMatch(/audience of 5 people \(above 3\)/);
  });

  it('a team that keeps calls to two people sends the 3-person blocker as a message', () => {
    const row: Row = { name: '', message: { kind: 'blocker', audienceSize: 3, needsDiscussion: true }, call: trio(), medium: 'call', reason: /./ };
    expect(run(row).medium).toBe('call');
    expect(run(row, tweak({ call: { ...mediumsConfig.call, maxParticipants: 2 } })).medium).toBe('chat_dm');
  });

  it('a team that keeps decision records in email', () => {
    const choice = run({ name: '', message: { kind: 'decision_record' }, medium: 'email', reason: /./ }, tweak({ decisionRecord: 'email' }));
    expect(choice.medium).toBe('email');
    expect(choice.reason).toMatch(/kept as an email/);
  });

  it('critical messages can be allowed through do-not-disturb', () => {
    const row: Row = { name: '', message: { kind: 'blocker', urgency: 'critical' }, recipient: { doNotDisturbUntil: '2024-06-04T09:30:00Z' }, medium: 'chat_dm', reason: /./ };
    expect(run(row).deliverAt).toBeDefined();
    const choice = run(row, tweak({ timing: { ...mediumsConfig.timing, criticalBreaksDoNotDisturb: true } }));
    expect(choice.deliverAt).toBeUndefined();
    expect(choice.reason).toMatch(/breaks Alice's do-not-disturb/);
  });

  it('critical messages can be made to wait for working hours', () => {
    const row: Row = { name: '', message: { kind: 'blocker', urgency: 'critical' }, now: '2024-06-04T21:00:00Z', medium: 'chat_dm', reason: /./ };
    expect(run(row).deliverAt).toBeUndefined();
    expect(run(row, tweak({ timing: { ...mediumsConfig.timing, criticalInterruptsAfterHours: false } })).deliverAt?.toISOString()).toBe('2024-06-05T07:00:00.000Z');
  });

  it('history weighs only past the configured margin', () => {
    const row: Row = {
      name: '',
      message: { kind: 'question' },
      recipient: { history: { chat_dm: { sent: 10, answered: 6 }, email: { sent: 10, answered: 8 } } },
      medium: 'email',
      reason: /./,
    };
    expect(run(row).medium).toBe('email');
    expect(run(row, tweak({ history: { ...mediumsConfig.history, margin: 0.5 } })).medium).toBe('chat_dm');
  });
});
