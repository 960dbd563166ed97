/**
 * Text processing for `ask`: word tokens, stop words, Porter stems, and the reduction of a
 * question to the words that carry its topic ("What did the group discuss about the budget?"
 * → budget).
 */
import { stemmer } from 'stemmer';

/** Lower-cased runs of letters and digits; apostrophes inside a word are dropped ("don't" → "dont"). */
export function words(text: string): string[] {
  return stripAnnotations(text)
    .toLowerCase().replace(/(\p{L})['’](\p{L})/gu, '$1$2').match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Transcription annotations in braces or brackets ("{disfmarker}", "[laughter]") are not words said. */
export function stripAnnotations(text: string): string {
  return text.replace(/\{[^{}]*\}|\[[^[\]]*\]/g, ' ');
}

/**
 * English function words plus the fillers of spoken meetings ("um", "yeah", "okay"): words that
 * say nothing about a topic, in a question or in a transcript turn.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  // function words
  'a', 'about', 'above', 'after', 'again', 'against', 'all', 'am', 'an', 'and', 'any', 'are', 'as', 'at',
  'be', 'because', 'been', 'before', 'being', 'below', 'between', 'both', 'but', 'by', 'can', 'could',
  'did', 'do', 'does', 'doing', 'down', 'during', 'each', 'few', 'for', 'from', 'further', 'had', 'has',
  'have', 'having', 'he', 'her', 'here', 'hers', 'herself', 'him', 'himself', 'his', 'how', 'i', 'if',
  'in', 'into', 'is', 'it', 'its', 'itself', 'just', 'me', 'might', 'more', 'most', 'must', 'my', 'myself',
  'no', 'nor', 'not', 'now', 'of', 'off', 'on', 'once', 'only', 'or', 'other', 'ought', 'our', 'ours',
  'ourselves', 'out', 'over', 'own', 'same', 'shall', 'she', 'should', 'so', 'some', 'such', 'than',
  'that', 'the', 'their', 'theirs', 'them', 'themselves', 'then', 'there', 'these', 'they', 'this',
  'those', 'through', 'to', 'too', 'under', 'until', 'up', 'upon', 'us', 'very', 'was', 'we', 'were',
  'what', 'when', 'where', 'which', 'while', 'who', 'whom', 'whose', 'why', 'will', 'with', 'would',
  'you', 'your', 'yours', 'yourself', 'yourselves', 'also', 'yet', 'ever', 'even', 'still', 'there',
  // contractions, apostrophes removed
  'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'cant', 'couldnt', 'wouldnt', 'shouldnt',
  'wont', 'hasnt', 'havent', 'hadnt', 'im', 'ive', 'id', 'ill', 'youre', 'youve', 'youd', 'youll', 'hes',
  'shes', 'its', 'were', 'weve', 'wed', 'well', 'theyre', 'theyve', 'theyd', 'theyll', 'thats', 'theres',
  'whats', 'lets', 's', 't', 'd', 'll', 're', 've', 'm',
  // spoken fillers
  'um', 'uh', 'umm', 'uhm', 'hmm', 'mm', 'mhm', 'hm', 'ah', 'oh', 'er', 'erm', 'eh', 'yeah', 'yep', 'yes',
  'okay', 'ok', 'right', 'like', 'know', 'mean', 'gonna', 'wanna', 'kind', 'sort', 'actually', 'really',
  'basically', 'thing', 'things', 'something', 'anything', 'get', 'got', 'go', 'going', 'one',
]);

/**
 * The words a question is phrased with rather than about: asking, discussing, deciding, the
 * meeting and its participants in general. They are dropped from the query terms (what is
 * decided is detected separately, as an intent: see questionIntent).
 */
export const QUESTION_WORDS: ReadonlySet<string> = new Set([
  'what', 'which', 'who', 'whom', 'whose', 'why', 'how', 'when', 'where', 'whether',
  'discuss', 'discussed', 'discussing', 'discussion', 'discussions', 'talk', 'talked', 'talking', 'talks',
  'say', 'said', 'says', 'saying', 'mention', 'mentioned', 'mentions', 'think', 'thought', 'thinks',
  'thoughts', 'opinion', 'opinions', 'view', 'views', 'summarize', 'summarise', 'summarized', 'summary',
  'describe', 'described', 'explain', 'explained', 'tell', 'told', 'reason', 'reasons', 'regarding',
  'concerning', 'respect', 'raise', 'raised', 'bring', 'brought', 'suggest', 'suggested', 'suggestion',
  'suggestions', 'propose', 'proposed', 'proposal', 'express', 'expressed', 'feel', 'felt', 'believe',
  'decide', 'decided', 'decision', 'decisions', 'agree', 'agreed', 'agreement', 'conclude', 'concluded',
  'conclusion', 'conclusions', 'consider', 'considered', 'group', 'team', 'meeting', 'meetings', 'everyone',
  'anyone', 'someone', 'people', 'participants', 'members', 'member', 'part', 'details', 'detail',
  'specific', 'specifically', 'exactly', 'mainly', 'main', 'overall', 'general', 'generally', 'according',
  'point', 'points', 'idea', 'ideas', 'attitude', 'stance', 'position', 'comment', 'comments', 'happen',
  'happened', 'doing', 'done', 'make', 'made',
]);

/** Porter stem of a lower-cased word. */
export function stem(word: string): string {
  return stemmer(word);
}

/** Stems of the content words of a text (stop words removed): the terms a turn is indexed by. */
export function contentTerms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .map(stem);
}

export type QuestionIntent = 'decision' | 'reason' | 'general';

const DECISION_WORDS = /\b(decid\w*|decision\w*|agree\w*|conclu\w*|settle\w*|resolv\w*|outcome)\b/i;
const REASON_WORDS = /^\s*why\b|\breasons?\b|\bwhy\b/i;

/** What kind of answer a question wants; a decision question favours turns that state one. */
export function questionIntent(question: string): QuestionIntent {
  if (DECISION_WORDS.test(question)) return 'decision';
  if (REASON_WORDS.test(question)) return 'reason';
  return 'general';
}

/**
 * The weighted terms of a question: its content words, stemmed, unique, in order. Topic words
 * weigh 1; the words it is phrased with (QUESTION_WORDS) keep a small weight, so they only
 * break ties and still find something when the question has no other word; `ignore` (words
 * that name a participant, say) are left out.
 */
export function queryWeights(
  question: string,
  opts: { questionWordWeight?: number; ignore?: ReadonlySet<string> } = {},
): Map<string, number> {
  const low = opts.questionWordWeight ?? 0;
  const weights = new Map<string, number>();
  for (const w of words(question)) {
    if (STOP_WORDS.has(w) || opts.ignore?.has(w)) continue;
    const term = stem(w);
    const weight = QUESTION_WORDS.has(w) ? low : 1;
    if (weight > 0 && weight > (weights.get(term) ?? 0)) weights.set(term, weight);
  }
  return weights;
}

/** The topic terms of a question (QUESTION_WORDS left out). */
export function queryTerms(question: string): string[] {
  return [...queryWeights(question).keys()];
}

/**
 * Sentences of a turn: split after . ! ? (and …) followed by a space; transcripts that space
 * their punctuation ("so , this is it .") are handled too.
 */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+(?=\S)/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
