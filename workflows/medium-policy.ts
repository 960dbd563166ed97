/**
 * Medium selection: which medium one message deserves for one recipient, and when it should reach them. Plain,
 * deterministic functions over the rules and weights of config/mediums.ts — workflows (Temporal's sandbox: `now` is an
 * input, no clock is read) and activities both call them.
 *
 * The choice is made in steps, each of which can only narrow or reorder an explicit list of candidate mediums, so the
 * outcome can always be told in one sentence:
 *   1. the first matching rule gives the candidates and the main reason (a meeting that is one-way updates → a
 *      channel thread; a decision record → a doc; a blocker that needs discussion among few → a call; a big audience →
 *      a channel post or the digest; urgent or awaiting an answer → chat or email; else the digest);
 *   2. mediums the person cannot be reached on drop out; stated avoidances drop out and stated preferences move
 *      first, unless the urgency overrides them;
 *   3. a call needs a slot free for everyone inside all their working hours, soon enough to beat a message;
 *   4. between fast mediums, how the person answered before decides (when the history is large and clear enough);
 *   5. an interrupting medium becomes a quieter one when the person's attention budget for the day is spent;
 *   6. outside working hours, in quiet hours or under do-not-disturb, the delivery waits (critical may interrupt).
 */
import { mediumsConfig, type MediumsConfig } from '../config/mediums';
import { CHANNEL_OF, type Medium, type MediumChoice, type MessageKind, type Urgency } from '../schemas/routing';
import {
  addWorkingDays,
  isoWeekday,
  isWorkingTime,
  localDateTime,
  resumeAt,
  zonedTimeToInstant,
  type Instant,
  type IsoWeekday,
  type WorkingCalendar,
} from './cadence';
import { firstCommonSlot, type Slot, type SlotParticipant } from './call-slot';

export type Complexity = 'low' | 'medium' | 'high';

/** A conversation the message belongs to: a long back-and-forth between few people is a call waiting to happen. */
export interface ThreadFacts {
  replies: number;
  /** distinct people who wrote in it */
  participants: number;
  /** from its first to its last message */
  hoursSpanned: number;
}

/** When the thing judged is a meeting (should it be one?). */
export interface MeetingFacts {
  attendees: number;
  decisionsToTake: number;
  /** the agenda reads as one-way updates (status, FYI, demo, readout) rather than a discussion */
  oneWayUpdates: boolean;
  /** when it is booked: the call slot it keeps */
  scheduled?: { start: Instant; end: Instant };
}

/** What the policy needs to know about the message (activities/intelligence/routing/traits.ts derives it from text). */
export interface MessageTraits {
  kind: MessageKind;
  urgency: Urgency;
  deadline?: Instant;
  /** how many people the message goes to in all */
  audienceSize: number;
  words: number;
  complexity: Complexity;
  needsDiscussion: boolean;
  /** false when what it is about cannot be undone (a migration, a deletion) */
  reversible: boolean;
  thread?: ThreadFacts;
  meeting?: MeetingFacts;
}

export interface MediumHistory {
  sent: number;
  answered: number;
  medianResponseMinutes?: number;
}

export interface RecipientContext {
  personId: string;
  /** how the person is named in the reason; defaults to personId */
  name?: string;
  timezone: string;
  workingHours: { start: string; end: string };
  /** default Monday–Friday */
  workingDays?: readonly IsoWeekday[];
  /** local "HH:MM"; may run past midnight (22:00–07:00) */
  quietHours?: { start: string; end: string };
  doNotDisturbUntil?: Instant;
  preferences?: { preferred?: readonly Medium[]; avoided?: readonly Medium[] };
  /** how the person responded to each medium before */
  history?: Partial<Record<Medium, MediumHistory>>;
  /** interruptions already spent today against the person's daily budget */
  attention?: { usedToday: number; budget: number };
  reachable: { chat: boolean; email: boolean; calendar: boolean };
  /** when the person's next digest goes out; default: the start of their next working day */
  nextDigestAt?: Instant;
}

/** Everyone who would be on the call (the recipient included), with their calendars. */
export interface CallContext {
  participants: readonly SlotParticipant[];
  durationMinutes?: number;
}

export interface MediumPolicyInput {
  message: MessageTraits;
  recipient: RecipientContext;
  call?: CallContext;
  now: Instant;
}

const HOUR_MS = 3_600_000;
const URGENCY_RANK: Record<Urgency, number> = { low: 0, normal: 1, high: 2, critical: 3 };
const KIND_LABEL: Record<MessageKind, string> = {
  fyi: 'FYI',
  decision_needed: 'decision request',
  question: 'question',
  blocker: 'blocker',
  decision_record: 'decision record',
};
const MEDIUM_LABEL: Record<Medium, string> = {
  digest: 'the digest',
  doc: 'a doc',
  chat_dm: 'a chat message',
  chat_channel: 'a channel post',
  email: 'an email',
  call: 'a call',
};

const MEDIUM_PLURAL: Record<Medium, string> = {
  digest: 'digests',
  doc: 'docs',
  chat_dm: 'chat messages',
  chat_channel: 'channel posts',
  email: 'emails',
  call: 'calls',
};

const atLeast = (u: Urgency, threshold: Urgency) => URGENCY_RANK[u] >= URGENCY_RANK[threshold];
const ms = (t: Instant) => new Date(t).getTime();
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface RuleOutcome {
  rule: string;
  /** acceptable mediums, best first */
  candidates: Medium[];
  /** the main clause of the reason: "a blocker that needs discussion among 3 people gets a call" */
  because: string;
  /** a call whose slot is already known (a booked meeting) */
  slot?: Slot;
}

/** Which medium this message deserves for this recipient, when it should arrive, and why (one sentence). */
export function chooseMedium(input: MediumPolicyInput, config: MediumsConfig = mediumsConfig): MediumChoice {
  const { message, recipient } = input;
  const now = ms(input.now);
  const calendar = calendarOf(recipient);
  const name = recipient.name ?? recipient.personId;
  const digestAt = recipient.nextDigestAt !== undefined ? ms(recipient.nextDigestAt) : nextDigest(now, calendar);
  const notes: string[] = [];

  const outcome = firstRule(message, now, digestAt, name, config);
  let candidates = [...outcome.candidates];
  const overriding = atLeast(message.urgency, config.preferences.urgencyOverridesPreferencesAt);

  // 2. reachability, then stated preferences
  const unreachable = candidates.filter((m) => !reachable(m, recipient));
  if (unreachable.includes(outcome.candidates[0]!)) notes.push(`${name} cannot be reached by ${MEDIUM_LABEL[outcome.candidates[0]!]}`);
  candidates = candidates.filter((m) => reachable(m, recipient));

  const avoided = new Set(recipient.preferences?.avoided ?? []);
  const avoidedPrimary = candidates[0] !== undefined && avoided.has(candidates[0]) ? candidates[0] : undefined;
  if (avoidedPrimary && overriding) {
    notes.push(`${name} avoids ${MEDIUM_PLURAL[avoidedPrimary]}, but ${message.urgency} urgency overrides that`);
  } else {
    if (avoidedPrimary) notes.push(`${name} avoids ${MEDIUM_PLURAL[avoidedPrimary]}`);
    candidates = candidates.filter((m) => !avoided.has(m));
  }
  let decidedByPreference = false;
  const preferred = (recipient.preferences?.preferred ?? []).find(
    (m) => m !== 'call' && reachable(m, recipient) && !avoided.has(m) && candidates[0] !== undefined &&
      (candidates.includes(m) || CHANNEL_OF[m] === CHANNEL_OF[candidates[0]]),
  );
  if (preferred !== undefined && preferred !== candidates[0]) {
    if (overriding) {
      notes.push(`${name} prefers ${MEDIUM_PLURAL[preferred]}, but ${message.urgency} urgency overrides that`);
    } else {
      candidates = [preferred, ...candidates.filter((m) => m !== preferred)];
      notes.push(`${name} prefers ${MEDIUM_PLURAL[preferred]}`);
      decidedByPreference = true;
    }
  } else if (preferred !== undefined) {
    decidedByPreference = true;
  }

  // 3. a call needs a common slot, soon enough
  let slot: Slot | undefined;
  if (candidates[0] === 'call') {
    const found = callSlot(input, outcome, now, config);
    if (found.slot) slot = found.slot;
    else {
      notes.push(found.why);
      candidates = candidates.filter((m) => m !== 'call');
    }
  }

  // 4. response history between fast mediums
  if (!decidedByPreference && candidates[0] !== undefined && CHANNEL_OF[candidates[0]] === 'fast') {
    const switched = byHistory(candidates, recipient, name, config);
    if (switched) {
      candidates = [switched.medium, ...candidates.filter((m) => m !== switched.medium)];
      notes.push(switched.why);
    }
  }

  let medium: Medium = candidates[0] ?? fallback(recipient, config);
  if (candidates.length === 0) notes.push(`${MEDIUM_LABEL[medium]} is the way left to reach ${name}`);

  // 5. the attention budget
  const attention = recipient.attention;
  if (attention && config.attention.interrupting.includes(medium) && attention.usedToday >= attention.budget) {
    if (atLeast(message.urgency, config.attention.overriddenAt)) {
      notes.push(`${name} has used ${attention.usedToday} of ${attention.budget} interruptions today, but ${message.urgency} urgency goes through`);
    } else {
      const quieter = reachable(config.attention.whenSpent, recipient) ? config.attention.whenSpent : 'digest';
      notes.push(`${name} has used ${attention.usedToday} of ${attention.budget} interruptions today, so ${MEDIUM_LABEL[quieter]} instead of ${MEDIUM_LABEL[medium]}`);
      medium = quieter;
    }
  }

  // 6. when it arrives
  let deliverAt: Date | undefined;
  if (medium === 'digest') {
    deliverAt = new Date(digestAt);
    notes.push(`it goes out with ${name}'s digest at ${localLabel(digestAt, recipient.timezone)}`);
  } else if (config.timing.waitForWorkingHours.includes(medium)) {
    const wait = deliveryTime(recipient, calendar, name, now, message.urgency, config);
    if (wait.note) notes.push(wait.note);
    if (wait.at !== undefined) deliverAt = new Date(wait.at);
  }

  const lead = medium === 'call' && slot
    ? `A ${Math.round((slot.end.getTime() - slot.start.getTime()) / 60_000)}-minute call at ${localLabel(slot.start.getTime(), recipient.timezone)}${outcome.slot ? '' : ', the first slot free for everyone inside their working hours,'}`
    : capitalize(MEDIUM_LABEL[medium]);
  const reason = `${lead} because ${outcome.because}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`;
  return {
    medium,
    channel: CHANNEL_OF[medium],
    reason,
    ...(medium === 'call' && slot ? { slot: { start: slot.start, end: slot.end } } : {}),
    ...(deliverAt ? { deliverAt } : {}),
  };
}

/** Whether delivering through this medium spends one of the person's daily interruptions (for the person agent's budget). */
export function spendsAttention(medium: Medium, config: MediumsConfig = mediumsConfig): boolean {
  return config.attention.interrupting.includes(medium);
}

// ---- 1. the rules

function firstRule(m: MessageTraits, now: number, digestAt: number, name: string, config: MediumsConfig): RuleOutcome {
  const kind = KIND_LABEL[m.kind];
  const fast = fastOrder(m, config);

  if (m.meeting) {
    const mt = m.meeting;
    if (mt.decisionsToTake === 0 && mt.oneWayUpdates) {
      const facts = `a meeting of ${plural(mt.attendees, 'attendee')} with one-way updates and no decision to take`;
      return mt.attendees >= config.meeting.threadMinAttendees
        ? { rule: 'meeting-as-thread', candidates: ['chat_channel', 'digest', 'email'], because: `${facts} should have been a thread` }
        : { rule: 'meeting-as-digest', candidates: ['digest', 'email'], because: `${facts} should have been a digest entry` };
    }
    const why = mt.decisionsToTake > 0
      ? `the meeting has ${plural(mt.decisionsToTake, 'decision')} to take, so it stays a call`
      : 'the meeting is a discussion rather than one-way updates, so it stays a call';
    const slot = mt.scheduled ? { start: new Date(mt.scheduled.start), end: new Date(mt.scheduled.end) } : undefined;
    return { rule: 'meeting-stays', candidates: ['call', ...fast], because: why, ...(slot ? { slot } : {}) };
  }

  if (m.kind === 'decision_record') {
    return { rule: 'decision-record', candidates: [config.decisionRecord, 'digest'], because: `a decision record is kept as ${MEDIUM_LABEL[config.decisionRecord]} for the record` };
  }

  const call = config.call;
  if (m.audienceSize <= call.maxParticipants && call.kinds.includes(m.kind)) {
    const among = `among ${plural(m.audienceSize, 'person', 'people')}`;
    const t = m.thread;
    if (t && t.replies >= call.thread.minReplies && t.participants <= call.thread.maxParticipants && t.hoursSpanned >= call.thread.minHoursSpanned) {
      return {
        rule: 'thread-to-call',
        candidates: ['call', ...fast],
        because: `${t.replies} replies between ${plural(t.participants, 'person', 'people')} over ${span(t.hoursSpanned)} on a ${kind} is a thread that should have been a ${call.durationMinutes}-minute call`,
      };
    }
    if (call.blockerNeedingDiscussion && m.kind === 'blocker' && m.needsDiscussion) {
      return { rule: 'blocker-call', candidates: ['call', ...fast], because: `a blocker that needs discussion ${among} is quickest settled on a call` };
    }
    if (call.irreversibleDecision && m.kind === 'decision_needed' && m.needsDiscussion && !m.reversible) {
      return { rule: 'irreversible-call', candidates: ['call', ...fast], because: `a decision that cannot be undone and needs discussion ${among} deserves a call` };
    }
    if (call.complexDiscussion && m.complexity === 'high' && m.needsDiscussion) {
      return { rule: 'complex-call', candidates: ['call', ...fast], because: `a complex ${kind} that needs discussion ${among} is quicker talked through on a call` };
    }
  }

  const urgent = urgencyFact(m, now, digestAt, name, config);
  const needsAnswer = config.fast.kindsNeedingAnswer.includes(m.kind);
  if (m.audienceSize > config.audience.channelPostAbove) {
    const audience = `an audience of ${m.audienceSize} people (above ${config.audience.channelPostAbove})`;
    if (urgent || needsAnswer) {
      return { rule: 'broadcast', candidates: ['chat_channel', 'email'], because: `${audience} gets one channel post rather than ${m.audienceSize} direct messages, as ${urgent ?? `this ${kind} waits for an answer`}` };
    }
    return { rule: 'broadcast-digest', candidates: ['digest', 'chat_channel'], because: `${audience} hears of a ${m.urgency}-urgency ${kind} in the digest` };
  }
  if (urgent) return { rule: 'urgent', candidates: fast, because: urgent };
  if (needsAnswer) return { rule: 'needs-answer', candidates: fast, because: `this ${kind} waits for an answer${m.words > config.length.chatMaxWords ? ` and at ${m.words} words reads better as an email` : ''}` };
  if (m.words > config.length.docAboveWords) {
    return { rule: 'long-fyi', candidates: ['doc', 'digest'], because: `an FYI of ${m.words} words (above ${config.length.docAboveWords}) is better read as a doc` };
  }
  return { rule: 'fyi', candidates: ['digest', 'email'], because: `a ${m.urgency}-urgency FYI can wait for the digest` };
}

/** The fast mediums in the order this message suits them: long or low-urgency text reads better as an email. */
function fastOrder(m: MessageTraits, config: MediumsConfig): Medium[] {
  const emailFirst = m.words > config.length.chatMaxWords || m.urgency === 'low';
  return emailFirst ? ['email', 'chat_dm'] : ['chat_dm', 'email'];
}

function urgencyFact(m: MessageTraits, now: number, digestAt: number, name: string, config: MediumsConfig): string | undefined {
  const kind = KIND_LABEL[m.kind];
  if (config.fast.urgencies.includes(m.urgency)) return `this ${kind} is ${m.urgency} urgency`;
  if (m.deadline === undefined) return undefined;
  const left = ms(m.deadline) - now;
  if (left <= 0) return `the deadline of this ${kind} has passed`;
  if (left <= config.fast.deadlineWithinHours * HOUR_MS) return `the deadline of this ${kind} is in ${span(left / HOUR_MS)}`;
  if (ms(m.deadline) < digestAt) return `the deadline of this ${kind} comes before ${name}'s next digest`;
  return undefined;
}

function span(hours: number): string {
  if (hours >= 48) return plural(Math.round(hours / 24), 'day');
  if (hours >= 1) return plural(Math.round(hours), 'hour');
  return plural(Math.max(1, Math.round(hours * 60)), 'minute');
}

// ---- 2.–5. the narrowing steps

function reachable(m: Medium, r: RecipientContext): boolean {
  switch (m) {
    case 'chat_dm':
    case 'chat_channel':
      return r.reachable.chat;
    case 'email':
      return r.reachable.email;
    case 'call':
      return r.reachable.calendar;
    case 'digest':
    case 'doc':
      return true;
  }
}

function fallback(r: RecipientContext, config: MediumsConfig): Medium {
  return config.tieBreak.find((m) => m !== 'call' && CHANNEL_OF[m] === 'fast' && reachable(m, r)) ?? 'digest';
}

function callSlot(input: MediumPolicyInput, outcome: RuleOutcome, now: number, config: MediumsConfig): { slot: Slot; why?: undefined } | { slot?: undefined; why: string } {
  if (outcome.slot) return { slot: outcome.slot };
  const participants = input.call?.participants ?? [];
  if (participants.length === 0) return { why: 'no call, since there are no calendars to find a slot in' };
  const found = firstCommonSlot({
    participants,
    from: now,
    durationMinutes: input.call?.durationMinutes ?? config.call.durationMinutes,
    horizonDays: config.call.horizonDays,
    stepMinutes: config.call.stepMinutes,
  });
  if (!found.slot) return { why: `no call, since ${found.reason}` };
  const maxWait = config.call.maxWaitHours[input.message.urgency];
  if (found.slot.start.getTime() - now > maxWait * HOUR_MS) {
    return { why: `no call, since the first slot free for everyone (${localLabel(found.slot.start.getTime(), input.recipient.timezone)}) is more than ${plural(maxWait, 'hour')} away` };
  }
  return { slot: found.slot };
}

function historyScore(h: MediumHistory, config: MediumsConfig): number {
  const answerRate = h.sent > 0 ? h.answered / h.sent : 0;
  const half = config.history.speedHalfLifeMinutes;
  const speed = h.medianResponseMinutes === undefined ? 0 : half / (half + Math.max(0, h.medianResponseMinutes));
  return config.history.answerRateWeight * answerRate + config.history.speedWeight * speed;
}

function describeHistory(medium: Medium, h: MediumHistory): string {
  const median = h.medianResponseMinutes === undefined ? '' : ` (median ${Math.round(h.medianResponseMinutes)} minutes)`;
  return `${h.answered} of ${h.sent} ${MEDIUM_PLURAL[medium]}${median}`;
}

/** The fast medium the person demonstrably answers better, when history clearly beats the default order. */
function byHistory(candidates: Medium[], r: RecipientContext, name: string, config: MediumsConfig): { medium: Medium; why: string } | undefined {
  const primary = candidates[0]!;
  const history = r.history ?? {};
  const known = (m: Medium) => {
    const h = history[m];
    return h && h.sent >= config.history.minSent ? h : undefined;
  };
  const base = known(primary);
  if (!base) return undefined;
  const baseScore = historyScore(base, config);
  let best: { medium: Medium; score: number; h: MediumHistory } | undefined;
  for (const m of candidates.slice(1)) {
    const h = known(m);
    if (!h || CHANNEL_OF[m] !== 'fast') continue;
    const score = historyScore(h, config);
    // ties keep the earlier candidate: the rule's own order is the tie-break
    if (score >= baseScore + config.history.margin && (!best || score > best.score)) best = { medium: m, score, h };
  }
  if (!best) return undefined;
  return { medium: best.medium, why: `${name} answered ${describeHistory(best.medium, best.h)} but ${describeHistory(primary, base)}` };
}

// ---- 6. timing

function calendarOf(r: RecipientContext): WorkingCalendar {
  return { timezone: r.timezone, workingHours: r.workingHours, workingDays: r.workingDays };
}

/** The start of the person's next working day (the digest goes out then), or today's start when it is still ahead. */
function nextDigest(now: number, calendar: WorkingCalendar): number {
  return (isWorkingTime(now, calendar) ? addWorkingDays(now, 1, calendar) : resumeAt(now, calendar)).getTime();
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function inQuietHours(t: number, quiet: { start: string; end: string } | undefined, timezone: string): boolean {
  if (!quiet) return false;
  const l = localDateTime(t, timezone);
  const minute = l.hour * 60 + l.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** The first instant after t at which the quiet hours that t is in end. */
function quietHoursEnd(t: number, quiet: { start: string; end: string }, timezone: string): number {
  const l = localDateTime(t, timezone);
  const end = minutesOf(quiet.end);
  for (let dayOffset = 0; dayOffset <= 1; dayOffset += 1) {
    const d = new Date(Date.UTC(l.year, l.month - 1, l.day + dayOffset));
    const at = zonedTimeToInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: Math.floor(end / 60), minute: end % 60 }, timezone);
    if (at > t) return at;
  }
  return t + 24 * HOUR_MS;
}

function deliveryTime(r: RecipientContext, calendar: WorkingCalendar, name: string, now: number, urgency: Urgency, config: MediumsConfig): { at?: number; note?: string } {
  const critical = urgency === 'critical';
  const dnd = r.doNotDisturbUntil !== undefined ? ms(r.doNotDisturbUntil) : undefined;
  const underDnd = dnd !== undefined && dnd > now;
  const afterHours = !isWorkingTime(now, calendar);
  const quiet = inQuietHours(now, r.quietHours, r.timezone);

  if (critical && config.timing.criticalInterruptsAfterHours) {
    if (underDnd && !config.timing.criticalBreaksDoNotDisturb) {
      return { at: dnd, note: `even critical, it waits for ${name}'s do-not-disturb to end at ${localLabel(dnd!, r.timezone)}` };
    }
    if (underDnd) return { note: `it is critical, so it breaks ${name}'s do-not-disturb` };
    if (afterHours || quiet) return { note: `it is critical, so it interrupts ${name} ${quiet ? 'in quiet hours' : 'outside working hours'}` };
    return {};
  }
  if (critical && underDnd && config.timing.criticalBreaksDoNotDisturb && !afterHours && !quiet) {
    return { note: `it is critical, so it breaks ${name}'s do-not-disturb` };
  }

  let t = underDnd && !(critical && config.timing.criticalBreaksDoNotDisturb) ? dnd! : now;
  // working hours and quiet hours can push each other along (quiet hours ending after the working day started)
  for (let i = 0; i < 30; i += 1) {
    t = resumeAt(t, calendar).getTime();
    if (!r.quietHours || !inQuietHours(t, r.quietHours, r.timezone)) break;
    t = quietHoursEnd(t, r.quietHours, r.timezone);
  }
  if (t === now) return {};
  const cause = underDnd ? `the end of ${name}'s do-not-disturb` : !afterHours && quiet ? `the end of ${name}'s quiet hours` : `the start of ${name}'s working hours`;
  return { at: t, note: `it waits until ${localLabel(t, r.timezone)}, ${cause}` };
}

const WEEKDAY = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "Tue 10:00 Europe/Berlin": the recipient's own wall clock. */
export function localLabel(t: number, timezone: string): string {
  const l = localDateTime(t, timezone);
  const day = WEEKDAY[isoWeekday(l) - 1];
  return `${day} ${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')} ${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')} ${timezone}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
