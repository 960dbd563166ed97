/**
 * Items that share distinctive words with a query, scored like TF-IDF: each query word weighs what the caller gives
 * it times its inverse document frequency over the stored chunks, an item scores the weights of the distinct words
 * it contains, damped by its length. Full-text `ts_rank` knows nothing of how common a word is, so "patch" and
 * "spi-imx" count alike there; here a word most chunks contain barely counts and one a few hundred contain decides.
 *
 * Document frequencies are read from the GIN index at query time and capped: a word in more than `maxDocShare` of
 * the chunks is left out (it cannot tell items apart and would make the match scan everything). They are counted
 * over all chunks, not only the ones the asker may see: a word's weight says how common it is, never where.
 */
import { retrievalConditions, SqlParams } from './filters';
import type { RetrievalFilter, Sql } from './ports';

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
  /** score ÷ (body characters)^lengthDamping: longer items match more words by chance */
  lengthDamping: number;
}

export const DEFAULT_TERM_SEARCH: TermSearchOptions = { maxDocShare: 0.2, minDocCap: 2000, maxTerms: 30, lengthDamping: 0.3 };

export interface ItemHit {
  itemId: string;
  score: number;
}

export async function searchWeightedTerms(
  db: Sql,
  terms: readonly WeightedTerm[],
  filter: RetrievalFilter,
  limit: number,
  options: TermSearchOptions = DEFAULT_TERM_SEARCH,
): Promise<ItemHit[]> {
  const usable = terms.filter((t) => t.word.trim() !== '' && Number.isFinite(t.weight) && t.weight > 0);
  if (usable.length === 0 || limit <= 0) return [];
  const { rows: totals } = await db.query<{ n: string }>('SELECT count(*) AS n FROM chunks');
  const total = Number(totals[0]?.n ?? 0);
  if (total === 0) return [];
  const cap = Math.max(options.minDocCap, Math.ceil(options.maxDocShare * total));

  const params = new SqlParams();
  const words = params.add(usable.map((t) => t.word));
  const weights = params.add(usable.map((t) => t.weight));
  const capParam = params.add(cap);
  const totalParam = params.add(total);
  const where = retrievalConditions(filter, { access: 'i.access', kind: 'i.kind', itemId: 'i.id', threadId: 'i.thread_id', occurredAt: 'i.occurred_at' }, params);
  const { rows } = await db.query<{ item_id: string; score: number }>(
    `WITH input AS (
       SELECT u.word, u.weight, plainto_tsquery('english', u.word) AS query
       FROM unnest(${words}::text[], ${weights}::float8[]) AS u(word, weight)
     ),
     counted AS (
       SELECT word, weight, query,
              (SELECT count(*) FROM (SELECT 1 FROM chunks c WHERE c.tsv @@ input.query LIMIT ${capParam}) s) AS df
       FROM input WHERE numnode(query) > 0
     ),
     terms AS (
       SELECT word, query, weight * ln(${totalParam}::float8 / df) AS w
       FROM counted WHERE df > 0 AND df < ${capParam} AND df < ${totalParam}
       ORDER BY weight * ln(${totalParam}::float8 / df) DESC, word
       LIMIT ${params.add(options.maxTerms)}
     ),
     matched AS (
       SELECT c.item_id, t.word, max(t.w) AS w
       FROM terms t JOIN chunks c ON c.tsv @@ t.query
       GROUP BY c.item_id, t.word
     )
     SELECT i.id AS item_id, sum(m.w) / power(greatest(length(i.body), 200)::float8, ${params.add(options.lengthDamping)}) AS score
     FROM matched m JOIN items i ON i.id = m.item_id
     WHERE ${where}
     GROUP BY i.id
     ORDER BY score DESC, i.id
     LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map((r) => ({ itemId: r.item_id, score: Number(r.score) }));
}
