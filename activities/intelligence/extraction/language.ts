/**
 * The language layer of the local extractor, over compromise (tokenizer, POS tagger, contractions,
 * match syntax over tags): sentences with exact character offsets, matches as offsets into the
 * original text (so every quote is verbatim), noun phrases for topics, and normalized content terms
 * for matching one statement against another.
 */
import nlp from 'compromise';
import { eng, removeStopwords } from 'stopword';

export type View = ReturnType<typeof nlp>;
export type Lexicon = Record<string, string>;

export interface Span {
  start: number;
  end: number;
  text: string;
}

export interface Sentence extends Span {
  /** the sentence as a compromise view (matches on it report offsets into the whole text) */
  view: View;
  index: number;
}

interface OffsetJson {
  text: string;
  offset?: { start: number; length: number };
  terms?: { text: string; normal: string; tags: string[]; offset?: { start: number; length: number }; implicit?: string; post?: string }[];
}

/** compromise's json(), typed for the two shapes used here (its own typings do not admit `terms: false`). */
export function jsonOf(view: { json: unknown }, withTerms = false): OffsetJson[] {
  const options = withTerms ? { offset: true, terms: { offset: true } } : { offset: true, terms: false };
  return (view.json as (this: unknown, o: unknown) => unknown).call(view, options) as OffsetJson[];
}

export function parse(text: string, lexicon?: Lexicon): View {
  return nlp(text, lexicon);
}

/** Sentences of `text` (as parsed into `doc`), each with its exact offsets and trimmed text. */
export function sentencesOf(doc: View, text: string): Sentence[] {
  const out: Sentence[] = [];
  const views = doc.sentences();
  const json = jsonOf(views);
  json.forEach((s, i) => {
    const span = trimSpan(text, s.offset?.start ?? text.indexOf(s.text), (s.offset?.start ?? 0) + (s.offset?.length ?? s.text.length));
    if (!span || !/[\p{L}\p{N}]/u.test(span.text)) return;
    out.push({ ...span, view: views.eq(i) as View, index: out.length });
  });
  return out;
}

/** A span with surrounding whitespace removed; undefined when nothing is left. */
export function trimSpan(text: string, start: number, end: number): Span | undefined {
  let s = Math.max(0, start);
  let e = Math.min(text.length, end);
  while (s < e && /\s/.test(text[s] ?? '')) s++;
  while (e > s && /\s/.test(text[e - 1] ?? '')) e--;
  if (e <= s) return undefined;
  return { start: s, end: e, text: text.slice(s, e) };
}

/** Offsets of every match of `pattern` in `view`, in order. */
export function matchSpans(view: View, pattern: string, text: string): Span[] {
  const m = view.match(pattern);
  if (!m.found) return [];
  return jsonOf(m).flatMap((j) => {
    if (!j.offset) return [];
    const span = trimSpan(text, j.offset.start, j.offset.start + j.offset.length);
    return span ? [span] : [];
  });
}

export function firstMatch(view: View, pattern: string, text: string): Span | undefined {
  return matchSpans(view, pattern, text)[0];
}

/** The first match of `pattern` with its capture group `group` (default the first unnamed one). */
export function matchWithGroup(view: View, pattern: string, text: string, group = '0'): { match: Span; group: Span } | undefined {
  const m = view.match(pattern);
  if (!m.found) return undefined;
  const match = spanOfView(m.eq(0) as View, text);
  const groups = m.groups(group) as View | undefined;
  if (!match || !groups?.found) return undefined;
  const spans = jsonOf(groups).flatMap((j) =>
    j.offset ? [trimSpan(text, j.offset.start, j.offset.start + j.offset.length)] : [],
  );
  const inside = spans.find((g): g is Span => g !== undefined && g.start >= match.start && g.end <= match.end);
  return inside ? { match, group: inside } : undefined;
}

export function spanOfView(view: View, text: string): Span | undefined {
  const json = jsonOf(view);
  const first = json[0];
  const last = json[json.length - 1];
  if (!first?.offset || !last?.offset) return undefined;
  return trimSpan(text, first.offset.start, last.offset.start + last.offset.length);
}

/** Terms (tokens) of a view with their tags and offsets; contractions expanded ("I'll" → i + will). */
export interface Term {
  text: string;
  normal: string;
  tags: Set<string>;
  start: number;
  end: number;
  /** punctuation and space after the term */
  post: string;
}

export function termsOfView(view: View): Term[] {
  const json = jsonOf(view, true);
  const out: Term[] = [];
  for (const s of json) {
    for (const t of s.terms ?? []) {
      const start = t.offset?.start ?? 0;
      out.push({ text: t.text, normal: t.implicit ?? t.normal, tags: new Set(t.tags), start, end: start + (t.offset?.length ?? 0), post: t.post ?? '' });
    }
  }
  return out;
}

// ---- content terms, shared with the decision store's matching

/** Light stemming so "stores"/"store", "runbooks"/"runbook" compare equal. */
export function stem(term: string): string {
  if (term.length > 4 && term.endsWith('ies')) return `${term.slice(0, -3)}y`;
  if (term.length > 4 && /(?:x|ch|sh|ss)es$/.test(term)) return term.slice(0, -2);
  if (term.length > 3 && term.endsWith('s') && !term.endsWith('ss') && !term.endsWith('us') && !/\d/.test(term)) return term.slice(0, -1);
  return term;
}

/** Words that say nothing about what a statement is about, on top of the stop words. */
const GENERIC = new Set([
  'decision', 'decide', 'decided', 'agreed', 'agree', 'okay', 'sure', 'fine', 'yes', 'thank', 'thanks', 'please', 'yeah',
  'make', 'makes', 'made', 'done', 'do', 'does', 'doing', 'have', 'has', 'had', 'get', 'got', 'put', 'take', 'own', 'owns',
  'today', 'tomorrow', 'week', 'next', 'last', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday',
  'morning', 'afternoon', 'end', 'day', 'time', 'thing', 'things', 'something', 'anything', 'everyone', 'everything', 'both',
  'first', 'still', 'now', 'then', 'there', 'here', 'really', 'actually', 'maybe', 'sounds', 'good', 'great', 'right',
  'no', 'go', 'until', 'without', 'per', 'using', 'plus', 'via', 'also', 'instead', 'anyway', 'able', 'around', 'soon', 'later',
]);

/** Normalized content terms: lower-cased, stop words and generic talk removed, lightly stemmed, unique. Numbers stay ("iOS 15" ≠ "iOS 16"). */
export function contentTerms(text: string): string[] {
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_.'’/-]*[\p{L}\p{N}]|[\p{L}\p{N}]/gu) ?? [];
  const out = new Set<string>();
  for (const raw of removeStopwords(tokens.map((t) => t.replace(/['’]s$/, '')), eng)) {
    const t = stem(raw);
    if (GENERIC.has(t) || GENERIC.has(raw)) continue;
    if (t.length < 2 && !/\d/.test(t)) continue;
    out.add(t);
  }
  return [...out];
}

/** |a ∩ b| and the overlap coefficient |a ∩ b| / min(|a|, |b|). */
export function overlap(a: readonly string[], b: readonly string[]): { shared: string[]; coefficient: number } {
  const bs = new Set(b);
  const shared = [...new Set(a)].filter((t) => bs.has(t));
  const min = Math.min(new Set(a).size, bs.size);
  return { shared, coefficient: min === 0 ? 0 : shared.length / min };
}

// ---- topics

const TOPIC_DROP = ['Determiner', 'Pronoun', 'Possessive', 'Date', 'Person', 'Preposition', 'Conjunction', 'Adverb', 'Expression'];
const QUANTIFIERS = new Set(['no', 'any', 'some', 'every', 'all', 'each', 'other', 'both', 'the', 'a', 'an']);

/**
 * The key noun phrase of a statement: the first noun phrase (compromise) with a real content word,
 * without determiners, quantifiers, dates and names, and with a participle right before it kept
 * ("phased release"); falls back to the first content terms.
 */
export function topicOf(statement: string): string {
  const doc = nlp(statement);
  const all = termsOfView(doc);
  for (const phrase of jsonOf(doc.nouns(), true)) {
    const terms = phrase.terms ?? [];
    const firstStart = terms[0]?.offset?.start;
    const index = all.findIndex((t) => t.start === firstStart);
    const before = index > 0 ? all[index - 1] : undefined;
    const beforeThat = index > 1 ? all[index - 2] : undefined;
    const participle =
      before && before.tags.has('PastTense') && beforeThat && (beforeThat.tags.has('Preposition') || beforeThat.tags.has('Determiner'))
        ? [before.normal]
        : [];
    const words = [
      ...participle,
      ...terms.filter((t) => !t.tags.some((tag) => TOPIC_DROP.includes(tag)) || t.tags.includes('Acronym')).map((t) => t.normal),
    ]
      .map((w) => w.replace(/[^\p{L}\p{N}_.+#/-]+/gu, '').replace(/[.]+$/, ''))
      .filter((w) => w.length > 0 && !QUANTIFIERS.has(w));
    const topic = words.join(' ').trim();
    if (contentTerms(topic).some((t) => /\p{L}/u.test(t))) return topic;
  }
  return contentTerms(statement).slice(0, 3).join(' ') || statement.trim().toLowerCase().slice(0, 60);
}
