/**
 * The conversation an item is part of, as one ordered list of turns: a transcript's speaker turns, a
 * Slack thread's messages, an email chain's paragraphs. Only turns whose speaker is in the (opted-in)
 * directory are kept; forwarded text inside an email is not the sender's and is left out.
 */
import type { Item, PersonId } from '../../../schemas/entities';
import type { Sentence, View } from './language';
import { parse, sentencesOf } from './language';
import type { NameMention, PeopleIndex } from './people';
import type { DirectoryPerson, ExtractionInput } from './port';

export interface Turn extends SpokenSegment {
  /** index in the conversation */
  index: number;
  /** who the turn is addressed to as a whole: Slack mentions, an email's greeting or recipients */
  addressees: PersonId[];
  doc: View;
  sentences: Sentence[];
  mentions: NameMention[];
}

const CONVERSATIONAL_KINDS = new Set<Item['kind']>(['transcript', 'message', 'email']);
/** turns kept around the focus item, so a very long thread stays cheap */
const MAX_CONTEXT_TURNS = 120;

export function isForwardMarker(text: string): boolean {
  return /^-{2,}\s*(?:forwarded message|original message)\s*-{2,}|^begin forwarded message/i.test(text.trim());
}

/** One segment said by someone in the directory, in conversation order. */
export interface SpokenSegment {
  item: Item;
  position: number;
  text: string;
  speaker: DirectoryPerson;
  /** when it was said: the item's time plus the segment's offset in a recording */
  saidAt: Date;
  /** belongs to the item being extracted */
  focus: boolean;
}

/** The item and its thread's conversational items, once each, oldest first (ties by id). */
export function conversationItems(input: ExtractionInput): Item[] {
  const byId = new Map<string, Item>();
  for (const item of [input.item, ...(input.thread ?? [])]) {
    if (!byId.has(item.id) && CONVERSATIONAL_KINDS.has(item.kind)) byId.set(item.id, item);
  }
  return [...byId.values()].sort(
    (a, b) => new Date(a.occurredAt).getTime() - new Date(b.occurredAt).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * The segments of these items said by someone in the directory, in order: a transcript turn by its
 * speaker, a message or email paragraph by its author; an email stops at its forwarded part.
 * Both extractors read a conversation through this.
 */
export function spokenSegments(items: readonly Item[], focusId: string, people: PeopleIndex): SpokenSegment[] {
  const out: SpokenSegment[] = [];
  for (const item of items) {
    const occurredAt = new Date(item.occurredAt).getTime();
    for (const segment of [...item.segments].sort((a, b) => a.position - b.position)) {
      if (item.kind === 'email' && isForwardMarker(segment.text)) break;
      const speaker = people.byId(item.kind === 'transcript' ? segment.speakerId : (segment.speakerId ?? item.authorId));
      if (!speaker || !/[\p{L}\p{N}]/u.test(segment.text)) continue;
      out.push({ item, position: segment.position, text: segment.text, speaker, saidAt: new Date(occurredAt + (segment.startMs ?? 0)), focus: item.id === focusId });
    }
  }
  return out;
}

export function conversationOf(input: ExtractionInput, people: PeopleIndex): Turn[] {
  const lexicon = people.lexicon();
  const addressees = new Map<string, PersonId[]>();
  const turns = spokenSegments(conversationItems(input), input.item.id, people).map((s, index): Turn => {
    let itemAddressees = addressees.get(s.item.id);
    if (!itemAddressees) addressees.set(s.item.id, (itemAddressees = addresseesOf(s.item, people)));
    const doc = parse(s.text, lexicon);
    return {
      ...s,
      index,
      addressees: itemAddressees.filter((p) => p !== s.speaker.id),
      doc,
      sentences: sentencesOf(doc, s.text),
      mentions: people.mentions(s.text),
    };
  });
  return trimAroundFocus(turns);
}

/** Slack: the people mentioned; email: the people greeted ("Hi Ines,"), else every recipient. */
function addresseesOf(item: Item, people: PeopleIndex): PersonId[] {
  const recipients = item.recipients.filter((r) => people.has(r));
  if (item.kind === 'message') return recipients;
  if (item.kind !== 'email') return [];
  const first = [...item.segments].sort((a, b) => a.position - b.position)[0];
  if (first && first.text.trim().split(/\s+/).length <= 6 && /^(?:hi|hello|hey|dear)\b/i.test(first.text.trim())) {
    const greeted = people.mentions(first.text).map((m) => m.person.id).filter((id) => recipients.includes(id));
    if (greeted.length > 0) return [...new Set(greeted)];
  }
  return recipients;
}

function trimAroundFocus(turns: Turn[]): Turn[] {
  if (turns.length <= MAX_CONTEXT_TURNS) return turns;
  const focus = turns.filter((t) => t.focus).map((t) => t.index);
  if (focus.length === 0) return [];
  const from = Math.max(0, (focus[0] ?? 0) - MAX_CONTEXT_TURNS / 2);
  const to = Math.max((focus[focus.length - 1] ?? 0) + MAX_CONTEXT_TURNS / 2, from + MAX_CONTEXT_TURNS);
  return turns.slice(from, to + 1).map((t, index) => ({ ...t, index }));
}
