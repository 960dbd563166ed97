/**
 * Gathers what a meeting's attendees should know, on behalf of all of them at once: every read is
 * filtered to items that each recipient may see.
 */
import type { Item, Meeting, PersonId } from '../../schemas/entities';
import type { MemoryStore } from '../memory/store';
import type { Evidence, MeetingContext } from './brief';
import { isActionCommitment, isDecisionStatement, questionsIn } from './cues';

export interface ContextLimits {
  /** how far back threads, questions and missed messages are looked for */
  lookbackDays: number;
  maxSeriesDecisions: number;
  maxUnanswered: number;
  maxMissed: number;
  maxRelated: number;
}

export const defaultContextLimits: ContextLimits = {
  lookbackDays: 21,
  maxSeriesDecisions: 6,
  maxUnanswered: 4,
  maxMissed: 2,
  maxRelated: 5,
};

const DAY_MS = 86_400_000;

export async function gatherMeetingContext(
  store: MemoryStore,
  meeting: Meeting,
  now: Date,
  limits: ContextLimits = defaultContextLimits,
): Promise<MeetingContext> {
  const recipients = [...meeting.attendeeIds].sort();
  const visibleTo = recipients;
  const lookbackStart = new Date(Math.min(now.getTime(), meeting.startsAt.getTime()) - limits.lookbackDays * DAY_MS);
  const previous = await store.previousInSeries(meeting);
  const used = new Set<string>();

  const seriesDecisions: MeetingContext['seriesDecisions'] = [];
  if (previous && visibleTo.length > 0) {
    const transcripts = await store.findItems({ visibleTo, threadId: previous.id, kinds: ['transcript'] }, 5);
    for (const transcript of transcripts) {
      for (const turn of transcript.segments) {
        if (seriesDecisions.length >= limits.maxSeriesDecisions) break;
        if (!isDecisionStatement(turn.text) && !isActionCommitment(turn.text)) continue;
        const followedUp = await hasFollowUp(store, turn.text, visibleTo, previous.endsAt, transcript.id);
        seriesDecisions.push({ evidence: { item: transcript, position: turn.position, quote: turn.text }, followedUp });
        used.add(`${transcript.id}#${turn.position}`);
      }
    }
  }

  const recent = visibleTo.length
    ? await store.findItems({ visibleTo, kinds: ['message', 'email'], since: lookbackStart, until: now }, 500)
    : [];
  const threads = groupByThread(recent);

  const unanswered: MeetingContext['unanswered'] = [];
  for (const item of recent) {
    if (unanswered.length >= limits.maxUnanswered) break;
    const askedOf = item.recipients.filter((p) => p !== item.authorId && recipients.includes(p));
    if (askedOf.length === 0) continue;
    const [question] = questionsIn(item.body);
    if (!question) continue;
    const laterInThread = (threads.get(threadKey(item)) ?? []).filter((other) => other.occurredAt > item.occurredAt);
    const answered = laterInThread.some((reply) => reply.authorId !== null && askedOf.includes(reply.authorId));
    if (answered) continue;
    unanswered.push({ evidence: { item, quote: question }, askedOf });
    used.add(`${item.id}#`);
  }

  const topic = [meeting.title, meeting.description, previous?.title ?? ''].join('\n');
  const hits = visibleTo.length
    ? await store.searchHybrid(topic, { visibleTo, kinds: ['message', 'email', 'transcript', 'doc'], since: lookbackStart }, 40)
    : [];
  const hitItems = new Map((await store.getItems([...new Set(hits.map((h) => h.itemId))])).map((i) => [i.id, i]));

  const missed: Evidence[] = [];
  const related: Evidence[] = [];
  const threadsSeen = new Set<string>();
  for (const hit of hits) {
    const item = hitItems.get(hit.itemId);
    if (!item || item.id === meeting.itemId) continue;
    if (previous && item.threadId === previous.id && item.kind === 'transcript') continue;
    const key = threadKey(item);
    if (threadsSeen.has(key)) continue;
    if (used.has(`${item.id}#`) || used.has(`${item.id}#${hit.position}`)) continue;
    threadsSeen.add(key);
    const quote = item.segments.find((s) => s.position === hit.position)?.text ?? item.body;
    const evidence: Evidence = { item, position: item.segments.length > 0 ? hit.position : undefined, quote };

    const conversation = threads.get(key) ?? [item];
    const nobodyReplied =
      (item.kind === 'message' || item.kind === 'email') &&
      conversation.every((other) => other.authorId === item.authorId) &&
      isMessageWorthReading(item);
    if (nobodyReplied && missed.length < limits.maxMissed) {
      missed.push(evidence);
    } else if (related.length < limits.maxRelated) {
      related.push(evidence);
    }
  }

  return { meeting, recipients, previous: previous ?? undefined, seriesDecisions, unanswered, missed, related };
}

/** Evidence of follow-up: a later item, other than the one the decision was made in, that talks about it. */
async function hasFollowUp(
  store: MemoryStore,
  statement: string,
  visibleTo: PersonId[],
  after: Date,
  sourceItemId: string,
): Promise<boolean> {
  const hits = await store.searchText(statement, { visibleTo, since: after }, 5);
  return hits.some((hit) => hit.itemId !== sourceItemId && hit.score >= 0.1);
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
function isMessageWorthReading(item: Item): boolean {
  return item.body.split(/\s+/).filter(Boolean).length >= 12;
}
