/**
 * Graph delta queries as one stream cursor. A stream may track several collections (a mailbox's inbox and sent
 * items, a team's channels), each with its own delta link; a pass walks them in order, one Graph page per stream
 * page. The first pass, and any pass after Graph refused a delta link (410 Gone / syncStateNotFound /
 * resyncRequired), lists everything and is marked `full`, so the pipeline sweeps what the listing no longer holds.
 */
import type { Logger } from 'pino';
import { isDeltaReset } from './errors';
import type { GraphPage, GraphReader, GraphRequestOptions } from './graph';
import type { StreamCursor } from '../port';

export type DeltaCursor = {
  /** the collections of this stream, in pass order */
  keys: string[];
  /** the delta link of each collection listed so far */
  links: Record<string, string>;
  /** the collection this pass is at */
  index: number;
  /** the nextLink inside that collection */
  next?: string;
  /** this pass lists everything */
  full: boolean;
};

export interface DeltaSource {
  /** the collections (read at the start of every pass, so new channels are picked up) */
  keys(): Promise<string[]>;
  /** the first request of a collection's delta */
  initial(key: string): { path: string; options?: GraphRequestOptions };
  /** Prefer header values for follow-up links (Outlook's time zone and body type are not carried by the link) */
  prefer?: string[];
}

export interface DeltaPage<T> {
  key: string | undefined;
  values: T[];
  cursor: DeltaCursor;
  more: boolean;
  full: boolean;
  /** Graph refused the stored delta link and the stream started over */
  reset: boolean;
}

function asDeltaCursor(cursor: StreamCursor | null): DeltaCursor | undefined {
  if (!cursor || !Array.isArray(cursor.keys) || typeof cursor.links !== 'object' || cursor.links === null) return undefined;
  return {
    keys: (cursor.keys as unknown[]).map(String),
    links: { ...(cursor.links as Record<string, string>) },
    index: typeof cursor.index === 'number' ? cursor.index : 0,
    ...(typeof cursor.next === 'string' ? { next: cursor.next } : {}),
    full: cursor.full === true,
  };
}

export async function readDelta<T>(graph: GraphReader, source: DeltaSource, stored: StreamCursor | null, log: Logger): Promise<DeltaPage<T>> {
  let cursor = asDeltaCursor(stored);
  if (!cursor) cursor = { keys: await source.keys(), links: {}, index: 0, full: true };
  else if (cursor.index === 0 && !cursor.next) {
    // a new pass: pick up collections added since; a dropped one keeps nothing
    const keys = await source.keys();
    cursor = { ...cursor, keys, links: Object.fromEntries(keys.filter((k) => cursor!.links[k]).map((k) => [k, cursor!.links[k]!])) };
  }
  let reset = false;
  let key = cursor.keys[cursor.index];
  if (key === undefined) return { key, values: [], cursor: { ...cursor, index: 0 }, more: false, full: cursor.full, reset };

  const fetchInitial = (k: string) => {
    const { path, options } = source.initial(k);
    return graph.get<GraphPage<T>>(path, options);
  };
  let page: GraphPage<T>;
  const link = cursor.next ?? cursor.links[key];
  try {
    page = link ? await graph.get<GraphPage<T>>(link, { prefer: source.prefer }) : await fetchInitial(key);
  } catch (error) {
    if (!link || !isDeltaReset(error)) throw error;
    log.warn({ collection: key }, 'graph refused the delta link: listing the stream in full again');
    reset = true;
    cursor = { keys: await source.keys(), links: {}, index: 0, full: true };
    key = cursor.keys[0];
    if (key === undefined) return { key, values: [], cursor, more: false, full: true, reset };
    page = await fetchInitial(key);
  }

  const full = cursor.full;
  const next: DeltaCursor = { ...cursor, links: { ...cursor.links } };
  delete next.next;
  let more: boolean;
  if (page['@odata.nextLink']) {
    next.next = page['@odata.nextLink'];
    more = true;
  } else {
    if (page['@odata.deltaLink']) next.links[key] = page['@odata.deltaLink'];
    next.index = cursor.index + 1;
    more = next.index < next.keys.length;
    if (!more) {
      next.index = 0;
      next.full = false;
    }
  }
  return { key, values: page.value ?? [], cursor: next, more, full, reset };
}

/** A delta entry that says "this object is gone". */
export function isRemoved(value: { '@removed'?: unknown; deletedDateTime?: string | null }): boolean {
  return value['@removed'] !== undefined || Boolean(value.deletedDateTime);
}
