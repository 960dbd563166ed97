/**
 * The `directory` stream: Admin SDK users → People (one unit per user, `directory/<primary email>`), with their
 * manager (the `manager` relation), title and department, and every address they receive mail at as an identity.
 * The directory says who exists, not who agreed to be read: the opt-in (and the time zone and working hours a
 * person set) is kept as the people store has it; a new person starts outside the opt-in. The Admin SDK has no
 * time zone of a user; a custom schema field named `timezone` / `timeZone` is taken when the domain keeps one,
 * else the person's own setting stays.
 *
 * Always a full listing (the Admin SDK has no change feed for users): each pass lists everyone and the pipeline
 * sweeps who left; suspended and archived users are not listed, so they are swept too.
 */
import type { admin_directory_v1 } from 'googleapis/build/src/apis/admin/index.js';
import { Person } from '../../../schemas/entities';
import { isValidTimeZone } from '../../../workflows/cadence';
import type { StreamCursor, StreamPage } from '../port';
import { unitPath } from '../port';
import type { GoogleReadContext } from './context';
import { googleUnit } from './context';
import { usersPage } from './org';

export const DIRECTORY_STREAM = 'directory';

export async function readDirectoryPage(rc: GoogleReadContext, cursor: StreamCursor | null): Promise<StreamPage> {
  const { customer } = rc.config.directory!;
  const pageToken = typeof cursor?.pageToken === 'string' ? cursor.pageToken : undefined;
  const page = await usersPage(rc.apis, customer, rc.config.actAs!, pageToken);
  rc.ctx.heartbeat({ stream: DIRECTORY_STREAM });
  const units = [];
  for (const user of page.users ?? []) {
    const person = personOf(rc, user);
    if (person) units.push(googleUnit(rc, unitPath(DIRECTORY_STREAM, person.id), { people: [person] }));
  }
  const more = Boolean(page.nextPageToken);
  return { units, deleted: [], cursor: more ? { pageToken: page.nextPageToken } : {}, more, full: true };
}

function timeZoneOf(user: admin_directory_v1.Schema$User): string | undefined {
  for (const schema of Object.values(user.customSchemas ?? {})) {
    const value = (schema as Record<string, unknown>).timezone ?? (schema as Record<string, unknown>).timeZone;
    if (typeof value === 'string' && isValidTimeZone(value)) return value;
  }
  return undefined;
}

const asArray = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

export function personOf(rc: GoogleReadContext, user: admin_directory_v1.Schema$User): Person | undefined {
  const email = user.primaryEmail?.trim().toLowerCase();
  if (!email || user.suspended || user.archived) return undefined;
  const known = rc.ctx.directory.byEmail(email);
  const organizations = asArray<admin_directory_v1.Schema$UserOrganization>(user.organizations);
  const org = organizations.find((o) => o.primary) ?? organizations[0];
  const manager = asArray<admin_directory_v1.Schema$UserRelation>(user.relations).find((r) => r.type === 'manager')?.value?.trim().toLowerCase();
  const addresses = new Set([email, ...(user.aliases ?? []).map((a) => a.toLowerCase()), ...asArray<{ address?: string }>(user.emails).map((e) => e.address?.toLowerCase() ?? '')]);
  addresses.delete('');
  const parsed = Person.safeParse({
    id: email,
    name: user.name?.fullName?.trim() || [user.name?.givenName, user.name?.familyName].filter(Boolean).join(' ') || email,
    title: org?.title ?? known?.title,
    team: org?.department ?? known?.team,
    managerId: manager && manager.includes('@') ? manager : undefined,
    timezone: timeZoneOf(user) ?? known?.timezone ?? 'UTC',
    workingHours: known?.workingHours,
    optedIn: known?.optedIn ?? false,
    identities: [...[...addresses].map((a) => ({ provider: 'email' as const, externalId: a })), ...(user.id ? [{ provider: 'google' as const, externalId: user.id }] : [])],
  });
  if (!parsed.success) {
    rc.ctx.log.warn({ sourceId: rc.ctx.sourceId, user: user.id, issues: parsed.error.issues.map((i) => i.message) }, 'directory user skipped');
    return undefined;
  }
  return parsed.data;
}
