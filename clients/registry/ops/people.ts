/**
 * The people directory and the opt-in: who is in it, who ingestion has seen but held back, adding people,
 * opting them in and out. Opt-in stays the rule: content by someone not opted in is never stored; these
 * operations say so and offer the way in.
 */
import { z } from 'zod';
import { Person, PersonId } from '../../../schemas/entities';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors';
import { defineOperation, type OperationContext } from '../operation';
import { Flag } from './fields';
import { describeFiles } from './people-text';
import { isValidTimeZone } from '../../../workflows/cadence';

export const PERSON_STATUSES = ['opted-in', 'not opted in', 'seen, not in the directory'] as const;

const Seen = z.object({ at: z.coerce.date(), sourceId: z.string(), path: z.string() });

export const PersonOut = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: z.enum(PERSON_STATUSES),
  inDirectory: z.boolean(),
  optedIn: z.boolean(),
  title: z.string().optional(),
  team: z.string().optional(),
  managerId: z.string().optional(),
  timezone: z.string().optional(),
  /** what ingestion holds back from them now: content pieces and the files they are in */
  heldBack: z.object({ items: z.number().int(), files: z.number().int() }),
  firstSeen: Seen.optional(),
  lastSeen: Seen.optional(),
});
export type PersonOut = z.infer<typeof PersonOut>;

const FilesOut = z.array(z.object({ sourceId: z.string(), files: z.number().int() }));

const OptChangeOut = z.object({
  person: PersonOut,
  /** false when they already were where the operation would put them */
  changed: z.boolean(),
  /** the files the next sync of each source re-reads for this change */
  files: FilesOut,
  /** what will happen, for a person */
  message: z.string(),
  /** the syncs run now (input `sync`) */
  synced: z
    .array(
      z.object({
        sourceId: z.string(),
        workflowId: z.string(),
        runId: z.string(),
        uiLink: z.string().optional(),
        inserted: z.number().int(),
        updated: z.number().int(),
        removed: z.number().int(),
        heldBack: z.number().int(),
      }),
    )
    .optional(),
});

const Email = PersonId.describe('the person (their email)');

type Stack = Awaited<ReturnType<OperationContext['stack']>>;

/** Everyone the asker may know of: the directory, and (admins only) the people seen but held back. */
async function peopleAsSeenBy(context: OperationContext, ids?: string[]): Promise<PersonOut[]> {
  const stack = await context.stack();
  const [directory, seen, counts] = await Promise.all([
    ids ? stack.store.peopleByIds(ids) : stack.store.listPeople(),
    stack.store.seenPeople(ids),
    stack.store.heldBackCounts(ids),
  ]);
  const countOf = new Map(counts.map((c) => [c.personId, c]));
  const seenOf = new Map(seen.map((s) => [s.id, s]));
  const out = new Map<string, PersonOut>();
  for (const p of directory) {
    const s = seenOf.get(p.id);
    const c = countOf.get(p.id);
    out.set(p.id, {
      id: p.id,
      name: p.name,
      status: p.optedIn ? 'opted-in' : 'not opted in',
      inDirectory: true,
      optedIn: p.optedIn,
      ...(p.title ? { title: p.title } : {}),
      ...(p.team ? { team: p.team } : {}),
      ...(p.managerId ? { managerId: p.managerId } : {}),
      timezone: p.timezone,
      heldBack: { items: c?.items ?? 0, files: c?.files ?? 0 },
      ...(s ? { firstSeen: s.firstSeen, lastSeen: s.lastSeen } : {}),
    });
  }
  for (const s of seen) {
    if (out.has(s.id)) continue;
    const c = countOf.get(s.id);
    out.set(s.id, {
      id: s.id,
      name: s.name,
      status: 'seen, not in the directory',
      inDirectory: false,
      optedIn: false,
      heldBack: { items: c?.items ?? 0, files: c?.files ?? 0 },
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
    });
  }
  const { principal } = context;
  // Who is held back is identity the product otherwise never shows ("someone outside the opt-in"):
  // only an admin, who can let them in, sees it; anyone may see the opted-in directory and themself.
  const visible = [...out.values()].filter((p) => principal.scope === 'admin' || p.optedIn || p.id === principal.personId);
  return visible.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function personOrNotFound(context: OperationContext, email: string, verb: string): Promise<PersonOut> {
  const [person] = await peopleAsSeenBy(context, [email]);
  if (!person) throw new NotFoundError(`${verb}: nobody called ${email} is in the directory or was seen in ingested data`);
  return person;
}

/** Opting in or out is an admin's act, or the person's own. */
function assertMayChangeOptIn(context: OperationContext, email: string, verb: string): void {
  const { principal } = context;
  if (principal.scope !== 'admin' && principal.personId !== email) {
    throw new ForbiddenError(`${verb}: only an admin token, or ${email}'s own, may change whether ${email} is opted in`);
  }
}

function bySource(files: readonly { sourceId: string; path: string }[]): { sourceId: string; files: number }[] {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.sourceId, (counts.get(f.sourceId) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sourceId, n]) => ({ sourceId, files: n }));
}

/** Runs the sync of each source now, through the same path as `ingest`. */
async function syncNow(stack: Stack, sourceIds: readonly string[]): Promise<z.input<typeof OptChangeOut>['synced']> {
  const { ingest } = await import('../../operations');
  const synced = [];
  for (const sourceId of sourceIds) {
    const source = await stack.store.getSource(sourceId);
    const config = source?.config as { root?: unknown; timeShiftMs?: unknown } | undefined;
    if (source?.kind !== 'files' || typeof config?.root !== 'string') continue; // only folders are synced by `ingest`
    const timeShiftMs = typeof config.timeShiftMs === 'number' ? config.timeShiftMs : 0;
    const out = await ingest(stack, { folder: config.root, sourceId, timeShiftMs });
    synced.push({
      sourceId,
      workflowId: out.workflowId,
      runId: out.runId,
      uiLink: stack.uiLink(out.workflowId, out.runId),
      inserted: out.result.inserted,
      updated: out.result.updated,
      removed: out.result.removed,
      heldBack: out.result.heldBack.items,
    });
  }
  return synced;
}

export const peopleListOperation = defineOperation({
  name: 'people_list',
  description:
    'The people directory with each person\'s status (opted-in, not opted in) and, for admins, the people seen in ingested data whose content was held back ("seen, not in the directory"): identity only, never content.',
  scope: 'read',
  http: { method: 'GET', path: '/v1/people' },
  input: z.object({
    status: z.enum(PERSON_STATUSES).optional().describe('only people with this status'),
  }),
  output: z.array(PersonOut),
  async handler(context, input) {
    const people = await peopleAsSeenBy(context);
    return input.status ? people.filter((p) => p.status === input.status) : people;
  },
});

export const peopleShowOperation = defineOperation({
  name: 'people_show',
  description: 'One person: directory fields, opt-in status, where they were first and last seen, and how much of their content is held back.',
  scope: 'read',
  http: { method: 'GET', path: '/v1/people/:email' },
  input: z.object({ email: Email }),
  output: PersonOut,
  async handler(context, input) {
    return personOrNotFound(context, input.email, 'people_show');
  },
});

export const peopleAddOperation = defineOperation({
  name: 'people_add',
  description: 'Add a person to the directory (not opted in unless optIn is true); their name defaults to the one ingestion saw.',
  scope: 'admin',
  http: { method: 'POST', path: '/v1/people' },
  input: z.object({
    email: Email,
    name: z.string().trim().min(1, 'must not be empty').max(200).optional().describe('display name; default: the name seen in ingested data'),
    title: z.string().trim().min(1).max(200).optional(),
    team: z.string().trim().min(1).max(200).optional(),
    manager: PersonId.optional().describe("their manager's email"),
    timezone: z.string().refine(isValidTimeZone, { message: 'not an IANA time zone' }).optional(),
    optIn: Flag.default(false).describe('opt them in at once'),
  }),
  output: OptChangeOut,
  async handler(context, input) {
    const stack = await context.stack();
    if (await stack.store.getPerson(input.email)) {
      throw new ConflictError(`people_add: ${input.email} is in the directory already (opt them in with \`myc people opt-in ${input.email}\`)`);
    }
    const [seen] = await stack.store.seenPeople([input.email]);
    const name = input.name ?? seen?.name ?? undefined;
    if (!name) {
      throw new InvalidInputError(`people_add: give ${input.email} a name (none was seen in ingested data)`, {
        issues: [{ field: 'name', message: 'required: no name was seen for this person' }],
      });
    }
    await stack.store.upsertPeople([
      directoryEntry({
        id: input.email,
        name,
        ...(input.title ? { title: input.title } : {}),
        ...(input.team ? { team: input.team } : {}),
        ...(input.manager ? { managerId: input.manager } : {}),
        ...(input.timezone ? { timezone: input.timezone } : {}),
        optedIn: input.optIn,
      }),
    ]);
    const files = input.optIn ? await letIn(stack, input.email) : [];
    const person = await personOrNotFound(context, input.email, 'people_add');
    return {
      person,
      changed: true,
      files,
      message: input.optIn
        ? optedInMessage(input.email, files)
        : `${input.email} is in the directory, not opted in: nothing of theirs is stored until \`myc people opt-in ${input.email}\``,
    };
  },
});

/** A person added by hand, known by their email; timezone and working hours default as the directory's do (Person). */
function directoryEntry(fields: Pick<Person, 'id' | 'name' | 'optedIn'> & Partial<Pick<Person, 'title' | 'team' | 'managerId' | 'timezone'>>): Person {
  return Person.parse({ ...fields, identities: [{ provider: 'email', externalId: fields.id }] });
}

/** Marks the files that held back this person's content as changed; returns them per source. */
async function letIn(stack: Stack, email: string): Promise<{ sourceId: string; files: number }[]> {
  const files = await stack.store.heldBackFiles(email);
  await stack.store.markFilesChanged(files);
  return bySource(files);
}

function optedInMessage(email: string, files: { sourceId: string; files: number }[]): string {
  return files.length === 0
    ? `${email} is opted in; nothing of theirs was held back so far`
    : `${email} is opted in: ${describeFiles(files)} will be re-read on ${files.length === 1 ? 'its' : 'their'} next sync, bringing in what was held back`;
}

export const peopleOptInOperation = defineOperation({
  name: 'people_opt_in',
  description:
    "Opt a person in (an admin, or the person themself): the files that held back their content are re-read on the next sync of their source (at once with sync: true). Someone seen but not in the directory is added under the name seen.",
  scope: 'write',
  needsWorker: true,
  http: { method: 'POST', path: '/v1/people/:email/opt-in' },
  input: z.object({
    email: Email,
    sync: Flag.default(false).describe('sync the affected sources now and wait for it'),
  }),
  output: OptChangeOut,
  async handler(context, input) {
    assertMayChangeOptIn(context, input.email, 'people_opt_in');
    const stack = await context.stack();
    const existing = await stack.store.getPerson(input.email);
    if (!existing) {
      const [seen] = await stack.store.seenPeople([input.email]);
      if (!seen?.name) {
        throw new NotFoundError(`people_opt_in: ${input.email} is not in the directory; add them first with \`myc people add ${input.email} --name <name>\``);
      }
      await stack.store.upsertPeople([directoryEntry({ id: input.email, name: seen.name, optedIn: true })]);
    } else if (!existing.optedIn) {
      await stack.store.setOptedIn(input.email, true);
    }
    const changed = !existing?.optedIn;
    const files = await letIn(stack, input.email);
    const synced = input.sync ? await syncNow(stack, files.map((f) => f.sourceId)) : undefined;
    return {
      person: await personOrNotFound(context, input.email, 'people_opt_in'),
      changed,
      files,
      message: changed ? optedInMessage(input.email, files) : `${input.email} was opted in already`,
      ...(synced ? { synced } : {}),
    };
  },
});

export const peopleOptOutOperation = defineOperation({
  name: 'people_opt_out',
  description:
    'Opt a person out (an admin, or the person themself): nothing of theirs is ingested from then on, and what of theirs was stored is removed on the next sync of its source (at once with sync: true).',
  scope: 'write',
  needsWorker: true,
  http: { method: 'POST', path: '/v1/people/:email/opt-out' },
  input: z.object({
    email: Email,
    sync: Flag.default(false).describe('sync the affected sources now and wait for it'),
  }),
  output: OptChangeOut,
  async handler(context, input) {
    assertMayChangeOptIn(context, input.email, 'people_opt_out');
    const stack = await context.stack();
    const existing = await stack.store.getPerson(input.email);
    if (!existing) throw new NotFoundError(`people_opt_out: ${input.email} is not in the directory (so nothing of theirs is stored)`);
    if (existing.optedIn) await stack.store.setOptedIn(input.email, false);
    // What was stored goes too, on the next sync: a re-read leaves out everything by someone not opted in, and a
    // file's re-read removes what it no longer yields (their emails and messages; their turns of a transcript).
    // Not deleted here at once: one path (the sync) decides what a file yields, so nothing half-removed remains.
    const authored = await stack.store.filesAuthoredBy(input.email);
    await stack.store.markFilesChanged(authored);
    const files = bySource(authored);
    const synced = input.sync ? await syncNow(stack, files.map((f) => f.sourceId)) : undefined;
    const message = !existing.optedIn
      ? `${input.email} was not opted in`
      : files.length === 0
        ? `${input.email} is opted out; nothing of theirs was stored`
        : `${input.email} is opted out: their content in ${describeFiles(files)} will be removed on ${files.length === 1 ? 'its' : 'their'} next sync`;
    return {
      person: await personOrNotFound(context, input.email, 'people_opt_out'),
      changed: existing.optedIn,
      files,
      message,
      ...(synced ? { synced } : {}),
    };
  },
});
