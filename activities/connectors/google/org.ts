/**
 * The Admin SDK directory as the Drive stream needs it to turn permissions into people: a group's members
 * (nested groups expanded by Google: includeDerivedMembership), the users of a domain, everyone. Read when first
 * needed and kept for a while by the connector instance; without a configured directory every answer is
 * undefined and the caller falls back (a group stays its own address, a domain or link share adds nobody).
 */
import type { admin_directory_v1 } from 'googleapis/build/src/apis/admin/index.js';
import type { GoogleApis } from './apis';
import { request } from './apis';

const TTL_MS = 15 * 60 * 1000;
const PAGE_SIZE = 200;

export interface OrgDirectory {
  /** the group's member addresses, lower-cased; undefined when there is no directory or no such group */
  membersOf(groupEmail: string): Promise<string[] | undefined>;
  /** every active user's primary address; undefined without a directory */
  users(): Promise<string[] | undefined>;
}

export function orgDirectory(apis: GoogleApis, directory: { customer: string } | undefined, actAs: string | undefined, now: () => number = Date.now): OrgDirectory {
  if (!directory || !actAs) return { membersOf: async () => undefined, users: async () => undefined };
  let users: { at: number; value: Promise<string[]> } | undefined;
  const groups = new Map<string, { at: number; value: Promise<string[] | undefined> }>();
  const fresh = (entry: { at: number } | undefined): boolean => entry !== undefined && now() - entry.at < TTL_MS;

  const listUsers = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const user of directoryUsers(apis, directory.customer, actAs)) {
      if (user.primaryEmail && !user.suspended && !user.archived) out.push(user.primaryEmail.toLowerCase());
    }
    return out;
  };
  const listMembers = async (group: string): Promise<string[] | undefined> => {
    const out: string[] = [];
    let pageToken: string | undefined;
    do {
      const answer = await request(
        'google directory',
        async () =>
          (
            await apis.directory.members.list(
              { groupKey: group, includeDerivedMembership: true, maxResults: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) },
              await apis.as(actAs),
            )
          ).data,
        [404],
      );
      if ('status' in answer) return undefined; // not a group of this directory (another domain's, or deleted)
      for (const m of answer.ok.members ?? []) if (m.email && m.type === 'USER' && m.status !== 'SUSPENDED') out.push(m.email.toLowerCase());
      pageToken = answer.ok.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  };

  return {
    async users() {
      if (!fresh(users)) {
        const value = listUsers();
        users = { at: now(), value };
        value.catch(() => (users = undefined));
      }
      return users!.value;
    },
    async membersOf(groupEmail) {
      const key = groupEmail.toLowerCase();
      let entry = groups.get(key);
      if (!fresh(entry)) {
        const value = listMembers(key);
        entry = { at: now(), value };
        groups.set(key, entry);
        value.catch(() => groups.delete(key));
      }
      return entry!.value;
    },
  };
}

/** Every user of the customer's directory, page by page (Admin SDK users.list). */
export async function* directoryUsers(apis: GoogleApis, customer: string, actAs: string): AsyncGenerator<admin_directory_v1.Schema$User> {
  let pageToken: string | undefined;
  do {
    const page = await usersPage(apis, customer, actAs, pageToken);
    yield* page.users ?? [];
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
}

export async function usersPage(apis: GoogleApis, customer: string, actAs: string, pageToken: string | undefined): Promise<admin_directory_v1.Schema$Users> {
  const answer = await request('google directory', async () =>
    (
      await apis.directory.users.list(
        { customer, maxResults: 500, projection: 'full', viewType: 'admin_view', orderBy: 'email', ...(pageToken ? { pageToken } : {}) },
        await apis.as(actAs),
      )
    ).data,
  );
  if ('status' in answer) throw new Error(`google directory: users.list answered ${answer.status}`);
  return answer.ok;
}
