/**
 * The local owner of this Mycelium: the person a CLI running in-process acts as, and whose admin
 * token the service keeps under MYCELIUM_HOME (mode 0600) for the CLI on the same machine.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TokenStore } from '../../activities/memory/tokens';
import type { Principal } from '../registry/operation';
import { ownerTokenFile, readOwnerToken } from './discovery';

/** A pseudo-identity for a machine whose owner has not said who they are (MYCELIUM_OWNER). */
export const LOCAL_OWNER = 'owner@mycelium.local';

export function ownerPersonId(env: NodeJS.ProcessEnv = process.env): string {
  return env.MYCELIUM_OWNER?.trim().toLowerCase() || LOCAL_OWNER;
}

export function ownerPrincipal(env: NodeJS.ProcessEnv = process.env): Principal {
  return { personId: ownerPersonId(env), scope: 'admin', owner: true };
}

/** The owner token on disk if it still verifies as this owner's admin token, else a new one written there. */
export async function ensureOwnerToken(tokens: TokenStore, home: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const personId = ownerPersonId(env);
  const existing = await readOwnerToken(home);
  if (existing) {
    const record = await tokens.verify(existing);
    if (record && record.owner && record.scope === 'admin' && record.personId === personId) return existing;
    // the owner changed (MYCELIUM_OWNER): the old owner's token must not outlive the file that held it
    if (record) await tokens.revoke(record.id);
  }
  const created = await tokens.create({ personId, scope: 'admin', owner: true, name: 'local owner (written by myc serve)' });
  const file = ownerTokenFile(home);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${created.token}\n`, { mode: 0o600 });
  // the mode of writeFile applies only when it creates the file
  await chmod(file, 0o600);
  return created.token;
}
