/**
 * Who may see a Drive file, from its permissions (the file's sharing, as Drive reports it to the reader):
 *
 *   user                    → that address
 *   group                   → the group's members from the Admin directory (nested groups expanded); without a
 *                             directory, or for another domain's group, the group's own address stays in the list
 *                             (it matches no person, so it grants nobody extra — the safe side)
 *   domain                  → every directory user whose address is in that domain; nobody without a directory
 *   anyone (link or public) → every user of the org directory; nobody without a directory
 *
 * Addresses become person ids through the people directory, and only people who opted in are kept (as every
 * connector does): access lists name people of the memory, not all of the world.
 */
import type { drive_v3 } from 'googleapis/build/src/apis/drive/index.js';
import { accessList } from '../files/common';
import { optedIn } from '../files/directory';
import type { GoogleReadContext } from './context';

export async function accessFromPermissions(rc: GoogleReadContext, permissions: readonly drive_v3.Schema$Permission[]): Promise<string[]> {
  const addresses = new Set<string>();
  const kept = new Set<string>(); // addresses that stay as they are (unexpanded groups)
  for (const permission of permissions) {
    if (permission.deleted) continue;
    const email = permission.emailAddress?.trim().toLowerCase();
    switch (permission.type) {
      case 'user':
        if (email) addresses.add(email);
        break;
      case 'group': {
        if (!email) break;
        const members = await rc.org.membersOf(email);
        if (members) for (const m of members) addresses.add(m);
        else kept.add(email);
        break;
      }
      case 'domain': {
        const domain = permission.domain?.trim().toLowerCase();
        if (!domain) break;
        for (const u of (await rc.org.users()) ?? []) if (u.endsWith(`@${domain}`)) addresses.add(u);
        break;
      }
      case 'anyone':
        for (const u of (await rc.org.users()) ?? []) addresses.add(u);
        break;
      default:
        break;
    }
  }
  const people = [...addresses].map((a) => optedIn(rc.ctx.directory.byEmail(a))?.id).filter((id): id is string => id !== undefined);
  return accessList([...people, ...kept]);
}
