/**
 * The cues the local extractor reads, as compromise match patterns over tagged terms (contractions
 * expanded: "let's" = "let us", "I'll" = "i will", "won't" = "will not"). Each function looks at one
 * sentence (a compromise view) and says what kind of speech act it is.
 */
import type { Span, View } from './language';
import { firstMatch, matchWithGroup, spanOfView, termsOfView } from './language';

const DISCOURSE = '(okay|ok|so|alright|right|well|good|great|fine|sure|then|yes|yeah|and)';

export type DecisionKind = 'consensus' | 'directive' | 'proposal';

export interface DecisionCue {
  kind: DecisionKind;
  /** weak proposals ("we should…", "I'd say…") only count when someone reacts to them */
  strong: boolean;
  /** where the statement starts (after the marker) */
  statementStart: number;
  /** the sentence opens by agreeing ("Sure, let's park …", "Okay, let's go with that") */
  agreeingPrefix: boolean;
  negated: boolean;
}

/** Directive verbs that do not decide anything ("let's be quick", "let's get going", "let's see"). */
const NOT_DECIDING = new Set([
  'be', 'get', 'have', 'see', 'talk', 'wrap', 'note', 'hear', 'chat', 'meet', 'discuss', 'check', 'look', 'hope', 'say',
  'try', 'start', 'begin', 'continue', 'recap', 'review', 'take', 'think', 'focus', 'go over', 'circle', 'loop', 'kick',
]);

interface Rule {
  kind: DecisionKind;
  strong: boolean;
  pattern: string;
  /** the words to leave out of the statement, when not the whole pattern ("i want" of "i want a device matrix") */
  marker?: string;
}

const RULES: Rule[] = [
  { kind: 'consensus', strong: true, pattern: 'we have? (agreed|decided) (on|that|to)?' },
  { kind: 'consensus', strong: true, pattern: `^${DISCOURSE}? ${DISCOURSE}? (the|our|final)? decision (is|was)?` },
  { kind: 'consensus', strong: true, pattern: '(that is|it is) (settled|decided|final)' },
  { kind: 'consensus', strong: true, pattern: '^#Noun+ (is|are) final' },
  { kind: 'consensus', strong: true, pattern: 'we (are|will) (going with|go with|be going with)' },
  { kind: 'consensus', strong: true, pattern: `^${DISCOURSE}? (so|okay)? (the|our) (scope|plan) is` },
  { kind: 'consensus', strong: true, pattern: `^${DISCOURSE}? (so|okay)? to recap` },
  { kind: 'proposal', strong: true, pattern: '(i|we) (propose|suggest|recommend)' },
  { kind: 'proposal', strong: true, pattern: 'my (proposal|suggestion|recommendation) is' },
  { kind: 'proposal', strong: true, pattern: '(how about|what if we)' },
  { kind: 'proposal', strong: true, pattern: '(i|we) would (suggest|propose|recommend)' },
  { kind: 'proposal', strong: false, pattern: 'i would (say|raise|go|keep|drop|cut|move|ship|use|switch|lower|add|remove)' },
  { kind: 'proposal', strong: false, pattern: 'we should not? #Verb', marker: 'we should' },
  { kind: 'proposal', strong: false, pattern: 'i want (a|an|the)? #Adjective? #Noun', marker: 'i want' },
];

/** What kind of decision statement the sentence is, if any. */
export function decisionCue(view: View, text: string): DecisionCue | undefined {
  const agreeingPrefix = agreement(view, text) === 'agree';
  const directive = matchWithGroup(view, 'let us not? [#Verb]', text);
  if (directive && !NOT_DECIDING.has(infinitiveOf(view, directive.group))) {
    return {
      kind: 'directive',
      strong: true,
      statementStart: directive.match.start,
      agreeingPrefix,
      negated: firstMatch(view, 'let us not', text) !== undefined,
    };
  }
  for (const rule of RULES) {
    const m = firstMatch(view, rule.pattern, text);
    if (!m) continue;
    const marker = rule.marker ? (firstMatch(view, rule.marker, text) ?? m) : m;
    return { kind: rule.kind, strong: rule.strong, statementStart: marker.end, agreeingPrefix, negated: false };
  }
  // "Agreed, prices come from the stores, no hand formatting." — agreeing AND restating: a consensus statement
  const agreedRestated = firstMatch(view, '^agreed', text);
  if (agreedRestated && termsOfView(view).filter((t) => t.tags.has('Noun')).length >= 2) {
    return { kind: 'consensus', strong: true, statementStart: agreedRestated.end, agreeingPrefix: true, negated: false };
  }
  return undefined;
}

function infinitiveOf(view: View, verb: Span): string {
  // clone: toInfinitive() rewrites the document it runs on (and would shift every later offset)
  const match = ((view.match(verb.text) as View).clone() as View).verbs();
  const inf = (match.toInfinitive().text('normal') as string) || verb.text.toLowerCase();
  return inf.trim();
}

const AGREE = [
  '^(agreed|fine|sure|yes|yep|yeah|ok|okay|great|perfect|deal|lgtm|absolutely|exactly|correct|good|nice)',
  '^(sounds|sound) (good|great|fine|right)',
  '^(fine|good|okay) (by|with) (me|us)',
  '^(makes|make) sense',
  '^(that|this|it) (works|work)',
  '^works for (me|us)',
  '^(fair|good) (point|call|idea)',
  '^(i|we) agree',
  '^love (it|that)',
  '^#Noun+ is (good|fine|great)',
];
const REJECT = [
  '^(no|nope|nah)',
  'let us not',
  '(i|we) (disagree|object)',
  'i do not (think|agree)',
  '^i would rather not',
  '(bad|terrible) idea',
  'not convinced',
];

/** Whether the sentence agrees or disagrees with what was just said (its first words decide). */
export function agreement(view: View, text: string): 'agree' | 'reject' | undefined {
  const raw = (view.text() as string).trim();
  if (/^(?:\+1|👍|✅)/u.test(raw)) return 'agree';
  if (/^(?:-1|👎)/u.test(raw)) return 'reject';
  if (REJECT.some((p) => firstMatch(view, p, text))) return 'reject';
  if (AGREE.some((p) => firstMatch(view, p, text))) return 'agree';
  return undefined;
}

/** "I need to look at it first", "not sure", "can we decide next week?": no answer (yet). */
export function isDeferral(view: View, text: string): boolean {
  return [
    '(need|have) to (look|check|think|confirm|find|ask|dig)',
    'let me (check|look|think|confirm|find|ask|get back)',
    'get back to',
    'do not know',
    'not sure',
    'no idea',
    '(decide|discuss|revisit|talk) (about)? (this|it|that)? (later|next|tomorrow)',
    'can we (decide|discuss|revisit|talk)',
    '(park|parking|defer|postpone|table|punt) * (until|till|to) (later|next)',
  ].some((p) => firstMatch(view, p, text));
}

/** A commitment by the speaker: "I'll write it", "I'm going to …". Returns the verb span. */
export function selfCommitment(view: View, text: string): { match: Span; verb: Span } | undefined {
  for (const pattern of ['i will [#Verb]', 'i am going to [#Verb]', 'i can (#Adverb)? [#Verb] (it|that|this)', 'i will #Adverb [#Verb]']) {
    const m = matchWithGroup(view, pattern, text);
    if (!m) continue;
    if (firstMatch(view, 'i (will|am|can) #Negative', text)) return undefined;
    if (NOT_COMMITTING.has(infinitiveOf(view, m.group))) continue;
    return { match: m.match, verb: m.group };
  }
  return undefined;
}

/** Verbs after "I'll" that commit to nothing ("I'll need Dev", "I'll be there", "I'd assume"). */
const NOT_COMMITTING = new Set(['need', 'be', 'want', 'like', 'assume', 'think', 'guess', 'bet', 'survive', 'see', 'let', 'say', 'miss', 'love', 'hate', 'hope']);

/** A request to someone else: "can you own that?", "please add …", "can someone own …". */
export function request(view: View, text: string): { match: Span; verb: Span; anyone: boolean } | undefined {
  const patterns: [string, boolean][] = [
    ['(can|could|would|will) you please? [#Verb]', false],
    ['^please [#Verb]', false],
    ['(can|could|would) (someone|somebody|anyone|anybody) [#Verb]', true],
  ];
  for (const [pattern, anyone] of patterns) {
    const m = matchWithGroup(view, pattern, text);
    if (!m) continue;
    if (['tell', 'let', 'imagine', 'believe', 'see', 'hear', 'remind'].includes(infinitiveOf(view, m.group))) continue;
    return { match: m.match, verb: m.group, anyone };
  }
  return undefined;
}

/** "Yes", "Sure", "Will do", "On it", "I'll take it": taking on what was asked. */
export function isAcceptance(view: View, text: string): boolean {
  if (agreement(view, text) === 'agree') return true;
  return ['^will do', '^on it', '^happy to', '^(i|i will) (take|do|handle|own) (it|that|this)', '^i will$'].some((p) => firstMatch(view, p, text));
}

/**
 * The rationale inside a sentence: the clause after "because", "since" (not "since Monday"),
 * "given that", "due to", "so that" or a purpose "so we can …".
 */
export function reasonClause(view: View, text: string): Span | undefined {
  for (const pattern of ['(because|given that|due to|so that) .+', 'since !(#Date|#Value) .+', 'so (we|it|they|you|i|the|people|users) .+']) {
    const m = firstMatch(view, pattern, text);
    const sentence = spanOfView(view, text);
    if (m && sentence && m.start > sentence.start) return stripEnd(m, text);
  }
  return undefined;
}

/** A sentence that gives a reason for something said nearby: "if X, we can't …", "otherwise …", "because …". */
export function isReasonSentence(view: View, text: string): boolean {
  if (['because', 'otherwise', 'the risk is', 'in case', 'since !(#Date|#Value)'].some((p) => firstMatch(view, p, text))) return true;
  return firstMatch(view, '(if|once)', text) !== undefined && firstMatch(view, '(#Modal #Negative|no way)', text) !== undefined;
}

function stripEnd(span: Span, text: string): Span {
  let end = span.end;
  while (end > span.start && /[.!?;:,]/.test(text[end - 1] ?? '')) end--;
  return { start: span.start, end, text: text.slice(span.start, end) };
}

/** Facilitation that is not a question worth tracking ("Anything else?", "Any objections?", "Bob?"). */
export function isTrivialQuestion(view: View, text: string): boolean {
  const words = termsOfView(view).filter((t) => /[\p{L}\p{N}]/u.test(t.text));
  if (words.length < 3) return true;
  return ['^(anything|something|anyone|anybody) else', '^any (objections|questions|thoughts|concerns)', '^(can|may) i'].some((p) =>
    firstMatch(view, p, text),
  );
}

/** Work reported as finished: "merged", "shipped", "is live", "here's the draft", "as promised". */
export function completionCue(view: View, text: string): Span | undefined {
  for (const pattern of [
    '(done|shipped|merged|sent|posted|finished|completed|landed|published|submitted|fixed|linked|deployed|released|uploaded|verified|wrote|written|filed|created)',
    'is (now)? (live|up|out|ready|merged|done|in)',
    '(here is|attached|as promised)',
  ]) {
    const m = firstMatch(view, pattern, text);
    if (m) return m;
  }
  return undefined;
}

/** "instead", "no longer", "move X to …", "change of plan": a later statement replacing an earlier one. */
export function replacementCue(view: View, text: string): Span | undefined {
  for (const pattern of [
    'instead',
    'no longer',
    'change of plans?',
    '(switch|switching|switched) to',
    '(move|moving|moved|push|pushing|pushed|postpone|postponing|postponed|delay|delaying|delayed|bring|bringing|brought) * (to|until|back|forward)',
    '(revert|reverse|scrap|replace|override|overturn|cancel)',
    'rather than',
    'not anymore',
    'scratch that',
  ]) {
    const m = firstMatch(view, pattern, text);
    if (m) return m;
  }
  return undefined;
}
