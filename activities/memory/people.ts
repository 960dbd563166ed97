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

/** People by id (all of them when ids is undefined), ordered by id. */
export async function selectPeople(sql: Sql, ids?: readonly string[]): Promise<Person[]> {
  const where = ids === undefined ? '' : 'WHERE id = ANY($1::text[])';
  const params = ids === undefined ? [] : [[...ids]];
  const { rows } = await sql.query<PersonRow>(
    `SELECT id, name, title, team, manager_id, timezone, working_hours, opted_in FROM people ${where} ORDER BY id`,
    params,
  );
  if (rows.length === 0) return [];
  const identities = await sql.query<IdentityRow>(
    `SELECT person_id, provider, external_id FROM identities WHERE person_id = ANY($1::text[])
     ORDER BY provider, external_id`,
    [rows.map((r) => r.id)],
  );
  const byPerson = new Map<string, IdentityRow[]>();
  for (const i of identities.rows) byPerson.set(i.person_id, [...(byPerson.get(i.person_id) ?? []), i]);
  return rows.map((r) => personFromRow(r, byPerson.get(r.id) ?? []));
}
