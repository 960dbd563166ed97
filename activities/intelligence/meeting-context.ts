/**
 * Gathers what a meeting's attendees should know, on behalf of all of them at once: every read is
 * filtered to items that each recipient may see.
 */
import type { Item, Meeting } from '../../schemas/entities';
import type { MemoryStore } from '../memory/store';
import type { Evidence, MeetingContext } from './brief';
import { isActionCommitment, isDecisionStatement, questionsIn } from './cues';
import { DocumentFrequencies } from './terms';

export interface ContextLimits {
  /** how far back threads, questions, decisions and missed messages are looked for */
  lookbackDays: number;
  maxOpenDecisions: number;
  maxSeriesDecisions: number;
  maxUnanswered: number;
  maxMissed: number;
  maxRelated: number;
}

export const defaultContextLimits: ContextLimits = {
  lookbackDays: 21,
  maxOpenDecisions: 5,
  maxSeriesDecisions: 4,
  maxUnanswered: 4,
  maxMissed: 2,
  maxRelated: 5,
};

const DAY_MS = 86_400_000;
/** the rarest terms of a decision that a later message must share to count as its follow-up */
const FOLLOW_UP_TERMS = 3;
const FOLLOW_UP_MIN_SHARED = 2;

export async function gatherMeetingContext(
  store: MemoryStore,
  meeting: Meeting,
  now: Date,
  limits: ContextLimits = defaultContextLimits,
): Promise<MeetingContext> {
  const recipients = [...meeting.attendeeIds].sort();
  const visibleTo = recipients;
  const empty: MeetingContext = { meeting, recipients, seriesDecisions: [], openDecisions: [], unanswered: [], missed: [], related: [] };
  const previous = await store.previousInSeries(meeting);
  if (visibleTo.length === 0) return { ...empty, previous };

  const horizon = new Date(Math.min(now.getTime(), meeting.startsAt.getTime()));
  const lookbackStart = new Date(horizon.getTime() - limits.lookbackDays * DAY_MS);
  // Newest first; everything below reads this one permission-filtered window.
  const recent = await store.findItems({ visibleTo, since: lookbackStart, until: horizon }, 2000);
  const frequencies = DocumentFrequencies.of(recent.flatMap(textsOf));
  const threads = groupByThread(recent);
  const used = new Set<string>();

  // Decisions and commitments made in earlier meetings of this series.
  const seriesMeetingIds = new Set(
    meeting.seriesId
      ? (await store.listMeetings({ from: lookbackStart, to: meeting.startsAt }))
          .filter((m) => m.seriesId === meeting.seriesId && m.id !== meeting.id)
          .map((m) => m.id)
      : [],
  );
  const seriesTranscripts = recent
    .filter((i) => i.kind === 'transcript' && i.threadId !== undefined && seriesMeetingIds.has(i.threadId))
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());

  const openDecisions: MeetingContext['openDecisions'] = [];
  const seriesDecisions: MeetingContext['seriesDecisions'] = [];
  for (const transcript of seriesTranscripts) {
    const isLast = previous !== undefined && transcript.threadId === previous.id;
    for (const turn of transcript.segments) {
      if (!isDecisionStatement(turn.text) && !isActionCommitment(turn.text)) continue;
      const followUp = findFollowUp(turn.text, transcript, recent, frequencies);
      const evidence: Evidence = { item: transcript, position: turn.position, quote: turn.text };
      if (!followUp) {
        openDecisions.push({ evidence, madeAt: transcript.occurredAt });
      } else if (isLast) {
        seriesDecisions.push({ evidence, followUp: { item: followUp, quote: followUp.body } });
      }
    }
  }
  // The most recent open ones matter most; keep the brief short.
  openDecisions.splice(0, Math.max(0, openDecisions.length - limits.maxOpenDecisions));
  seriesDecisions.splice(limits.maxSeriesDecisions);
  for (const d of [...openDecisions, ...seriesDecisions]) used.add(`${d.evidence.item.id}#${d.evidence.position}`);

  // Questions addressed to an attendee that the addressee never answered in the thread.
  const unanswered: MeetingContext['unanswered'] = [];
  for (const item of recent) {
    if (unanswered.length >= limits.maxUnanswered) break;
    if (item.kind !== 'message' && item.kind !== 'email') continue;
    const askedOf = item.recipients.filter((p) => p !== item.authorId && recipients.includes(p));
    if (askedOf.length === 0) continue;
    const [question] = questionsIn(item.body);
    if (!question) continue;
    const later = (threads.get(threadKey(item)) ?? []).filter((other) => other.occurredAt > item.occurredAt);
    if (later.some((reply) => reply.authorId !== null && askedOf.includes(reply.authorId))) continue;
    unanswered.push({ evidence: { item, quote: question }, askedOf });
    used.add(`${item.id}#`);
  }

  // What is relevant to the meeting's subject: messages nobody answered first, then related threads.
  const topic = [meeting.title, meeting.description].join('\n');
  const hits = await store.searchHybrid(topic, { visibleTo, kinds: ['message', 'email', 'doc'], since: lookbackStart, until: horizon }, 40);
  const hitItems = new Map((await store.getItems([...new Set(hits.map((h) => h.itemId))])).map((i) => [i.id, i]));
  const missed: Evidence[] = [];
  const related: Evidence[] = [];
  const threadsSeen = new Set([...used].map((key) => key.split('#')[0]));
  for (const hit of hits) {
    const item = hitItems.get(hit.itemId);
    if (!item) continue;
    const key = threadKey(item);
    if (threadsSeen.has(key) || threadsSeen.has(item.id)) continue;
    threadsSeen.add(key);
    const segment = item.segments.find((s) => s.position === hit.position);
    const evidence: Evidence = { item, position: segment ? hit.position : undefined, quote: segment?.text ?? item.body };
    const conversation = threads.get(key) ?? [item];
    const nobodyElseReplied = conversation.every((other) => other.authorId === item.authorId);
    if (nobodyElseReplied && isWorthReading(item) && missed.length < limits.maxMissed) missed.push(evidence);
    else if (related.length < limits.maxRelated) related.push(evidence);
  }

  return { meeting, recipients, previous, seriesDecisions, openDecisions, unanswered, missed, related };
}

/**
 * Evidence of follow-up: a later message, email or meeting turn (outside the meeting that made the
 * decision) that shares the decision's rarest terms. Rarity is measured over the same window, so
 * words every message uses ("release", "sync") cannot count as follow-up.
 */
function findFollowUp(statement: string, source: Item, recent: Item[], frequencies: DocumentFrequencies): Item | undefined {
  const key = frequencies.rarestTerms(statement, FOLLOW_UP_TERMS);
  if (key.length === 0) return undefined;
  const needed = Math.min(FOLLOW_UP_MIN_SHARED, key.length);
  return recent.find(
    (item) =>
      item.id !== source.id &&
      item.occurredAt > source.occurredAt &&
      textsOf(item).some((text) => frequencies.sharedTerms(text, key) >= needed),
  );
}

function textsOf(item: Item): string[] {
  return item.segments.length > 0 ? item.segments.map((s) => s.text) : [`${item.title ?? ''}\n${item.body}`];
}

function threadKey(item: Item): string {
  return item.threadId ?? item.id;
}

function groupByThread(items: Item[]): Map<string, Item[]> {
  const threads = new Map<string, Item[]>();
  for (const item of items) {
    const key = threadKey(item);
    threads.set(key, [...(threads.get(key) ?? []), item]);
  }
  return threads;
}

/** a one-liner like "thanks!" is not "the message everyone missed" */
function isWorthReading(item: Item): boolean {
  return item.body.split(/\s+/).filter(Boolean).length >= 12;
}
