/**
 * The embedded extractor: deterministic rules over compromise (sentences, POS tags, contractions,
 * match patterns) and chrono-node (dates), no network and no model.
 *
 * It reads the whole conversation an item belongs to (transcript turns, a Slack thread, an email
 * chain), finds decision statements, commitments and requests, and questions, reads the reactions
 * that follow (agreement, acceptance, answers), and returns what has at least one source in the item.
 * A reply therefore re-emits the earlier question it answers (same deterministic id, now answered),
 * and saving both converges.
 */
import type { Item, PersonId } from '../../../schemas/entities';
import type { ActionItem, Decision, Extraction, OpenQuestion, SourceSpan } from '../../../schemas/memory';
import { conversationOf, type Turn } from './conversation';
import { extractedId, type ExtractedKind } from './ids';
import type { Sentence, Span } from './language';
import { contentTerms, overlap, termsOfView, topicOf } from './language';
import { PeopleIndex } from './people';
import type { DirectoryPerson, ExtractionInput, Extractor } from './port';
import {
  agreement,
  decisionCue,
  type DecisionKind,
  isAcceptance,
  isDeferral,
  isReasonSentence,
  isTrivialQuestion,
  reasonClause,
  replacementCue,
  request,
  selfCommitment,
} from './signals';
import { resolveDueDate } from './time';

export const LOCAL_EXTRACTOR_NAME = 'local/1';

export class LocalExtractor implements Extractor {
  readonly name = LOCAL_EXTRACTOR_NAME;

  async extract(input: ExtractionInput): Promise<Extraction> {
    return extractLocally(input);
  }
}

/** A span of one turn's text. */
interface Ref {
  turn: Turn;
  start: number;
  end: number;
}

const refOf = (turn: Turn, span: Span): Ref => ({ turn, start: span.start, end: span.end });
const quoteOf = (ref: Ref): string => ref.turn.text.slice(ref.start, ref.end);
const sentenceAt = (turn: Turn, offset: number): Sentence | undefined => turn.sentences.find((s) => s.start <= offset && offset < s.end);

/** how many turns after a statement its reactions are looked for */
const REACTION_TURNS = 3;
/** how many turns back a rationale is looked for */
const RATIONALE_TURNS = 12;
/** how many turns apart two statements of the same thing are merged */
const SAME_THING_TURNS = 8;
/** how many turns after a question in a meeting its answer is looked for */
const ANSWER_TURNS = 4;

interface DecisionDraft {
  anchor: Ref;
  kind: DecisionKind;
  strong: boolean;
  statement: string;
  terms: string[];
  decider: DirectoryPerson;
  status: 'proposed' | 'agreed' | 'rejected';
  reacted: boolean;
  refs: Ref[];
  rationale?: string;
  ownerId: PersonId | null;
  decidedAt: Date;
  replaces: boolean;
}

interface ActionDraft {
  anchor: Ref;
  what: string;
  terms: string[];
  owner: DirectoryPerson | undefined;
  /** requested of "someone": the owner is whoever takes it */
  openRequest: boolean;
  how: 'self' | 'assigned' | 'requested';
  accepted: boolean;
  refs: Ref[];
  /** object is only a pronoun ("I'll write it") */
  vague: boolean;
  decision?: DecisionDraft;
}

interface QuestionDraft {
  anchor: Ref;
  askedBy: DirectoryPerson;
  askedOf: PersonId[];
  answer?: Ref;
}

export function extractLocally(input: ExtractionInput): Extraction {
  const empty: Extraction = { itemId: input.item.id, extractor: LOCAL_EXTRACTOR_NAME, decisions: [], actions: [], questions: [] };
  const people = new PeopleIndex(input.people);
  if (people.size === 0) return empty;
  const turns = conversationOf(input, people);
  if (!turns.some((t) => t.focus)) return empty;

  const consumed = new Set<string>(); // sentences already used as a request/commitment (not questions)
  const decisions = findDecisions(turns);
  const actions = findActions(turns, people, decisions, consumed);
  const questions = findQuestions(turns, people, consumed);

  // A decision's owner: whoever is first given work in the decision's own turn ("Carla owns the runbook, Dev ships …").
  for (const d of decisions) {
    const firstIn = (a: ActionDraft): number => Math.min(...a.refs.map((r) => (r.turn.index - d.anchor.turn.index) * 100_000 + r.start));
    const owned = actions.filter((a) => a.decision === d && a.owner).sort((a, b) => firstIn(a) - firstIn(b))[0];
    d.ownerId = owned?.owner?.id ?? null;
  }

  // Ids over everything found (not only what is returned), so the numbering inside a segment does not
  // depend on which item of the conversation is being extracted.
  const ids = new Ids();
  const decisionIds = new Map(decisions.map((d) => [d, ids.next('decision', d.anchor)] as const));
  const actionIds = new Map(actions.map((a) => [a, ids.next('action', a.anchor)] as const));
  const questionIds = new Map(questions.map((q) => [q, ids.next('question', q.anchor)] as const));

  const touchesFocus = (refs: Ref[]): boolean => refs.some((r) => r.turn.focus);
  return {
    ...empty,
    decisions: decisions.filter((d) => touchesFocus(d.refs)).map((d) => toDecision(d, decisionIds.get(d)!)),
    actions: actions
      .filter((a) => a.owner && touchesFocus(a.refs))
      .map((a) => toAction(a, actionIds.get(a)!, a.decision ? decisionIds.get(a.decision) : undefined)),
    questions: questions
      .filter((q) => touchesFocus([q.anchor, ...(q.answer ? [q.answer] : [])]))
      .map((q) => toQuestion(q, questionIds.get(q)!)),
  };
}

// ---------------------------------------------------------------- decisions

function findDecisions(turns: Turn[]): DecisionDraft[] {
  const drafts: DecisionDraft[] = [];
  for (const turn of turns) {
    for (const sentence of turn.sentences) {
      const cue = decisionCue(sentence.view, turn.text);
      if (!cue) continue;
      const statement = statementOf(turn, sentence, cue.statementStart, cue.kind, cue.negated);
      const terms = contentTerms(statement);
      const referential = terms.filter((t) => /\p{L}/u.test(t)).length < 2;
      const ref = refOf(turn, sentence);
      if (referential) {
        // "Okay, let's go with that": agreement with the proposal just made
        const pending = [...drafts]
          .reverse()
          .find((d) => d.anchor.turn.index >= turn.index - REACTION_TURNS && d.anchor.turn.index <= turn.index && (d.status === 'proposed' || d.anchor.turn === turn));
        if (pending) {
          pending.refs.push(ref);
          if (pending.status !== 'rejected' && !cue.negated) {
            pending.status = 'agreed';
            pending.reacted = true;
          }
          continue;
        }
        const previous = turn.sentences[sentence.index - 1];
        if (!previous) continue;
        const widened: Ref = { turn, start: previous.start, end: sentence.end };
        drafts.push(draftOf(turn, widened, cue, statementOf(turn, previous, previous.start, 'consensus', false), sentence));
        continue;
      }
      const draft = draftOf(turn, ref, cue, statement, sentence);
      const opener = turn.sentences[0];
      // "Fair point. Let's keep offline out of the paywall": the turn opens by agreeing to what was just said
      if (draft.kind === 'directive' && opener && opener !== sentence && agreement(opener.view, turn.text) === 'agree') draft.status = 'agreed';
      drafts.push(draft);
    }
  }

  for (const d of drafts) readReactions(d, turns, drafts);
  for (const d of drafts) d.rationale = rationaleOf(d, turns);
  const kept = drafts.filter((d) => d.strong || d.reacted);
  return mergeSameDecisions(kept);
}

function draftOf(turn: Turn, span: Span | Ref, cue: NonNullable<ReturnType<typeof decisionCue>>, statement: string, sentence: Sentence): DecisionDraft {
  const ref: Ref = 'turn' in span ? span : refOf(turn, span);
  return {
    anchor: ref,
    kind: cue.kind,
    strong: cue.strong,
    statement,
    terms: contentTerms(statement),
    decider: turn.speaker,
    status: cue.kind === 'consensus' || (cue.kind === 'directive' && cue.agreeingPrefix) ? 'agreed' : 'proposed',
    reacted: false,
    refs: [ref],
    ownerId: null,
    decidedAt: turn.saidAt,
    replaces: replacementCue(sentence.view, turn.text) !== undefined,
  };
}

/** The statement itself: the sentence after the decision marker, without discourse openers. */
function statementOf(turn: Turn, sentence: Sentence, start: number, kind: DecisionKind, negated: boolean): string {
  let text = turn.text.slice(Math.max(start, sentence.start), sentence.end);
  if (kind === 'directive') text = text.replace(/^let(?:['’]s| us)\s+(?:not\s+)?/i, negated ? 'not ' : '');
  text = text.replace(/^[\s:,;.\u2014-]+/, '').replace(/[\s.!;:,]+$/, '');
  if (kind === 'directive' && negated) text = `do ${text}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Agreement or rejection in the turns right after a statement, by someone else. */
function readReactions(d: DecisionDraft, turns: Turn[], drafts: DecisionDraft[]): void {
  const turn = d.anchor.turn;
  // The turn goes on to ask something else: the next speaker answers that, not the decision.
  const after = turn.sentences.filter((s) => s.start >= d.anchor.end);
  if (after.some((s) => s.text.trim().endsWith('?'))) return;
  for (const next of reactionTurns(turn, turns)) {
    if (drafts.some((o) => o !== d && o.anchor.turn === next && !o.refs.includes(d.anchor))) break; // a new statement takes over
    if (next.speaker.id === d.decider.id) continue;
    const first = next.sentences[0];
    if (!first) continue;
    const reaction = agreement(first.view, next.text);
    if (reaction) {
      if (d.status !== 'agreed' || reaction === 'reject') d.status = reaction === 'agree' ? 'agreed' : 'rejected';
      d.reacted = true;
      d.refs.push(refOf(next, first));
      return;
    }
  }
}

/** The next few turns of the same meeting, or the later messages of the same thread. */
function reactionTurns(turn: Turn, turns: Turn[], count = REACTION_TURNS): Turn[] {
  if (turn.item.kind === 'transcript') return turns.filter((t) => t.item.id === turn.item.id && t.index > turn.index).slice(0, count);
  const laterItems: Turn[] = [];
  const seen = new Set<string>();
  for (const t of turns) {
    if (t.index <= turn.index || t.item.id === turn.item.id) continue;
    if (!seen.has(t.item.id)) {
      seen.add(t.item.id);
      laterItems.push(t); // the first substantive turn of each later message
    }
    if (laterItems.length >= count) break;
  }
  return laterItems;
}

/** The reason given: a because/since/so-that clause in the statement, else a nearby reason sentence on the same subject. */
function rationaleOf(d: DecisionDraft, turns: Turn[]): string | undefined {
  const sentence = sentenceAt(d.anchor.turn, d.anchor.end - 1) ?? sentenceAt(d.anchor.turn, d.anchor.start);
  if (sentence) {
    const clause = reasonClause(sentence.view, d.anchor.turn.text);
    if (clause) return clause.text;
  }
  const subject = new Set(contentTerms(d.anchor.turn.text));
  const candidates = turns.filter((t) => t.index < d.anchor.turn.index && t.index >= d.anchor.turn.index - RATIONALE_TURNS).reverse();
  for (const turn of [d.anchor.turn, ...candidates]) {
    if (overlap(contentTerms(turn.text), [...subject]).shared.filter((t) => /\p{L}/u.test(t) || t.includes('.')).length === 0) continue;
    const sentences = turn === d.anchor.turn ? turn.sentences.filter((s) => s.end <= d.anchor.start) : turn.sentences;
    const reason = [...sentences].reverse().find((s) => isReasonSentence(s.view, turn.text));
    if (reason) {
      d.refs.push(refOf(turn, reason));
      return reason.text.replace(/[\s.]+$/, '');
    }
  }
  return undefined;
}

const RANK: Record<DecisionKind, number> = { consensus: 3, directive: 2, proposal: 1 };

/** Two statements of the same decision in one conversation (a proposal, then "we agreed: …") become one. */
function mergeSameDecisions(drafts: DecisionDraft[]): DecisionDraft[] {
  const out: DecisionDraft[] = [];
  for (const d of drafts) {
    const target = out.find(
      (o) =>
        d.anchor.turn.index - o.anchor.turn.index <= SAME_THING_TURNS &&
        !d.replaces &&
        sameSubject(o.terms, d.terms),
    );
    if (!target) {
      out.push(d);
      continue;
    }
    for (const r of d.refs) if (!target.refs.some((x) => sameRef(x, r))) target.refs.push(r);
    if (RANK[d.kind] > RANK[target.kind] || (RANK[d.kind] === RANK[target.kind] && d.status === 'agreed' && target.status !== 'agreed')) {
      target.statement = d.statement;
      target.terms = d.terms;
      target.kind = d.kind;
      target.decider = d.decider;
      target.decidedAt = d.decidedAt;
    }
    if (d.status === 'rejected') target.status = 'rejected';
    else if (d.status === 'agreed' && target.status === 'proposed') target.status = 'agreed';
    target.reacted ||= d.reacted;
    target.strong ||= d.strong;
    target.rationale ??= d.rationale;
  }
  return out;
}

function sameSubject(a: string[], b: string[]): boolean {
  const { shared, coefficient } = overlap(a, b);
  const meaningful = shared.filter((t) => /\p{L}/u.test(t));
  return meaningful.length >= 2 && coefficient >= 0.6;
}

const sameRef = (a: Ref, b: Ref): boolean => a.turn === b.turn && a.start === b.start && a.end === b.end;

// ---------------------------------------------------------------- actions

function findActions(turns: Turn[], people: PeopleIndex, decisions: DecisionDraft[], consumed: Set<string>): ActionDraft[] {
  const drafts: ActionDraft[] = [];
  const decisionTurns = new Set(decisions.flatMap((d) => d.refs.map((r) => r.turn.index)));

  for (const turn of turns) {
    for (const sentence of turn.sentences) {
      const key = `${turn.index}:${sentence.index}`;

      // 1. a request: "Carla, can you own that?", "please add …", "can someone own …"
      const asked = request(sentence.view, turn.text);
      if (asked) {
        const vocative = vocativeOf(turn, sentence, people);
        const single = turn.addressees.length === 1 ? people.byId(turn.addressees[0]) : undefined;
        const owner = asked.anyone ? undefined : (vocative ?? single);
        const draft = actionDraft(turn, sentence, asked.verb, owner, 'requested');
        draft.openRequest = owner === undefined;
        consumed.add(key);
        drafts.push(draft);
        continue;
      }

      // 2. the speaker commits: "I'll write it", "I'm going to …"
      const commitment = selfCommitment(sentence.view, turn.text);
      if (commitment) {
        const draft = actionDraft(turn, sentence, commitment.verb, turn.speaker, 'self');
        consumed.add(key);
        const taken = acceptedRequest(turn, draft, drafts);
        if (taken) {
          absorb(taken, draft);
          continue;
        }
        drafts.push(draft);
        continue;
      }

      // 3. someone named commits or is assigned: "Dev will ship the flag", "Carla owns the runbook, Dev ships …"
      for (const assigned of namedCommitments(turn, sentence, decisionTurns.has(turn.index))) {
        drafts.push(actionDraft(turn, sentence, assigned.verb, assigned.person, 'assigned', assigned.clauseEnd));
        consumed.add(key);
      }

      // 4. "Yes" / "Sure" / "Will do" right after a request: the speaker takes it
      if (sentence.index === 0 && isAcceptance(sentence.view, turn.text)) {
        const pending = [...drafts]
          .reverse()
          .find((d) => d.how === 'requested' && !d.accepted && isReplyTo(turn, d.anchor.turn) && (d.openRequest || d.owner?.id === turn.speaker.id));
        if (pending) {
          pending.owner ??= turn.speaker;
          pending.openRequest = false;
          pending.accepted = true;
          pending.refs.push(refOf(turn, sentence));
        }
      }
    }
  }

  const merged = mergeSameActions(drafts);
  for (const a of merged) a.decision = decisionOf(a, decisions);
  return merged;
}

/** A request in one of the previous turns that this commitment takes on. */
function acceptedRequest(turn: Turn, draft: ActionDraft, drafts: ActionDraft[]): ActionDraft | undefined {
  return [...drafts].reverse().find((d) => {
    if (!isReplyTo(turn, d.anchor.turn) && d.anchor.turn !== turn) return false;
    const forMe = d.openRequest || d.owner?.id === turn.speaker.id;
    if (!forMe || d.anchor.turn.speaker.id === turn.speaker.id && d.how === 'requested') return false;
    return draft.vague || sharesSubject(d.terms, draft.terms) || (d.how === 'requested' && !d.accepted);
  });
}

/** `turn` comes within two turns after `earlier` in the same meeting, or replies in the same thread. */
function isReplyTo(turn: Turn, earlier: Turn): boolean {
  if (turn.index <= earlier.index) return false;
  if (earlier.item.kind === 'transcript') return turn.item.id === earlier.item.id && turn.index - earlier.index <= 2;
  return turn.item.id !== earlier.item.id;
}

function absorb(target: ActionDraft, commitment: ActionDraft): void {
  target.owner ??= commitment.owner;
  target.openRequest = false;
  target.accepted = true;
  if (target.vague && !commitment.vague) {
    target.what = commitment.what;
    target.terms = commitment.terms;
    target.vague = false;
  }
  for (const r of commitment.refs) if (!target.refs.some((x) => sameRef(x, r))) target.refs.push(r);
}

const PRONOUN_OBJECTS = new Set(['it', 'that', 'this', 'them', 'one', 'so', 'up', 'on', 'over', 'please', 'too', 'then']);

function actionDraft(turn: Turn, sentence: Sentence, verb: Span, owner: DirectoryPerson | undefined, how: ActionDraft['how'], clauseEnd?: number): ActionDraft {
  const ref = refOf(turn, sentence);
  let what = clauseText(turn, sentence, verb, clauseEnd);
  const objectWords = what.split(/\s+/).slice(1).map((w) => w.toLowerCase().replace(/[^\p{L}]/gu, ''));
  let vague = objectWords.every((w) => w === '' || PRONOUN_OBJECTS.has(w));
  if (vague && how === 'self') {
    // "Release notes, I'll draft them": the thing is named before the commitment
    const before = turn.text.slice(sentence.start, verb.start).replace(/[,:;]?\s*(?:i|we)(?:['’]ll| will| am going to|['’]m going to)?\s*$/i, '').trim();
    const words = before.split(/\s+/).filter(Boolean);
    const fragment = words.length > 0 && words.length <= 5 && !/^(?:if|when|once|so|and|but|yes|sure|ok|okay|i|we|you|it)\b/i.test(before) ? before.replace(/[,:;.]+$/, '') : '';
    if (fragment && contentTerms(fragment).length > 0) {
      what = `${what.split(/\s+/)[0]} ${fragment.toLowerCase()}`;
      vague = false;
    }
  }
  if (vague) {
    // "can you own that? The rollback runbook for 4.2." — a verbless noun phrase right after names it
    const next = turn.sentences[sentence.index + 1];
    if (next && termsOfView(next.view).every((t) => !t.tags.has('Verb'))) {
      what = `${what.split(/\s+/)[0]} ${lowerFirst(next.text.replace(/[\s.!]+$/, ''))}`;
      vague = false;
    }
  }
  // "Release notes. I'll send a draft by email on Monday." — a verbless heading names what it is about
  const heading = turn.sentences[sentence.index - 1];
  let anchor = ref;
  if (
    !vague &&
    heading &&
    heading.text.split(/\s+/).length <= 4 &&
    termsOfView(heading.view).filter((t) => t.tags.has('Verb')).every((t) => t.start === heading.start) &&
    termsOfView(heading.view).every((t) => !t.tags.has('Pronoun')) &&
    agreement(heading.view, turn.text) === undefined &&
    contentTerms(heading.text).filter((t) => /\p{L}{3,}/u.test(t)).length >= 2
  ) {
    what = `${heading.text.replace(/[\s.:!]+$/, '')}: ${what}`;
    anchor = { turn, start: heading.start, end: sentence.end };
  }
  return { anchor, what, terms: contentTerms(what), owner, openRequest: false, how, accepted: false, refs: [anchor], vague };
}

const CLAUSE_BREAKS = new Set(['so', 'because', 'since', 'while', 'unless', 'although', 'though', 'which', 'if', 'but', 'once', 'when']);

/** The verb (as an infinitive) and what follows it, up to the end of its clause. */
function clauseText(turn: Turn, sentence: Sentence, verb: Span, clauseEnd?: number): string {
  const terms = termsOfView(sentence.view).filter((t) => t.start >= verb.start && t.end > t.start);
  let end = verb.end;
  let count = 0;
  for (const [i, t] of terms.entries()) {
    if (clauseEnd !== undefined && t.start >= clauseEnd) break;
    if (i > 0 && CLAUSE_BREAKS.has(t.normal) && count > 1) break;
    end = t.end;
    count += 1;
    if (/[,;:]/.test(t.post) && clauseEnd === undefined && i > 1) {
      const rest = terms[i + 1];
      if (rest && (rest.tags.has('Person') || rest.tags.has('Pronoun') || rest.normal === 'and' || rest.normal === 'both')) break;
    }
  }
  const words = [infinitive(sentence, verb.text), turn.text.slice(verb.end, end)];
  let what = words.join('').replace(/\s+/g, ' ').replace(/[\s.!?;:,]+$/, '').trim();
  const due = resolveDueDate(what, turn.saidAt, turn.speaker.timezone, turn.speaker.workingHours);
  if (due) {
    const cut = `${what.slice(0, due.index)}${what.slice(due.index + due.length)}`.replace(/\s+/g, ' ').replace(/[\s,]+$/, '').trim();
    if (cut.split(/\s+/).length >= 2) what = cut;
  }
  return what;
}

function infinitive(sentence: Sentence, word: string): string {
  // clone: toInfinitive() rewrites the document it runs on, and the offsets of everything after it would shift
  const verb = ((sentence.view.match(word) as Sentence['view']).clone() as Sentence['view']).verbs();
  const inf = verb.found ? (verb.toInfinitive().text('normal') as string).trim() : '';
  return inf && !inf.includes(' ') ? inf : word.toLowerCase();
}

/** Named people who commit or are assigned in this sentence, each with the verb of their clause. */
function namedCommitments(turn: Turn, sentence: Sentence, inDecisionTurn: boolean): { person: DirectoryPerson; verb: Span; clauseEnd?: number }[] {
  const terms = termsOfView(sentence.view);
  const hasDate = resolveDueDate(sentence.text, turn.saidAt, turn.speaker.timezone, turn.speaker.workingHours) !== undefined;
  const found: { person: DirectoryPerson; verb: Span; at: number }[] = [];
  for (const mention of turn.mentions) {
    if (mention.start < sentence.start || mention.end > sentence.end) continue;
    if (/['’]s\b/.test(turn.text.slice(mention.end, mention.end + 2))) continue; // "Dev's staging endpoint"
    const i = terms.findIndex((t) => t.start >= mention.end);
    const prev = terms.filter((t) => t.end <= mention.start).at(-1);
    if (i < 0 || (prev && (prev.tags.has('Preposition') || prev.tags.has('Verb')))) continue; // "for Dev", "need Dev"
    let j = i;
    const modal = terms[j]?.normal === 'will' || terms[j]?.normal === 'shall';
    const going = terms[j]?.normal === 'is' && terms[j + 1]?.normal === 'going' && terms[j + 2]?.normal === 'to';
    const progressive = terms[j]?.normal === 'is' && terms[j + 1]?.tags.has('Gerund');
    if (modal) j += 1;
    else if (going) j += 3;
    else if (progressive) j += 1;
    const verb = terms[j];
    if (!verb || !verb.tags.has('Verb') || terms[j - 1]?.tags.has('Negative') || verb.tags.has('Negative')) continue;
    if (['be', 'is', 'are', 'was', 'have', 'has', 'need', 'needs', 'want', 'wants', 'think', 'thinks', 'said', 'says'].includes(verb.normal)) continue;
    const presentAssignment = !modal && !going && !progressive;
    if (presentAssignment && !(verb.tags.has('PresentTense') && verb.normal.endsWith('s'))) continue;
    if ((presentAssignment && !inDecisionTurn && !hasDate) || (progressive && !hasDate)) continue;
    found.push({ person: mention.person, verb: { start: verb.start, end: verb.end, text: verb.text }, at: mention.start });
  }
  return found.map((f, k) => ({ person: f.person, verb: f.verb, clauseEnd: found[k + 1]?.at }));
}

/** The person a sentence (or its turn) is addressed to by name: "Carla, can you…", "…, Dev?", "Hi Ines,". */
function vocativeOf(turn: Turn, sentence: Sentence, people: PeopleIndex): DirectoryPerson | undefined {
  const inSentence = turn.mentions.filter((m) => m.start >= sentence.start && m.end <= sentence.end && m.person.id !== turn.speaker.id);
  for (const m of inSentence) {
    const before = turn.text.slice(sentence.start, m.start).trim();
    const after = turn.text.slice(m.end, m.end + 2);
    if ((before === '' || /^(?:hi|hey|hello|ok|okay|so|and|thanks)[,]?$/i.test(before)) && /^[,:?!]/.test(after)) return m.person;
    if (m.at) return m.person;
    if (/,\s*$/.test(turn.text.slice(sentence.start, m.start)) && /^\s*[?.!]/.test(after)) return m.person;
  }
  // "Good. Release date. Erin, what does product want?" — a name opening an earlier sentence of the turn
  const opener = turn.mentions.find((m) => m.person.id !== turn.speaker.id && m.end <= sentence.start && /^[,:]/.test(turn.text.slice(m.end, m.end + 1)) && sentenceAt(turn, m.start)?.start === m.start);
  return opener?.person ?? (people.byId(turn.addressees.length === 1 ? turn.addressees[0] : undefined) ?? undefined);
}

/** A summary ("Carla owns the runbook") restating an earlier commitment of the same person about the same thing: one action. */
function mergeSameActions(drafts: ActionDraft[]): ActionDraft[] {
  const out: ActionDraft[] = [];
  for (const d of drafts) {
    const target = d.owner
      ? out.find(
          (o) =>
            o.owner?.id === d.owner?.id &&
            o.anchor.turn.item.id === d.anchor.turn.item.id &&
            d.anchor.turn.index - o.anchor.turn.index <= SAME_THING_TURNS &&
            (d.how === 'assigned' || d.vague) &&
            sharesSubject(o.terms, d.terms),
        )
      : undefined;
    if (!target) {
      out.push(d);
      continue;
    }
    for (const r of d.refs) if (!target.refs.some((x) => sameRef(x, r))) target.refs.push(r);
    target.accepted ||= d.accepted;
  }
  return out;
}

function sharesSubject(a: string[], b: string[]): boolean {
  return overlap(a, b).shared.some((t) => /\p{L}{3,}/u.test(t) && !VERBISH.has(t));
}

/** Verbs that start most actions: sharing one of them says nothing. */
const VERBISH = new Set(['write', 'send', 'post', 'add', 'check', 'update', 'ship', 'review', 'set', 'keep', 'look', 'fix', 'run', 'start', 'finish', 'bring']);

/** An action stated in a decision's turn (at or after the decision), or in the turn agreeing to it, carries that decision out. */
function decisionOf(a: ActionDraft, decisions: DecisionDraft[]): DecisionDraft | undefined {
  return decisions.find((d) =>
    a.refs.some((r) => d.refs.some((dr) => dr.turn.index >= d.anchor.turn.index && r.turn === dr.turn && r.start >= dr.start)),
  );
}

// ---------------------------------------------------------------- questions

function findQuestions(turns: Turn[], people: PeopleIndex, consumed: Set<string>): QuestionDraft[] {
  const drafts: QuestionDraft[] = [];
  for (const turn of turns) {
    let open: QuestionDraft | undefined;
    for (const sentence of turn.sentences) {
      const isQuestion = sentence.text.trim().endsWith('?');
      if (!isQuestion || consumed.has(`${turn.index}:${sentence.index}`)) {
        open = undefined;
        continue;
      }
      if (isTrivialQuestion(sentence.view, turn.text)) continue;
      if (open) {
        open.anchor.end = sentence.end; // "Which rollout, exactly? Are we doing phased on both stores?": one question
        continue;
      }
      const vocative = vocativeOf(turn, sentence, people);
      const askedOf = vocative ? [vocative.id] : turn.addressees;
      open = { anchor: refOf(turn, sentence), askedBy: turn.speaker, askedOf: [...new Set(askedOf)].filter((p) => p !== turn.speaker.id) };
      drafts.push(open);
    }
  }
  for (const q of drafts) q.answer = answerOf(q, turns);
  return drafts;
}

/** The first later turn, by someone asked (or anyone else when nobody was named), that is not a question or a deferral. */
function answerOf(q: QuestionDraft, turns: Turn[]): Ref | undefined {
  const asked = q.anchor.turn;
  const inMeeting = asked.item.kind === 'transcript';
  const later = turns.filter((t) =>
    inMeeting ? t.item.id === asked.item.id && t.index > asked.index && t.index <= asked.index + ANSWER_TURNS : t.item.id !== asked.item.id && t.index > asked.index,
  );
  for (const turn of later) {
    if (turn.speaker.id === q.askedBy.id) continue;
    if (q.askedOf.length > 0 && !q.askedOf.includes(turn.speaker.id)) continue;
    const substantive = turn.sentences.filter((s) => !s.text.trim().endsWith('?') && s.text.split(/\s+/).length >= 2);
    if (substantive.length === 0) continue;
    if (substantive.some((s) => isDeferral(s.view, turn.text))) continue;
    // in a meeting, a turn that does not follow the question directly must at least be about it
    const adjacent = turn.item.id === asked.item.id && turn.position === asked.position + 1;
    if (inMeeting && !adjacent && overlap(contentTerms(turn.text), contentTerms(quoteOf(q.anchor))).shared.length === 0) continue;
    if (!inMeeting && isGreetingOrSignOff(turn.text)) continue;
    const first = substantive[0];
    return first ? refOf(turn, first) : undefined;
  }
  return undefined;
}

function isGreetingOrSignOff(text: string): boolean {
  const words = text.trim().split(/\s+/);
  return words.length <= 4 && /^(?:hi|hello|hey|dear|thanks|thank|cheers|best|regards|ines|—|-)/i.test(text.trim());
}

// ---------------------------------------------------------------- output

class Ids {
  readonly #ordinals = new Map<string, number>();

  next(kind: ExtractedKind, anchor: Ref): string {
    const key = `${kind}:${anchor.turn.item.id}:${anchor.turn.position}`;
    const ordinal = this.#ordinals.get(key) ?? 0;
    this.#ordinals.set(key, ordinal + 1);
    return extractedId(kind, { itemId: anchor.turn.item.id, position: anchor.turn.position }, ordinal);
  }
}

function spansOf(refs: Ref[]): SourceSpan[] {
  const seen = new Set<string>();
  const sorted = [refs[0]!, ...[...refs.slice(1)].sort((a, b) => a.turn.index - b.turn.index || a.start - b.start)];
  return sorted.flatMap((r) => {
    const key = `${r.turn.item.id}#${r.turn.position}#${r.start}`;
    const quote = quoteOf(r).trim();
    if (seen.has(key) || !quote) return [];
    seen.add(key);
    return [{ itemId: r.turn.item.id, position: r.turn.position, quote }];
  });
}

/** Who may see a thing: everyone who may see every item it was taken from. */
function accessOf(refs: Ref[]): PersonId[] {
  const lists = [...new Map(refs.map((r) => [r.turn.item.id, r.turn.item])).values()].map((i: Item) => i.access);
  const [first = [], ...rest] = lists;
  return first.filter((p) => rest.every((l) => l.includes(p))).sort();
}

function toDecision(d: DecisionDraft, id: string): Decision {
  const base = d.kind === 'consensus' ? 0.85 : d.kind === 'directive' ? 0.65 : d.strong ? 0.5 : 0.4;
  const confidence = Math.min(0.95, base + (d.reacted ? 0.1 : 0) + (d.ownerId ? 0.05 : 0) + (d.rationale ? 0.03 : 0));
  return {
    id,
    statement: d.statement,
    ...(d.rationale ? { rationale: d.rationale } : {}),
    deciderId: d.decider.id,
    ownerId: d.ownerId,
    status: d.status,
    topic: topicOf(d.statement),
    confidence: Math.round(confidence * 100) / 100,
    decidedAt: d.decidedAt,
    sources: spansOf(d.refs),
    access: accessOf(d.refs),
  };
}

function toAction(a: ActionDraft, id: string, decisionId: string | undefined): ActionItem {
  // the latest statement of a deadline wins ("this week" … then "by Wednesday")
  let due: ReturnType<typeof resolveDueDate>;
  for (const r of [...a.refs].sort((x, y) => x.turn.index - y.turn.index || x.start - y.start)) {
    const found = resolveDueDate(quoteOf(r), r.turn.saidAt, r.turn.speaker.timezone, r.turn.speaker.workingHours);
    if (found) due = found;
  }
  return {
    id,
    what: a.what,
    ownerId: a.owner?.id ?? null,
    ...(due ? { dueAt: due.dueAt, dueText: due.dueText } : {}),
    status: 'open',
    ...(decisionId ? { decisionId } : {}),
    createdAt: a.anchor.turn.saidAt,
    sources: spansOf(a.refs),
    access: accessOf(a.refs),
  };
}

function toQuestion(q: QuestionDraft, id: string): OpenQuestion {
  const refs = [q.anchor, ...(q.answer ? [q.answer] : [])];
  return {
    id,
    question: quoteOf(q.anchor).trim(),
    askedById: q.askedBy.id,
    askedOfIds: q.askedOf,
    askedAt: q.anchor.turn.saidAt,
    answered: q.answer !== undefined,
    ...(q.answer ? { answer: spansOf([q.answer])[0]! } : {}),
    sources: spansOf([q.anchor]),
    access: accessOf(refs),
  };
}

export function lowerFirst(s: string): string {
  return /^(?:The|A|An|This|That|Our|Its)\b/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}
