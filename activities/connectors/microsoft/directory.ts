/**
 * `directory`: the tenant's people (/users with their manager) and groups (/groups and their user members), as
 * Person units — one per user, so a user who leaves the tenant is swept with the next full listing. The directory
 * never opts anyone in: a person keeps the opt-in (and time zone, working hours) they already have, and is
 * otherwise outside it. A person's team is their department, else the first of their groups by name.
 */
import { Person, type ParsedUnit } from '../../../schemas/entities';
import type { ConnectorContext, StreamCursor } from '../port';
import { unitPath } from '../port';
import { unitOf } from './common';
import type { GraphPage, GraphReader } from './graph';

export interface GraphUser {
  id: string;
  displayName?: string | null;
  mail?: string | null;
  userPrincipalName?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  accountEnabled?: boolean | null;
  manager?: { id?: string; mail?: string | null; userPrincipalName?: string | null } | null;
}

export interface GraphGroup {
  id: string;
  displayName?: string | null;
}

type DirectoryCursor = { phase: 'groups' | 'users'; next?: string; groupsOf: Record<string, string[]> };

const USER_SELECT = 'id,displayName,mail,userPrincipalName,jobTitle,department,accountEnabled';

function emailOf(user: { mail?: string | null; userPrincipalName?: string | null }): string | undefined {
  const email = (user.mail ?? user.userPrincipalName ?? '').trim().toLowerCase();
  return email.includes('@') ? email : undefined;
}

export function personOf(ctx: ConnectorContext, user: GraphUser, groups: readonly string[]): Person | undefined {
  const email = emailOf(user);
  if (!email || user.accountEnabled === false) return undefined;
  const known = ctx.directory.byEmail(email);
  const upn = user.userPrincipalName?.trim().toLowerCase();
  const manager = user.manager ? emailOf(user.manager) : undefined;
  const team = user.department?.trim() || [...groups].sort((a, b) => a.localeCompare(b))[0];
  return Person.parse({
    id: email,
    name: user.displayName?.trim() || known?.name || email,
    ...(user.jobTitle?.trim() ? { title: user.jobTitle.trim() } : {}),
    ...(team ? { team } : {}),
    ...(manager && manager !== email ? { managerId: manager } : {}),
    ...(known ? { timezone: known.timezone, workingHours: known.workingHours } : {}),
    optedIn: known?.optedIn ?? false,
    identities: [
      { provider: 'email', externalId: email },
      ...(upn && upn !== email && upn.includes('@') ? [{ provider: 'email' as const, externalId: upn }] : []),
      { provider: 'microsoft', externalId: user.id },
      ...(known?.identities.filter((i) => i.provider === 'slack' || i.provider === 'google') ?? []),
    ],
  });
}

/** Groups first (memberships kept in the cursor), then users; every pass is a full listing. */
export async function readDirectory(
  graph: GraphReader,
  ctx: ConnectorContext,
  stream: string,
  stored: StreamCursor | null,
): Promise<{ units: ParsedUnit[]; cursor: StreamCursor; more: boolean }> {
  const cursor: DirectoryCursor = stored && (stored.phase === 'groups' || stored.phase === 'users') ? (stored as DirectoryCursor) : { phase: 'groups', groupsOf: {} };
  if (cursor.phase === 'groups') {
    const page = cursor.next
      ? await graph.get<GraphPage<GraphGroup>>(cursor.next)
      : await graph.get<GraphPage<GraphGroup>>('/groups', { query: { $select: 'id,displayName', $top: 100 } });
    const groupsOf = { ...cursor.groupsOf };
    for (const group of page.value ?? []) {
      ctx.heartbeat();
      const members = await graph.all<{ id: string }>(`/groups/${encodeURIComponent(group.id)}/members/microsoft.graph.user`, { query: { $select: 'id' } }, () => ctx.heartbeat());
      for (const member of members) groupsOf[member.id] = [...(groupsOf[member.id] ?? []), group.displayName ?? group.id];
    }
    const next = page['@odata.nextLink'];
    return { units: [], cursor: next ? { phase: 'groups', next, groupsOf } : { phase: 'users', groupsOf }, more: true };
  }

  const page = cursor.next
    ? await graph.get<GraphPage<GraphUser>>(cursor.next)
    : await graph.get<GraphPage<GraphUser>>('/users', { query: { $select: USER_SELECT, $expand: 'manager($select=id,mail,userPrincipalName)', $top: 100 } });
  const units = (page.value ?? []).map((user) => {
    const groups = cursor.groupsOf[user.id] ?? [];
    const person = personOf(ctx, user, groups);
    return unitOf(ctx, unitPath(stream, user.id), { user, groups }, { people: person ? [person] : [] });
  });
  const next = page['@odata.nextLink'];
  if (next) return { units, cursor: { ...cursor, next }, more: true };
  return { units, cursor: { phase: 'groups', groupsOf: {} }, more: false };
}
