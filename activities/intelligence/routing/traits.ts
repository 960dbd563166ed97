/**
 * The message traits the medium policy (workflows/medium-policy.ts) judges by, read from free text: kind, urgency,
 * deadline, length, complexity, whether it needs discussion, whether it can be undone. Rule-based and explainable:
 * every trait comes with the words that decided it, so a plan can say "high urgency (\"asap\")". Hints the caller
 * already knows (a decision record is a decision record) win over what the text suggests.
 */
import type { Complexity, MessageTraits } from '../../../workflows/medium-policy';
import type { MessageKind, Urgency } from '../../../schemas/routing';
import { isDecisionStatement } from '../cues';
import { resolveDueDate, type WorkingHours } from '../extraction/time';

export interface TraitsOptions {
  /** when the text was written: relative dates ("by Friday") resolve from here */
  referenceDate: Date;
  /** the writer's timezone and working hours, for the end of "their" day */
  timezone?: string;
  workingHours?: WorkingHours;
  audienceSize?: number;
  /** what the caller already knows; each given trait wins over the text */
  hints?: Partial<MessageTraits>;
}

export type TraitName = 'kind' | 'urgency' | 'deadline' | 'complexity' | 'needsDiscussion' | 'reversible';

/** The policy's traits, with the deadline as a Date (hints may give any instant; it is normalised). */
export type TextTraits = Omit<MessageTraits, 'deadline'> & { deadline?: Date };

export interface DerivedTraits {
  traits: TextTraits;
  /** per trait, the words (or facts) that decided it; "given" when it came from a hint */
  evidence: Record<TraitName, string[]>;
}

const BLOCKER = [/\bblocked\b/i, /\bblocker\b/i, /\bblocking\b/i, /\bcan(?:'|’)?t proceed\b/i, /\bcannot proceed\b/i, /\bstuck (?:on|with)\b/i, /\bwaiting on\b/i];
const DECISION_NEEDED = [/\bneed(?:s)? (?:a )?decision\b/i, /\bneed(?:s)? to decide\b/i, /\bshould we\b/i, /\bdecide (?:between|whether|on)\b/i, /\bwhich (?:option|one) (?:should|do)\b/i, /\bgo\/no-go\b/i, /\byour call\b/i];
const DECISION_RECORD = [/\bwe(?:'ve| have)? decided\b/i, /\bdecided (?:to|that|on)\b/i, /\bwe will\b/i, /\bwe'll\b/i, /\bthe decision is\b/i, /\bagreed (?:to|that|on)\b/i];
const QUESTION_ASK = [/\bcan you\b/i, /\bcould you\b/i, /\bplease (?:confirm|advise|let me know|review)\b/i, /\bdo you know\b/i, /\bany (?:idea|thoughts)\b/i];

const CRITICAL = [/\boutage\b/i, /\bprod(?:uction)? (?:is )?down\b/i, /\b(?:site|service|api|checkout) (?:is )?down\b/i, /\bsev ?[01]\b/i, /\bp0\b/i, /\bdata loss\b/i, /\bsecurity (?:breach|incident)\b/i, /\bincident\b/i];
const HIGH = [/\burgent(?:ly)?\b/i, /\basap\b/i, /\btoday\b/i, /\beod\b/i, /\bend of (?:the )?day\b/i, /\bright away\b/i, /\bimmediately\b/i, /\bdeadline\b/i, /\btime[- ]sensitive\b/i];
const LOW = [/\bno rush\b/i, /\bwhenever\b/i, /\blow priority\b/i, /\bnice to have\b/i, /\bno hurry\b/i, /\bwhen you get a chance\b/i];

const DISCUSSION = [/\bdiscuss(?:ion)?\b/i, /\bthoughts\?/i, /\blet(?:'|’)?s talk\b/i, /\bhop on a call\b/i, /\bsync (?:on|about)\b/i, /\balign (?:on|about)\b/i, /\btrade-?offs?\b/i, /\bpros and cons\b/i, /\bdebate\b/i, /\bbrainstorm\b/i, /\bopinions?\b/i, /\bwhat do you (?:all )?think\b/i];
const IRREVERSIBLE = [/\birreversible\b/i, /\bcan(?:'|’)?t (?:be )?undo(?:ne)?\b/i, /\bcannot be undone\b/i, /\bno going back\b/i, /\bone-way door\b/i, /\bmigrat(?:e|ion|ing)\b/i, /\bdelet(?:e|ion|ing)\b/i, /\bdrop (?:the )?table\b/i, /\bpermanent(?:ly)?\b/i, /\bwipe\b/i];
const OPTION = [/\boption [a-z0-9]\b/gi, /\bvs\.?\b/gi, /\bversus\b/gi, /\beither\b/gi, /^\s*(?:[-*•]|\d+[.)])\s+/gm];

/** Every distinct word sequence the cues match, as written. */
function hits(text: string, cues: readonly RegExp[]): string[] {
  const found: string[] = [];
  for (const pattern of cues) {
    const m = pattern.exec(text);
    if (m && !found.includes(m[0].trim().toLowerCase())) found.push(m[0].trim().toLowerCase());
  }
  return found;
}

function countOptions(text: string): { count: number; words: string[] } {
  const words: string[] = [];
  let count = 0;
  for (const pattern of OPTION) {
    const all = text.match(pattern) ?? [];
    count += all.length;
    for (const w of all) if (w.trim() && !words.includes(w.trim().toLowerCase())) words.push(w.trim().toLowerCase());
  }
  // "A or B" with a question mark: two options on one line
  const orChoices = text.match(/\b\w+ or \w+\?/gi) ?? [];
  if (orChoices.length > 0) {
    count += orChoices.length * 2;
    words.push(...orChoices.map((w) => w.toLowerCase()));
  }
  return { count, words };
}

export function deriveMessageTraits(text: string, options: TraitsOptions): DerivedTraits {
  const hints = options.hints ?? {};
  const words = (text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []).length;
  const questionMarks = (text.match(/\?/g) ?? []).length;
  const evidence: Record<TraitName, string[]> = { kind: [], urgency: [], deadline: [], complexity: [], needsDiscussion: [], reversible: [] };

  // kind: the most demanding speech act wins (a blocker phrased as a question is still a blocker)
  const blocker = hits(text, BLOCKER);
  const decisionNeeded = hits(text, DECISION_NEEDED);
  const record = hits(text, DECISION_RECORD);
  const asks = hits(text, QUESTION_ASK);
  let kind: MessageKind = 'fyi';
  if (blocker.length > 0) [kind, evidence.kind] = ['blocker', blocker];
  else if (decisionNeeded.length > 0) [kind, evidence.kind] = ['decision_needed', decisionNeeded];
  else if (record.length > 0 || isDecisionStatement(text)) [kind, evidence.kind] = ['decision_record', record.length > 0 ? record : ['a decision statement']];
  else if (questionMarks > 0 || asks.length > 0) [kind, evidence.kind] = ['question', [...(questionMarks > 0 ? [plural(questionMarks, 'question mark')] : []), ...asks]];
  else evidence.kind = ['no ask, blocker or decision in the text'];

  // deadline, resolved from the writer's point of view
  const due = resolveDueDate(text, options.referenceDate, options.timezone, options.workingHours);
  if (due) evidence.deadline = [due.dueText];

  // urgency
  const critical = hits(text, CRITICAL);
  const high = hits(text, HIGH);
  const low = hits(text, LOW);
  const hoursLeft = due ? (due.dueAt.getTime() - options.referenceDate.getTime()) / 3_600_000 : undefined;
  let urgency: Urgency = 'normal';
  if (critical.length > 0) [urgency, evidence.urgency] = ['critical', critical];
  else if (high.length > 0) [urgency, evidence.urgency] = ['high', high];
  else if (hoursLeft !== undefined && hoursLeft <= 24) [urgency, evidence.urgency] = ['high', [`due ${due!.dueText}, in ${Math.max(0, Math.round(hoursLeft))} hours`]];
  else if (low.length > 0) [urgency, evidence.urgency] = ['low', low];
  else evidence.urgency = ['no urgency words'];

  // complexity: length, how many questions, how many options
  const opts = countOptions(text);
  let score = 0;
  if (words > 400) [score, evidence.complexity] = [score + 2, [...evidence.complexity, `${words} words`]];
  else if (words > 150) [score, evidence.complexity] = [score + 1, [...evidence.complexity, `${words} words`]];
  if (questionMarks >= 3) [score, evidence.complexity] = [score + 2, [...evidence.complexity, plural(questionMarks, 'question')]];
  else if (questionMarks === 2) [score, evidence.complexity] = [score + 1, [...evidence.complexity, '2 questions']];
  if (opts.count >= 3) [score, evidence.complexity] = [score + 2, [...evidence.complexity, `options: ${opts.words.join(', ')}`]];
  else if (opts.count === 2) [score, evidence.complexity] = [score + 1, [...evidence.complexity, `options: ${opts.words.join(', ')}`]];
  const complexity: Complexity = score >= 2 ? 'high' : score === 1 ? 'medium' : 'low';
  if (evidence.complexity.length === 0) evidence.complexity = [`${words} words, one point`];

  // needs discussion: asked for, or a decision between options
  const discussion = hits(text, DISCUSSION);
  let needsDiscussion = discussion.length > 0;
  evidence.needsDiscussion = discussion;
  if (!needsDiscussion && kind === 'decision_needed' && opts.count >= 2) {
    needsDiscussion = true;
    evidence.needsDiscussion = [`a decision between options (${opts.words.join(', ')})`];
  }

  const irreversible = hits(text, IRREVERSIBLE);
  evidence.reversible = irreversible.length > 0 ? irreversible : ['nothing irreversible mentioned'];

  const traits: TextTraits = {
    kind,
    urgency,
    ...(due ? { deadline: due.dueAt } : {}),
    audienceSize: options.audienceSize ?? 1,
    words,
    complexity,
    needsDiscussion,
    reversible: irreversible.length === 0,
  };
  for (const [key, value] of Object.entries(hints) as [keyof MessageTraits, unknown][]) {
    if (value === undefined) continue;
    (traits as unknown as Record<string, unknown>)[key] = key === 'deadline' ? new Date(value as string | number | Date) : value;
    if (key in evidence) evidence[key as TraitName] = ['given'];
  }
  return { traits, evidence };
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}
