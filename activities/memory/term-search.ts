/**
 * Items that share distinctive words with a query, scored like TF-IDF: each query word weighs what the caller gives
 * it times its inverse document frequency over the stored chunks, an item scores the weights of the distinct words
 * it contains, damped by its length. Full-text `ts_rank` knows nothing of how common a word is, so "patch" and
 * "spi-imx" count alike there; here a word most chunks contain barely counts and one a few hundred contain decides.
 *
 * Document frequencies are read from the GIN index and capped: a word in more than `maxDocShare` of the chunks is
 * left out (it cannot tell items apart and would make the match scan everything). They are counted over all
 * chunks, not only the ones the asker may see: a word's weight says how common it is, never where.
 */
import { MAX_CHUNK_CHARS } from './chunking';
import { commonWordCap } from './full-text-match';
import { retrievalConditions, SqlParams } from './filters';
import type { RetrievalFilter, Sql } from './ports';
import { itemAddressed } from './rows';

export interface WeightedTerm {
  /** a word as written or stemmed; Postgres normalizes it with the same configuration as the index */
  word: string;
  /** how much the query cares about it (e.g. 1 + ln tf, more for title words) */
  weight: number;
}

export interface TermSearchOptions {
  /** words in more than this share of the chunks are left out… */
  maxDocShare: number;
  /** …unless in fewer than this many: a small memory's common words still tell items apart, and cost little */
  minDocCap: number;
  /** at most this many words, the heaviest by weight × idf */
  maxTerms: number;
  /** score ÷ (characters read)^lengthDamping: longer items match more words by chance */
  lengthDamping: number;
  /**
   * only an item's first chunks are read (where a message says what it is about; quoted history and signatures come
   * later); null reads them all
   */
  openingChunks: number | null;
  /**
   * a word an item repeats counts more, saturating (Postgres ts_rank: 1, 1.25, 1.36, … up to 1.64 times); 'binary'
   * counts it once
   */
  termFrequency: 'saturating' | 'binary';
}

export const DEFAULT_TERM_SEARCH: TermSearchOptions = {
  maxDocShare: 0.05,
  minDocCap: 2000,
  maxTerms: 30,
  lengthDamping: 0.3,
  openingChunks: 3,
  termFrequency: 'saturating',
};

/** ts_rank of one lexeme at weight 1 is (1 + Σ_{j≥2} 1/j²)/ζ(2) over its positions: × ζ(2) makes a single use count 1 */
const ZETA_2 = Math.PI ** 2 / 6;

/** narrower than a RetrievalFilter, for this search only */
export interface TermSearchScope {
  /** only items this person wrote */
  authorId?: string;
  /** only items that went to someone besides their author (a post whose recipients are unknown names nobody) */
  addressed?: boolean;
}

export interface ItemHit {
  itemId: string;
  score: number;
}

/**
 * Document frequencies change slowly and the same words come back query after query: they are remembered for a
 * while per process (a few thousand words), so a search counts only the words it has not seen lately.
 */
export class TermStatistics {
  /** a count that reached its cap only says "at least": it serves caps up to that one */
  readonly #df = new Map<string, { df: number; cap: number; at: number }>();
  #total: { n: number; at: number } | undefined;

  constructor(
    private readonly options: { ttlMs: number; maxWords: number; now: () => number } = { ttlMs: 10 * 60_000, maxWords: 50_000, now: Date.now },
  ) {}

  async total(db: Sql): Promise<number> {
    const now = this.options.now();
    if (this.#total && now - this.#total.at < this.options.ttlMs) return this.#total.n;
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM chunks');
    this.#total = { n: Number(rows[0]?.n ?? 0), at: now };
    return this.#total.n;
  }

  /** df of each word (counted up to `cap`: a word at the cap is "too common"); words with no lexeme are left out */
  async frequencies(db: Sql, words: readonly string[], cap: number): Promise<Map<string, number>> {
    const now = this.options.now();
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const w of new Set(words)) {
      const known = this.#df.get(w);
      if (known && now - known.at < this.options.ttlMs && (known.df < known.cap || cap <= known.cap)) out.set(w, Math.min(known.df, cap));
      else missing.push(w);
    }
    if (missing.length > 0) {
      const { rows } = await db.query<{ word: string; df: string | null }>(
        `SELECT word, CASE WHEN numnode(plainto_tsquery('english', word)) = 0 THEN NULL
                      ELSE (SELECT count(*) FROM (SELECT 1 FROM chunks c WHERE c.tsv @@ plainto_tsquery('english', word) LIMIT $2) s) END AS df
         FROM unnest($1::text[]) AS u(word)`,
        [missing, cap],
      );
      if (this.#df.size + rows.length > this.options.maxWords) this.#df.clear();
      for (const r of rows) {
        const df = r.df === null ? 0 : Number(r.df);
        this.#df.set(r.word, { df, cap, at: now });
        out.set(r.word, df);
      }
    }
    return out;
  }
}

/** what the filter and the score read of a matched item */
const LOOKUP_COLUMNS = 'i.id, i.body, i.access, i.kind, i.thread_id, i.occurred_at, i.author_id, i.recipients';

/** one search of a batch (searchWeightedTermsEach): its words, how many items it wants, and its scope */
export interface WeightedTermSearch {
  terms: readonly WeightedTerm[];
  limit: number;
  scope?: TermSearchScope;
}

export async function searchWeightedTerms(
  db: Sql,
  terms: readonly WeightedTerm[],
  filter: RetrievalFilter,
  limit: number,
  scope: TermSearchScope = {},
  options: TermSearchOptions = DEFAULT_TERM_SEARCH,
  statistics: TermStatistics = new TermStatistics(),
): Promise<ItemHit[]> {
  return (await searchWeightedTermsEach(db, [{ terms, limit, scope }], filter, options, statistics))[0]!;
}

/**
 * Several term searches under one filter (routing asks three: the subject's words, the asker's own items, the title's
 * words) in one scan: the chunks holding any word of any search are matched and tested against each word once, and
 * each search sums only its own words in its own order — the same scores, and so the same hits, as searched apart.
 * Returns one list per search, in order.
 */
export async function searchWeightedTermsEach(
  db: Sql,
  searches: readonly WeightedTermSearch[],
  filter: RetrievalFilter,
  options: TermSearchOptions = DEFAULT_TERM_SEARCH,
  statistics: TermStatistics = new TermStatistics(),
): Promise<ItemHit[][]> {
  const out: ItemHit[][] = searches.map(() => []);
  const usable = searches.map((q) => (q.limit > 0 ? q.terms.filter((t) => t.word.trim() !== '' && Number.isFinite(t.weight) && t.weight > 0) : []));
  if (usable.every((u) => u.length === 0)) return out;
  const total = await statistics.total(db);
  if (total === 0) return out;
  const cap = commonWordCap(total, options);
  const df = await statistics.frequencies(db, usable.flat().map((t) => t.word), cap);
  const chosen = usable.map((terms) =>
    terms
      .flatMap((t) => {
        const n = df.get(t.word) ?? 0;
        return n > 0 && n < cap && n < total ? [{ word: t.word, w: t.weight * Math.log(total / n) }] : [];
      })
      .sort((a, b) => b.w - a.w || (a.word < b.word ? -1 : 1))
      .slice(0, options.maxTerms),
  );
  const asked = searches.flatMap((q, i) => (chosen[i]!.length > 0 ? [i] : []));
  if (asked.length === 0) return out;

  const params = new SqlParams();
  // One index scan for all the words (the OR of their queries), then each matched chunk is tested against each word,
  // with every word's query a constant. Not a join against a list of queries: that let the planner test every chunk
  // against every word. Not one scan per word either: a chunk holding several of the words was read once per word.
  const opening = options.openingChunks === null ? '' : ` AND c.position < ${params.add(options.openingChunks)}`;
  const column = new Map<string, string>();
  const words: string[] = [];
  for (const i of asked) {
    for (const { word } of chosen[i]!) {
      if (column.has(word)) continue;
      column.set(word, `u${column.size}`);
      words.push(`plainto_tsquery('english', ${params.add(word)})`);
    }
  }
  const perWord = words.map((query, k) => {
    // a word of several lexemes ("spi-imx") is ranked by proximity, not by use: it counts once per chunk
    const uses =
      options.termFrequency === 'binary'
        ? `c.tsv @@ ${query}`
        : `CASE WHEN c.tsv @@ ${query} THEN CASE WHEN numnode(${query}) = 1 THEN ts_rank('{1,1,1,1}', c.tsv, ${query}, 0) * ${ZETA_2} ELSE 1 END ELSE 0 END`;
    return `${uses} AS u${k}`;
  });
  // per item, per search: each of its words' weight × the word's uses summed over the item's chunks ('binary': × 1 if
  // any chunk has it), in the search's own order
  const itemScores = asked.map((i) =>
    chosen[i]!
      .map(({ word, w }) => {
        const u = column.get(word)!;
        return `${params.add(w)}::float8 * ${options.termFrequency === 'binary' ? `(bool_or(${u}))::int` : `sum(${u})`}`;
      })
      .join(' + '),
  );
  const readLength = options.openingChunks === null ? 'length(i.body)' : `least(length(i.body), ${params.add(options.openingChunks * MAX_CHUNK_CHARS)})`;
  const damping = params.add(options.lengthDamping);
  const where = retrievalConditions(filter, { access: 'i.access', kind: 'i.kind', itemId: 'i.id', threadId: 'i.thread_id', occurredAt: 'i.occurred_at' }, params);
  const ranked = asked.map((i, j) => {
    const { authorId: author, addressed } = searches[i]!.scope ?? {};
    return `(SELECT ${i} AS search, id AS item_id, s${j} AS score FROM scored WHERE s${j} > 0${author ? ` AND author_id = ${params.add(author)}` : ''}${addressed ? ' AND addressed' : ''}
       ORDER BY s${j} DESC, id LIMIT ${params.add(searches[i]!.limit)})`;
  });
  // The matched items are summed first, then each one's item row is read by primary key and filtered (LATERAL; its
  // LIMIT 1 keeps the planner from flattening it into a join or pushing the filter into it). A plain join leaves the
  // order to estimates the planner does not have for a materialized CTE (nor for items where nothing has analyzed
  // them, as in PGlite): it put items outside and rescanned the whole CTE per item — 1,000 items × 2,000 matches, ~1 s
  // a search at 2,000 chunks — or, scoped to an author, probed the author index once per match. This reads one row
  // per matched item, for all the searches.
  const { rows } = await db.query<{ search: number; item_id: string; score: number }>(
    `WITH matched AS MATERIALIZED (
       SELECT c.item_id, ${perWord.join(', ')} FROM chunks c WHERE c.tsv @@ (${words.join(' || ')})${opening}),
     per_item AS MATERIALIZED (SELECT item_id, ${itemScores.map((e, j) => `${e} AS w${j}`).join(', ')} FROM matched GROUP BY item_id),
     scored AS MATERIALIZED (
       SELECT i.id, i.author_id, ${itemAddressed('i')} AS addressed,
              ${asked.map((_, j) => `m.w${j} / power(greatest(${readLength}, 200)::float8, ${damping}) AS s${j}`).join(', ')}
       FROM per_item m
       CROSS JOIN LATERAL (SELECT ${LOOKUP_COLUMNS} FROM items i WHERE i.id = m.item_id LIMIT 1) i
       WHERE ${where})
     SELECT * FROM (${ranked.join('\n     UNION ALL ')}) r ORDER BY search, score DESC, item_id`,
    params.values,
  );
  for (const r of rows) out[Number(r.search)]!.push({ itemId: r.item_id, score: Number(r.score) });
  return out;
}
