/**
 * The one translation of a RetrievalFilter into SQL, shared by full-text search and both SQL
 * vector indexes, so the access rule cannot drift between them.
 */
import type { RetrievalFilter } from './ports';

/** Collects positional parameters: `params.add(v)` returns its `$n`. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Column expressions the filter applies to, e.g. `i.access` or `access`. */
export interface FilterColumns {
  access: string;
  kind: string;
  itemId: string;
  threadId: string;
  occurredAt: string;
}

/**
 * The people a retrieval is on behalf of, normalized like PersonId. An empty list is refused:
 * `access @> '{}'` is true for every row, so "nobody" would silently mean "everything".
 */
export function visibleToOf(filter: RetrievalFilter): string[] {
  const people = [...new Set(filter.visibleTo.map((p) => p.trim().toLowerCase()))].filter((p) => p.length > 0);
  if (people.length === 0) throw new Error('retrieval needs at least one person in filter.visibleTo');
  return people;
}

/** SQL conditions (joined by AND) for the filter; the access condition is always present. */
export function retrievalConditions(filter: RetrievalFilter, cols: FilterColumns, params: SqlParams): string {
  // @> on text[]: the row's access list contains every one of the people; && (a shared read): any of them. Both
  // GIN-indexable.
  const conditions = [`${cols.access} ${filter.visibleToMatch === 'any' ? '&&' : '@>'} ${params.add(visibleToOf(filter))}::text[]`];
  if (filter.kinds && filter.kinds.length > 0) conditions.push(`${cols.kind} = ANY(${params.add(filter.kinds)}::text[])`);
  if (filter.itemIds) conditions.push(`${cols.itemId} = ANY(${params.add(filter.itemIds)}::text[])`);
  if (filter.threadId !== undefined) conditions.push(`${cols.threadId} = ${params.add(filter.threadId)}`);
  if (filter.since) conditions.push(`${cols.occurredAt} >= ${params.add(filter.since)}::timestamptz`);
  if (filter.until) conditions.push(`${cols.occurredAt} < ${params.add(filter.until)}::timestamptz`);
  return conditions.join(' AND ');
}
