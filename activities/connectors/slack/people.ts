/**
 * Who a Slack user is to us. A user is a directory person by their Slack id (a `slack` identity) or, failing that,
 * by their profile email (users:read.email); only opted-in people are ever emitted, named or given access.
 *
 * The `users` stream lists the workspace (users.list, cursor paging) and teaches the directory each opted-in
 * person's Slack id, so later passes resolve authors without asking for emails again. Users outside the directory
 * or the opt-in are never stored: not their profile, not their id.
 */
import type { UsersListResponse, WebClient } from '@slack/web-api';
import type { ParsedUnit, Person } from '../../../schemas/entities';
import { finishUnit } from '../files/common';
import { optedIn } from '../files/directory';
import { stableHash } from '../files/ids';
import type { Directory } from '../files/types';
import type { ConnectorContext, StreamCursor, StreamPage } from '../port';
import { unitPath } from '../port';

export const USERS_STREAM = 'users';

export type Member = NonNullable<UsersListResponse['members']>[number];

/** The lookup the channel reader resolves authors, members and mentions through. */
export interface SlackPeople {
  /** the directory person behind a Slack user id (opted in or not: callers check) */
  personOf(userId: string): Person | undefined;
  /** a display name for a user outside the opt-in, for the held-back report */
  displayName(userId: string): string | undefined;
  /** their email, when Slack shares it */
  emailOf(userId: string): string | undefined;
}

/** users.list, every page, with heartbeats between requests. */
export async function listAllUsers(client: WebClient, pageSize: number, ctx: Pick<ConnectorContext, 'heartbeat'>): Promise<Member[]> {
  const users: Member[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.users.list({ limit: pageSize, ...(cursor ? { cursor } : {}) });
    users.push(...(page.members ?? []));
    cursor = page.response_metadata?.next_cursor || undefined;
    ctx.heartbeat({ users: users.length });
  } while (cursor);
  return users;
}

/** A lookup over the directory, with the workspace's profiles (from users.list) as the email fallback. */
export function slackPeople(directory: Directory, users: readonly Member[]): SlackPeople {
  const byId = new Map(users.filter((u) => u.id).map((u) => [u.id!, u]));
  const emailOf = (userId: string): string | undefined => byId.get(userId)?.profile?.email || undefined;
  return {
    personOf: (userId) => {
      const bySlack = directory.bySlackId(userId);
      if (bySlack) return bySlack;
      const email = emailOf(userId);
      return email ? directory.byEmail(email) : undefined;
    },
    displayName: (userId) => {
      const user = byId.get(userId);
      return user?.real_name || user?.profile?.real_name || user?.name || undefined;
    },
    emailOf,
  };
}

/** A person the directory knows by email, now also known by their Slack id. */
function withSlackIdentity(person: Person, userId: string): Person {
  if (person.identities.some((i) => i.provider === 'slack' && i.externalId === userId)) return person;
  return { ...person, identities: [...person.identities, { provider: 'slack', externalId: userId }] };
}

/**
 * One unit per user (`users/<userId>`): the opted-in directory person with their Slack id when the directory did
 * not know it yet, else nothing (a unit without people, so a full pass still lists the user and a person who
 * leaves the opt-in is not re-asserted by every pass). Humans only: bots, apps and deactivated users are skipped.
 */
export function userUnit(user: Member, directory: Directory): ParsedUnit | undefined {
  if (!user.id || user.is_bot || user.is_app_user || user.deleted || user.id === 'USLACKBOT') return undefined;
  const email = user.profile?.email;
  const known = directory.bySlackId(user.id);
  const byEmail = known ? undefined : email ? optedIn(directory.byEmail(email)) : undefined;
  const people = byEmail ? [withSlackIdentity(byEmail, user.id)] : [];
  const path = unitPath(USERS_STREAM, user.id);
  return finishUnit(path, { path, fileHash: stableHash({ people, directory: directory.fingerprint }), people });
}

interface UsersCursor {
  /** users.list cursor of the next page of the pass under way */
  next?: string;
}

/** One users.list page. users.list has no incremental form: every pass is a full listing, swept at its end. */
export async function readUsersPage(
  client: WebClient,
  pageSize: number,
  cursor: StreamCursor | null,
  ctx: ConnectorContext,
): Promise<StreamPage> {
  const state = (cursor ?? {}) as UsersCursor;
  const page = await client.users.list({ limit: pageSize, ...(state.next ? { cursor: state.next } : {}) });
  ctx.heartbeat({ stream: USERS_STREAM });
  const units = (page.members ?? []).flatMap((user) => userUnit(user, ctx.directory) ?? []);
  const next = page.response_metadata?.next_cursor || undefined;
  return { units, deleted: [], cursor: next ? { next } : {}, more: next !== undefined, full: true };
}
