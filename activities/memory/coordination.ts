/**
 * The coordination graph's communication layer in Postgres: who emailed, messaged and met whom, when, in which
 * conversation. Rows are derived from items as they are stored (one transaction with the item), so the graph is as
 * current as the last sync and a deleted item takes its edges with it. Weights decay at read time: an edge's
 * strength is Σ 2^(−age / half-life) over its interactions, computed as of the moment asked about, so nothing
 * written here ever goes stale and an "as of" read (the eval, a replay) sees only what had happened by then.
 */
import type { Item } from '../../schemas/entities';
import type { Sql } from './ports';
import { itemAddressed } from './rows';

export type InteractionKind = 'emailed' | 'messaged' | 'met';

/** a meeting this large says little about who works with whom: no pairwise "met" edges for it */
const MAX_MEETING_FOR_EDGES = 25;

interface InteractionRow {
  item_id: string;
  from_id: string;
  to_id: string;
  kind: InteractionKind;
  occurred_at: string;
  thread_id: string | null;
}

export function interactionsOf(item: Item): InteractionRow[] {
  const base = { item_id: item.id, occurred_at: item.occurredAt.toISOString(), thread_id: item.threadId ?? null };
  const recipients = [...new Set(item.recipients)];
  if (item.authorId) {
    const kind: InteractionKind = item.kind === 'email' ? 'emailed' : item.kind === 'message' ? 'messaged' : 'met';
    return recipients.filter((r) => r !== item.authorId).map((to) => ({ ...base, from_id: item.authorId!, to_id: to, kind }));
  }
  if (recipients.length < 2 || recipients.length > MAX_MEETING_FOR_EDGES) return [];
  return recipients.flatMap((from) => recipients.filter((to) => to !== from).map((to) => ({ ...base, from_id: from, to_id: to, kind: 'met' as const })));
}

/** Replaces the interactions of these items (inside the ingest transaction). */
export async function recordInteractionsIn(tx: Sql, items: readonly Item[]): Promise<void> {
  if (items.length === 0) return;
  await tx.query('DELETE FROM interactions WHERE item_id = ANY($1::text[])', [items.map((i) => i.id)]);
  const rows = items.flatMap(interactionsOf);
  for (let i = 0; i < rows.length; i += 5_000) {
    await tx.query(
      `INSERT INTO interactions (item_id, from_id, to_id, kind, occurred_at, thread_id)
       SELECT item_id, from_id, to_id, kind, occurred_at, thread_id
       FROM jsonb_to_recordset($1::jsonb) AS r(item_id text, from_id text, to_id text, kind text, occurred_at timestamptz, thread_id text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows.slice(i, i + 5_000))],
    );
  }
}

export interface ItemParticipants {
  people: string[];
  authorId: string | null;
  access: string[];
  threadId: string | null;
  title: string | null;
  occurredAt: Date;
}

export interface Edge {
  personId: string;
  /** Σ 2^(−age / half-life) */
  weight: number;
  count: number;
  /** interactions in the last `recentDays` */
  recent: number;
  last: Date;
}

export interface EdgeQuery {
  /** as of this instant: later interactions do not count */
  at: Date;
  halfLifeDays: number;
  /** interactions older than this are not read at all (stale involvement drops out) */
  horizonDays: number;
  recentDays: number;
  limit: number;
}

const decayed = (at: string, half: string) =>
  `sum(power(2::float8, -extract(epoch FROM (${at}::timestamptz - occurred_at)) / (86400.0 * ${half})))`;

export class CoordinationGraph {
  constructor(private readonly sql: Sql) {}

  /** the people `personId` wrote to (direction out) or who wrote to `personId` (in), strongest first */
  async edges(personId: string, direction: 'out' | 'in', q: EdgeQuery): Promise<Edge[]> {
    const [self, other] = direction === 'out' ? ['from_id', 'to_id'] : ['to_id', 'from_id'];
    const { rows } = await this.sql.query<{ person_id: string; weight: number; count: string; recent: string; last: Date }>(
      `SELECT ${other} AS person_id, ${decayed('$2', '$3')} AS weight, count(*) AS count,
              count(*) FILTER (WHERE occurred_at >= $2::timestamptz - make_interval(days => $5)) AS recent,
              max(occurred_at) AS last
       FROM interactions
       WHERE ${self} = $1 AND occurred_at < $2 AND occurred_at >= $2::timestamptz - make_interval(days => $4)
       GROUP BY ${other}
       ORDER BY weight DESC, person_id
       LIMIT $6`,
      [personId, q.at, q.halfLifeDays, q.horizonDays, q.recentDays, q.limit],
    );
    return rows.map(edgeOf);
  }

  /**
   * everyone who took part in a conversation before `at` (authors and recipients), strongest first. Authors are read
   * from the items too: a message whose recipients nobody told us (a channel post, an archive without headers) still
   * says its author took part, though it makes no interaction — and, as in latestInThread, it is taken to have gone
   * where the conversation's last addressed message before it went, so a conversation that goes on keeps its people
   * current instead of fading behind its newest author.
   */
  async threadParticipants(threadId: string, q: EdgeQuery): Promise<Edge[]> {
    const { rows } = await this.sql.query<{ person_id: string; weight: number; count: string; recent: string; last: Date }>(
      `WITH p AS (
         SELECT from_id AS person_id, item_id, occurred_at FROM interactions WHERE thread_id = $1 AND occurred_at < $2
         UNION
         SELECT to_id, item_id, occurred_at FROM interactions WHERE thread_id = $1 AND occurred_at < $2
         UNION
         SELECT author_id, id, occurred_at FROM items WHERE thread_id = $1 AND occurred_at < $2 AND author_id IS NOT NULL
         UNION
         SELECT lent.person_id, u.id, u.occurred_at
         FROM items u
         CROSS JOIN LATERAL (
           SELECT k.author_id, k.recipients FROM items k
           WHERE k.thread_id = $1 AND k.occurred_at <= u.occurred_at AND k.id <> u.id AND ${itemAddressed('k')}
           ORDER BY k.occurred_at DESC, k.id LIMIT 1) k
         CROSS JOIN LATERAL unnest(array_prepend(k.author_id, k.recipients)) AS lent(person_id)
         WHERE u.thread_id = $1 AND u.occurred_at < $2 AND NOT ${itemAddressed('u')} AND lent.person_id IS NOT NULL
       )
       SELECT person_id, ${decayed('$2', '$3')} AS weight, count(DISTINCT item_id) AS count,
              count(DISTINCT item_id) FILTER (WHERE occurred_at >= $2::timestamptz - make_interval(days => $4)) AS recent,
              max(occurred_at) AS last
       FROM p GROUP BY person_id ORDER BY weight DESC, person_id LIMIT $5`,
      [threadId, q.at, q.halfLifeDays, q.recentDays, q.limit],
    );
    return rows.map(edgeOf);
  }

  /**
   * the people on the latest message of a conversation before `at` that `viewer` may see (author and recipients): a
   * reply goes, above all, to the people the message it answers went to. A message whose recipients are unknown (it
   * names none: an archive that kept only the sender) is taken to have gone where the conversation's last addressed
   * message went — a reply keeps the recipients of what it answers — and one that names nobody but the viewer (their
   * own such post) says nothing about whom to answer, so the one before it counts.
   */
  async latestInThread(threadId: string, at: Date, viewer: string): Promise<{ itemId: string; occurredAt: Date; people: string[] } | undefined> {
    const { rows } = await this.sql.query<{ id: string; occurred_at: Date; author_id: string | null; recipients: string[]; lent: string[] | null }>(
      `WITH visible AS (
         SELECT v.id, v.occurred_at, v.author_id, v.recipients,
                ${itemAddressed('v')} AS addressed
         FROM items v WHERE v.thread_id = $1 AND v.occurred_at < $2 AND v.access @> ARRAY[$3]::text[]),
       latest AS (
         SELECT * FROM visible
         WHERE author_id IS DISTINCT FROM $3 OR EXISTS (SELECT 1 FROM unnest(recipients) AS r(id) WHERE r.id <> $3)
         ORDER BY occurred_at DESC, id LIMIT 1),
       known AS (SELECT * FROM visible WHERE addressed ORDER BY occurred_at DESC, id LIMIT 1)
       SELECT l.id, l.occurred_at, l.author_id, l.recipients,
              CASE WHEN l.addressed THEN NULL ELSE array_remove(array_prepend(k.author_id, k.recipients), NULL) END AS lent
       FROM latest l LEFT JOIN known k ON true`,
      [threadId, at, viewer.trim().toLowerCase()],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { itemId: r.id, occurredAt: new Date(r.occurred_at), people: [...new Set([...(r.author_id ? [r.author_id] : []), ...r.recipients, ...(r.lent ?? [])])] };
  }

  /** the people on each of these items (author and recipients), for content evidence */
  async participantsOf(itemIds: readonly string[]): Promise<Map<string, ItemParticipants>> {
    if (itemIds.length === 0) return new Map();
    const { rows } = await this.sql.query<{ id: string; author_id: string | null; recipients: string[]; access: string[]; thread_id: string | null; title: string | null; occurred_at: Date }>(
      'SELECT id, author_id, recipients, access, thread_id, title, occurred_at FROM items WHERE id = ANY($1::text[])',
      [itemIds],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          people: [...new Set([...(r.author_id ? [r.author_id] : []), ...r.recipients])],
          authorId: r.author_id,
          access: r.access,
          threadId: r.thread_id,
          title: r.title,
          occurredAt: new Date(r.occurred_at),
        },
      ]),
    );
  }

  /** how often each pair among `people` appeared on the same item: the co-involvement the graph expands along */
  async coInvolvement(people: readonly string[], q: Pick<EdgeQuery, 'at' | 'horizonDays'>): Promise<{ a: string; b: string; count: number }[]> {
    if (people.length < 2) return [];
    const { rows } = await this.sql.query<{ a: string; b: string; count: string }>(
      `SELECT x.to_id AS a, y.to_id AS b, count(DISTINCT x.item_id) AS count
       FROM interactions x JOIN interactions y ON y.item_id = x.item_id AND y.from_id = x.from_id AND y.to_id > x.to_id
       WHERE x.to_id = ANY($1::text[]) AND y.to_id = ANY($1::text[])
         AND x.occurred_at < $2 AND x.occurred_at >= $2::timestamptz - make_interval(days => $3)
       GROUP BY 1, 2`,
      [people, q.at, q.horizonDays],
    );
    return rows.map((r) => ({ a: r.a, b: r.b, count: Number(r.count) }));
  }
}

function edgeOf(r: { person_id: string; weight: number; count: string; recent: string; last: Date }): Edge {
  return { personId: r.person_id, weight: Number(r.weight), count: Number(r.count), recent: Number(r.recent), last: new Date(r.last) };
}

export interface RelatedDecision {
  id: string;
  statement: string;
  deciderId: string | null;
  ownerId: string | null;
  decidedAt: Date;
  status: string;
  shared: number;
}

export interface DirectoryEntry {
  id: string;
  name: string;
  managerId: string | null;
  optedIn: boolean;
}

export class ProjectHistory {
  constructor(private readonly sql: Sql) {}

  /** decisions visible to `visibleTo` whose topic shares terms with the subject, most shared first */
  async relatedDecisions(terms: readonly string[], visibleTo: string, at: Date, limit: number, excludeId?: string): Promise<RelatedDecision[]> {
    if (terms.length === 0) return [];
    const { rows } = await this.sql.query<{ id: string; statement: string; decider_id: string | null; owner_id: string | null; decided_at: Date; status: string; shared: number }>(
      `SELECT id, statement, decider_id, owner_id, decided_at, status,
              cardinality(ARRAY(SELECT unnest(topic_terms) INTERSECT SELECT unnest($1::text[]))) AS shared
       FROM decisions
       WHERE topic_terms && $1::text[] AND access @> ARRAY[$2]::text[] AND decided_at < $3 AND ($5::text IS NULL OR id <> $5)
       ORDER BY shared DESC, decided_at DESC LIMIT $4`,
      [terms, visibleTo, at, limit, excludeId ?? null],
    );
    return rows.map((r) => ({ id: r.id, statement: r.statement, deciderId: r.decider_id, ownerId: r.owner_id, decidedAt: new Date(r.decided_at), status: r.status, shared: Number(r.shared) }));
  }

  async directory(ids: readonly string[]): Promise<Map<string, DirectoryEntry>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.sql.query<{ id: string; name: string; manager_id: string | null; opted_in: boolean }>(
      'SELECT id, name, manager_id, opted_in FROM people WHERE id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, managerId: r.manager_id, optedIn: r.opted_in }]));
  }
}
