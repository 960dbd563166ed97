/**
 * people.json: the team directory and the opt-in.
 * { "people": [ { email, name, title?, team?, manager?, timezone?, workingHours?, optedIn, slackId? } ] }
 */
import { z } from 'zod';
import { Person } from '../../../schemas/entities';
import { formatIssue } from './common';
import { parseJson } from './json';
import type { UnitContent } from './common';
import { QuarantineError } from './types';
import { isValidTimeZone } from '../../../workflows/cadence';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected "HH:MM" (24h)' });

export const PeopleEntry = z.object({
  email: z.email({ message: 'not an email address' }),
  name: z.string().trim().min(1, { message: 'must not be empty' }),
  title: z.string().trim().min(1).optional(),
  team: z.string().trim().min(1).optional(),
  manager: z.email({ message: 'not an email address' }).optional(),
  timezone: z.string().refine(isValidTimeZone, { message: 'not an IANA time zone' }).optional(),
  workingHours: z.object({ start: HHMM, end: HHMM }).optional(),
  optedIn: z.boolean({ message: 'must be true or false' }),
  slackId: z.string().trim().min(1).optional(),
});
export type PeopleEntry = z.infer<typeof PeopleEntry>;

export const PeopleFile = z
  .object({ people: z.array(PeopleEntry) })
  .superRefine((file, ctx) => {
    const emails = new Map<string, number>();
    const slackIds = new Map<string, number>();
    file.people.forEach((p, i) => {
      const email = p.email.toLowerCase();
      const firstEmail = emails.get(email);
      if (firstEmail !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['people', i, 'email'], message: `duplicate of people[${firstEmail}]` });
      } else emails.set(email, i);
      if (p.slackId) {
        const firstSlack = slackIds.get(p.slackId);
        if (firstSlack !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['people', i, 'slackId'], message: `duplicate of people[${firstSlack}]` });
        } else slackIds.set(p.slackId, i);
      }
    });
  });

export function toPerson(entry: PeopleEntry): Person {
  const id = entry.email.toLowerCase();
  return Person.parse({
    id,
    name: entry.name,
    title: entry.title,
    team: entry.team,
    managerId: entry.manager?.toLowerCase(),
    timezone: entry.timezone,
    workingHours: entry.workingHours,
    optedIn: entry.optedIn,
    identities: [
      { provider: 'email', externalId: id },
      ...(entry.slackId ? [{ provider: 'slack' as const, externalId: entry.slackId }] : []),
    ],
  });
}

export function parsePeople(relPath: string, text: string): UnitContent {
  const json = parseJson(text, relPath);
  const parsed = PeopleFile.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const more = parsed.error.issues.length - 1;
    throw new QuarantineError(
      relPath,
      `${first ? formatIssue(first) : 'invalid people file'}${more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`,
    );
  }
  return { people: parsed.data.people.map(toPerson) };
}
