/**
 * RetrievalFilter -> Qdrant Filter: the same rule as the SQL translation in ../filters.ts (every
 * person in visibleTo must be on the point's access list; kinds, items, thread and time narrow it),
 * plus the embedding model, so a query never mixes vectors of two models.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { visibleToOf } from '../filters';
import type { RetrievalFilter } from '../ports';

/** Payload keys of a point; each is indexed (see PAYLOAD_INDEXES). */
export const PAYLOAD = {
  itemId: 'item_id',
  position: 'position',
  access: 'access',
  sourceId: 'source_id',
  kind: 'kind',
  occurredAt: 'occurred_at',
  threadId: 'thread_id',
  model: 'model',
} as const;

/** The payload indexes the collection gets: every key a filter uses. */
export const PAYLOAD_INDEXES: readonly { field: string; schema: Schemas['PayloadSchemaType'] }[] = [
  { field: PAYLOAD.access, schema: 'keyword' },
  { field: PAYLOAD.itemId, schema: 'keyword' },
  { field: PAYLOAD.kind, schema: 'keyword' },
  { field: PAYLOAD.threadId, schema: 'keyword' },
  { field: PAYLOAD.occurredAt, schema: 'datetime' },
  { field: PAYLOAD.model, schema: 'keyword' },
];

/**
 * The Qdrant filter for a retrieval, or null when it can match nothing (an empty itemIds list:
 * the caller answers [] without asking the server).
 */
export function qdrantFilterOf(filter: RetrievalFilter, model: string): Schemas['Filter'] | null {
  if (filter.itemIds && filter.itemIds.length === 0) return null;
  // One condition per person: an array payload matches a value when any element equals it, so
  // AND over the people means "the access list contains all of them" (SQL's `access @> $people`);
  // a shared read ('any') is one `match: any` condition (SQL's `access && $people`).
  const people = visibleToOf(filter);
  const must: Schemas['FieldCondition'][] =
    filter.visibleToMatch === 'any'
      ? [{ key: PAYLOAD.access, match: { any: people } }]
      : people.map((person) => ({ key: PAYLOAD.access, match: { value: person } }));
  must.push({ key: PAYLOAD.model, match: { value: model } });
  if (filter.kinds && filter.kinds.length > 0) must.push({ key: PAYLOAD.kind, match: { any: [...filter.kinds] } });
  if (filter.itemIds) must.push({ key: PAYLOAD.itemId, match: { any: [...filter.itemIds] } });
  if (filter.threadId !== undefined) must.push({ key: PAYLOAD.threadId, match: { value: filter.threadId } });
  if (filter.since || filter.until) {
    const range: Schemas['DatetimeRange'] = {};
    if (filter.since) range.gte = filter.since.toISOString();
    if (filter.until) range.lt = filter.until.toISOString();
    must.push({ key: PAYLOAD.occurredAt, range });
  }
  return { must };
}
