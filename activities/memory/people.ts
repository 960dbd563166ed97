/**
 * People and their external identities, usable inside or outside a transaction.
 */
import type { Person } from '../../schemas/entities';
import type { Sql } from './ports';
import { type IdentityRow, personFromRow, type PersonRow } from './rows';

/**
 * Upserts people (the last entry wins for a repeated id). Identities only accumulate: each
 * connector knows some of a person's accounts (slack, email...), so one source's list must not
 * erase another's. An identity claimed by a different person moves to that person.
 */
export async function upsertPeopleIn(sql: Sql, people: readonly Person[]): Promise<void> {
  if (people.length === 0) return;
  const byId = new Map(people.map((p) => [p.id, p]));
  await sql.query(
    `INSERT INTO people (id, name, title, team, manager_id, timezone, working_hours, opted_in)
     SELECT id, name, title, team, manager_id, timezone, working_hours, opted_in
     FROM jsonb_to_recordset($1::jsonb) AS p(id text, name text, title text, team text, manager_id text,
                                             timezone text, working_hours jsonb, opted_in boolean)
     ON CONFLICT (id) DO UPDATE SET
       name = EXCLUDED.name, title = EXCLUDED.title, team = EXCLUDED.team, manager_id = EXCLUDED.manager_id,
       timezone = EXCLUDED.timezone, working_hours = EXCLUDED.working_hours, opted_in = EXCLUDED.opted_in,
       updated_at = now()`,
    [
      JSON.stringify(
        [...byId.values()].map((p) => ({
          id: p.id,
          name: p.name,
          title: p.title ?? null,
          team: p.team ?? null,
          manager_id: p.managerId ?? null,
          timezone: p.timezone,
          working_hours: p.workingHours,
          opted_in: p.optedIn,
        })),
      ),
    ],
  );

  const identities = new Map<string, { person_id: string; provider: string; external_id: string }>();
  for (const p of byId.values()) {
    for (const i of p.identities) {
      identities.set(`${i.provider}\u0000${i.externalId}`, { person_id: p.id, provider: i.provider, external_id: i.externalId });
    }
  }
  if (identities.size === 0) return;
  await sql.query(
    `INSERT INTO identities (person_id, provider, external_id)
     SELECT person_id, provider, external_id
     FROM jsonb_to_recordset($1::jsonb) AS i(person_id text, provider text, external_id text)
     ON CONFLICT (provider, external_id) DO UPDATE SET person_id = EXCLUDED.person_id`,
    [JSON.stringify([...identities.values()])],
  );
}

/** People by id (all of them when ids is undefined), ordered by id; each with their identities, in one read. */
export async function selectPeople(sql: Sql, ids?: readonly string[]): Promise<Person[]> {
  const where = ids === undefined ? '' : 'WHERE p.id = ANY($1::text[])';
  const params = ids === undefined ? [] : [[...ids]];
  const { rows } = await sql.query<PersonRow & { identities: Omit<IdentityRow, 'person_id'>[] }>(
    `SELECT p.id, p.name, p.title, p.team, p.manager_id, p.timezone, p.working_hours, p.opted_in,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('provider', i.provider, 'external_id', i.external_id) ORDER BY i.provider, i.external_id)
                      FROM identities i WHERE i.person_id = p.id), '[]'::jsonb) AS identities
     FROM people p ${where} ORDER BY p.id`,
    params,
  );
  return rows.map(({ identities, ...r }) => personFromRow(r, identities.map((i) => ({ ...i, person_id: r.id }))));
}

// ---- people seen in ingested data, and what was held back from them (identity only, never content)

export interface HeldBackEntry {
  /** lower-cased email; absent when the data named them only */
  id?: string;
  name?: string;
  items: number;
}

export interface SeenPerson {
  id: string;
  name: string | null;
  firstSeen: { at: Date; sourceId: string; path: string };
  lastSeen: { at: Date; sourceId: string; path: string };
}

export interface HeldBackCount {
  personId: string;
  items: number;
  files: number;
}

/** The key an author is held back under: their email, or `name:<display name>` when the data gave none. */
export function heldBackKey(author: Pick<HeldBackEntry, 'id' | 'name'>): string | undefined {
  if (author.id) return author.id.trim().toLowerCase();
  const name = author.name?.trim();
  return name ? `name:${name}` : undefined;
}

/**
 * Replaces what one file held back (its latest parse is the truth, so a re-read never double-counts)
 * and remembers who was seen, where and when.
 */
export async function recordHeldBackIn(sql: Sql, sourceId: string, path: string, authors: readonly HeldBackEntry[], at: Date): Promise<void> {
  await sql.query('DELETE FROM held_back WHERE source_id = $1 AND path = $2', [sourceId, path]);
  const rows = new Map<string, { person_id: string; name: string | null; items: number }>();
  for (const a of authors) {
    const key = heldBackKey(a);
    if (!key || a.items <= 0) continue;
    const row = rows.get(key);
    if (row) row.items += a.items;
    else rows.set(key, { person_id: key, name: a.name?.trim() || null, items: a.items });
  }
  if (rows.size === 0) return;
  await sql.query(
    `INSERT INTO held_back (source_id, path, person_id, name, items)
     SELECT $1, $2, person_id, name, items FROM jsonb_to_recordset($3::jsonb) AS h(person_id text, name text, items integer)`,
    [sourceId, path, JSON.stringify([...rows.values()])],
  );
  const seen = [...rows.values()].filter((r) => !r.person_id.startsWith('name:'));
  if (seen.length === 0) return;
  await sql.query(
    `INSERT INTO people_seen (id, name, first_seen_at, first_seen_source, first_seen_path, last_seen_at, last_seen_source, last_seen_path)
     SELECT person_id, name, $1, $2, $3, $1, $2, $3 FROM jsonb_to_recordset($4::jsonb) AS s(person_id text, name text)
     ON CONFLICT (id) DO UPDATE SET
       name = COALESCE(EXCLUDED.name, people_seen.name),
       last_seen_at = EXCLUDED.last_seen_at, last_seen_source = EXCLUDED.last_seen_source, last_seen_path = EXCLUDED.last_seen_path`,
    [at, sourceId, path, JSON.stringify(seen.map((s) => ({ person_id: s.person_id, name: s.name })))],
  );
}

/** recordHeldBackIn for many files at once (a connector's page): the same records, in a few statements. */
export async function recordHeldBackManyIn(
  sql: Sql,
  sourceId: string,
  files: readonly { path: string; authors: readonly HeldBackEntry[] }[],
  at: Date,
): Promise<void> {
  if (files.length === 0) return;
  await sql.query('DELETE FROM held_back WHERE source_id = $1 AND path = ANY($2::text[])', [sourceId, files.map((f) => f.path)]);
  const rows: { path: string; person_id: string; name: string | null; items: number }[] = [];
  const seen = new Map<string, { person_id: string; name: string | null; path: string }>();
  for (const file of files) {
    const byKey = new Map<string, { path: string; person_id: string; name: string | null; items: number }>();
    for (const a of file.authors) {
      const key = heldBackKey(a);
      if (!key || a.items <= 0) continue;
      const row = byKey.get(key);
      if (row) row.items += a.items;
      else byKey.set(key, { path: file.path, person_id: key, name: a.name?.trim() || null, items: a.items });
    }
    rows.push(...byKey.values());
    for (const r of byKey.values()) if (!r.person_id.startsWith('name:')) seen.set(r.person_id, { person_id: r.person_id, name: r.name, path: file.path });
  }
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO held_back (source_id, path, person_id, name, items)
     SELECT $1, path, person_id, name, items FROM jsonb_to_recordset($2::jsonb) AS h(path text, person_id text, name text, items integer)`,
    [sourceId, JSON.stringify(rows)],
  );
  if (seen.size === 0) return;
  await sql.query(
    `INSERT INTO people_seen (id, name, first_seen_at, first_seen_source, first_seen_path, last_seen_at, last_seen_source, last_seen_path)
     SELECT person_id, name, $1, $2, path, $1, $2, path FROM jsonb_to_recordset($3::jsonb) AS s(person_id text, name text, path text)
     ON CONFLICT (id) DO UPDATE SET
       name = COALESCE(EXCLUDED.name, people_seen.name),
       last_seen_at = EXCLUDED.last_seen_at, last_seen_source = EXCLUDED.last_seen_source, last_seen_path = EXCLUDED.last_seen_path`,
    [at, sourceId, JSON.stringify([...seen.values()])],
  );
}

/** Forgets what a file held back (the file is gone). */
export async function forgetHeldBackIn(sql: Sql, sourceId: string, path: string): Promise<void> {
  await sql.query('DELETE FROM held_back WHERE source_id = $1 AND path = $2', [sourceId, path]);
}

interface SeenRow {
  id: string;
  name: string | null;
  first_seen_at: Date;
  first_seen_source: string;
  first_seen_path: string;
  last_seen_at: Date;
  last_seen_source: string;
  last_seen_path: string;
}

/** People seen in ingested data (all when ids is undefined), ordered by id. */
export async function selectSeen(sql: Sql, ids?: readonly string[]): Promise<SeenPerson[]> {
  const where = ids === undefined ? '' : 'WHERE id = ANY($1::text[])';
  const { rows } = await sql.query<SeenRow>(
    `SELECT id, name, first_seen_at, first_seen_source, first_seen_path, last_seen_at, last_seen_source, last_seen_path
     FROM people_seen ${where} ORDER BY id`,
    ids === undefined ? [] : [[...ids]],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    firstSeen: { at: new Date(r.first_seen_at), sourceId: r.first_seen_source, path: r.first_seen_path },
    lastSeen: { at: new Date(r.last_seen_at), sourceId: r.last_seen_source, path: r.last_seen_path },
  }));
}

/** What is held back now, per person key (all when ids is undefined). */
export async function heldBackCounts(sql: Sql, ids?: readonly string[]): Promise<HeldBackCount[]> {
  const where = ids === undefined ? '' : 'WHERE person_id = ANY($1::text[])';
  const { rows } = await sql.query<{ person_id: string; items: string | number; files: string | number }>(
    `SELECT person_id, sum(items) AS items, count(*) AS files FROM held_back ${where} GROUP BY person_id ORDER BY person_id`,
    ids === undefined ? [] : [[...ids]],
  );
  return rows.map((r) => ({ personId: r.person_id, items: Number(r.items), files: Number(r.files) }));
}

export interface SourceFile {
  sourceId: string;
  path: string;
}

/** The files whose latest parse held back content by this person. */
export async function heldBackFilesOf(sql: Sql, personId: string): Promise<SourceFile[]> {
  const { rows } = await sql.query<{ source_id: string; path: string }>(
    'SELECT source_id, path FROM held_back WHERE person_id = $1 ORDER BY source_id, path',
    [personId],
  );
  return rows.map((r) => ({ sourceId: r.source_id, path: r.path }));
}

/** The files that stored content this person wrote or said. */
export async function filesAuthoredBy(sql: Sql, personId: string): Promise<SourceFile[]> {
  const { rows } = await sql.query<{ source_id: string; path: string }>(
    `SELECT DISTINCT i.source_id, i.source_path AS path FROM items i
     WHERE i.source_path IS NOT NULL
       AND (i.author_id = $1 OR EXISTS (SELECT 1 FROM chunks c WHERE c.item_id = i.id AND c.speaker_id = $1))
     ORDER BY i.source_id, path`,
    [personId],
  );
  return rows.map((r) => ({ sourceId: r.source_id, path: r.path }));
}

/**
 * Makes the next sync re-parse these files whatever their bytes: their stored hash no longer matches
 * any parse. (A directory change also changes every fileHash; this keeps the promise even if a
 * connector's hash stops covering the directory.)
 */
export async function markFilesChangedIn(sql: Sql, files: readonly SourceFile[]): Promise<number> {
  if (files.length === 0) return 0;
  const { rows } = await sql.query<{ path: string }>(
    `UPDATE source_files f SET file_hash = '', updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS x(source_id text, path text)
     WHERE f.source_id = x.source_id AND f.path = x.path RETURNING f.path`,
    [JSON.stringify(files.map((f) => ({ source_id: f.sourceId, path: f.path })))],
  );
  return rows.length;
}

/** Sets a directory person's opt-in; false when no such person. */
export async function setOptedInIn(sql: Sql, id: string, optedIn: boolean): Promise<boolean> {
  const { rows } = await sql.query('UPDATE people SET opted_in = $2, updated_at = now() WHERE id = $1 RETURNING id', [id, optedIn]);
  return rows.length > 0;
}
