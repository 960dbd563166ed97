/** The people directory: identity resolution for every format. */
import type { Person } from '../../../schemas/entities';
import { stableHash } from './ids';
import type { Directory } from './types';

export function normalizeName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export function directoryFrom(people: readonly Person[]): Directory {
  const emails = new Map<string, Person>();
  const slack = new Map<string, Person>();
  const names = new Map<string, Person | null>(); // null = ambiguous
  const sorted = [...people].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const p of sorted) {
    if (!emails.has(p.id)) emails.set(p.id, p);
    for (const identity of p.identities) {
      if (identity.provider === 'email') {
        const e = identity.externalId.trim().toLowerCase();
        if (!emails.has(e)) emails.set(e, p);
      } else if (identity.provider === 'slack') {
        if (!slack.has(identity.externalId)) slack.set(identity.externalId, p);
      }
    }
    const key = normalizeName(p.name);
    const existing = names.get(key);
    if (existing === undefined) names.set(key, p);
    else if (existing !== null && existing.id !== p.id) names.set(key, null);
  }
  const fingerprint = stableHash(sorted);
  return {
    byEmail: (email) => emails.get(email.trim().toLowerCase()),
    bySlackId: (id) => slack.get(id.trim()),
    byName: (displayName) => names.get(normalizeName(displayName)) ?? undefined,
    fingerprint,
    size: sorted.length,
  };
}

/** The person, if they are opted in; undefined for unknown and opted-out people alike. */
export function optedIn(person: Person | undefined): Person | undefined {
  return person?.optedIn ? person : undefined;
}
