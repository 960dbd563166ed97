/**
 * A newcomer's own data, as a new user meets it: a folder of the sample's emails and transcripts and no
 * people.json. Ingest stores nothing and says whose content it held back; `people` lists them as seen; adding
 * and opting one in brings their content in on the next ingest of the same folder; opting out takes it out.
 * Real Temporal (dev server), real worker, real store; every call through invoke() with a principal.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder } from '../../clients/cli/demo';
import { errorBody, findOperation, type DeclaredOperation, type OperationContext, type OutputOf, type Principal } from '../../clients/registry';
import { invoke } from '../../clients/registry/invoke';
import { describeHeldBack } from '../../clients/registry/ops/people-text';
import { openTestStack, type TestStack } from '../support/stack';

const SOURCE = 'newcomer';
const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';

const OWNER: Principal = { personId: 'owner@newcomer.test', scope: 'admin', owner: true };
const aliceWrites: Principal = { personId: ALICE, scope: 'write' };
const aliceReads: Principal = { personId: ALICE, scope: 'read' };

let stack: TestStack;
let folder: string;

const context = (principal: Principal): OperationContext => ({ principal, surface: 'in-process', stack: async () => stack });

type Name = DeclaredOperation['name'];
type Out<N extends Name> = OutputOf<Extract<DeclaredOperation, { name: N }>>;

async function call<N extends Name>(name: N, input: unknown, principal: Principal = OWNER): Promise<Out<N>> {
  const operation = findOperation(name);
  if (!operation) throw new Error(`no operation ${name} in the registry`);
  return (await invoke(operation, input, context(principal))) as Out<N>;
}

async function failure(name: Name, input: unknown, principal: Principal = OWNER) {
  try {
    await call(name, input, principal);
  } catch (error) {
    return errorBody(error).error;
  }
  throw new Error(`${name} was expected to fail`);
}

const ingest = () => call('ingest', { folder, sourceId: SOURCE });

/** Items and transcript turns in the store by this person. */
async function storedBy(personId: string): Promise<number> {
  const { rows } = await stack.db.query<{ n: string | number }>(
    `SELECT (SELECT count(*) FROM items WHERE author_id = $1) + (SELECT count(*) FROM chunks WHERE speaker_id = $1) AS n`,
    [personId],
  );
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'myc-newcomer-'));
  await cp(join(sampleTeamFolder, 'email'), join(folder, 'email'), { recursive: true });
  await cp(join(sampleTeamFolder, 'transcripts'), join(folder, 'transcripts'), { recursive: true });
  stack = await openTestStack({ name: 'people-newcomer' });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('a newcomer ingesting emails and transcripts without a directory', () => {
  let first: Out<'ingest'>;

  beforeAll(async () => {
    first = await ingest();
  }, 180_000);

  it('stores nothing, and says whose content it held back and how to let it in', () => {
    const result = first.result;
    expect(result.files).toBe(14);
    expect(result.inserted).toBe(0);
    expect(result.heldBack.items).toBeGreaterThan(14);
    const ids = result.heldBack.authors.map((a) => a.id);
    expect(ids).toContain(ALICE);
    expect(ids).toContain(BOB);
    // a transcript speaker is matched to their attendee email, and named as the transcript names them
    expect(result.heldBack.authors.find((a) => a.id === ALICE)).toMatchObject({ name: 'Alice Chen' });
    expect(result.heldBack.items).toBe(result.heldBack.authors.reduce((n, a) => n + a.items, 0));

    const [line] = describeHeldBack(result.heldBack);
    expect(line).toMatch(new RegExp(`^${result.heldBack.items} items held back: their ${result.heldBack.authors.length} authors are not in the directory or not opted in: `));
    expect(line).toContain('`myc people add <email>`');
    expect(line).toContain('`myc people opt-in <email>`');
  });

  it('lists the people it saw as "seen, not in the directory", identity only, to an admin', async () => {
    const people = await call('people_list', {});
    const alice = people.find((p) => p.id === ALICE)!;
    expect(alice).toMatchObject({ name: 'Alice Chen', status: 'seen, not in the directory', inDirectory: false, optedIn: false });
    expect(alice.heldBack.items).toBeGreaterThan(0);
    expect(alice.heldBack.files).toBeGreaterThan(0);
    expect(alice.firstSeen?.sourceId).toBe(SOURCE);
    expect(Object.keys(alice).sort()).toEqual(['firstSeen', 'heldBack', 'id', 'inDirectory', 'lastSeen', 'name', 'optedIn', 'status']);
    expect(await call('people_list', { status: 'opted-in' })).toEqual([]);
  });

  it('shows held-back people to no one but an admin', async () => {
    expect(await call('people_list', {}, aliceReads)).toEqual([{ ...(await call('people_show', { email: ALICE })) }]);
    expect(await call('people_list', {}, { personId: 'someone@acme.test', scope: 'read' })).toEqual([]);
    expect(await failure('people_show', { email: BOB }, aliceReads)).toMatchObject({ code: 'not_found' });
  });

  it('shows one person, and says so for someone it never saw', async () => {
    expect(await call('people_show', { email: 'ALICE@acme.test' })).toMatchObject({ id: ALICE, status: 'seen, not in the directory' });
    expect(await failure('people_show', { email: 'nobody@acme.test' })).toMatchObject({ code: 'not_found' });
    expect(await failure('people_show', { email: 'not an email' })).toMatchObject({ code: 'invalid_input', field: 'email' });
  });

  it('held back the same on a second ingest of the unchanged folder', async () => {
    const again = await ingest();
    expect(again.result.inserted).toBe(0);
    expect(again.result.heldBack).toEqual(first.result.heldBack);
  }, 180_000);
});

describe('letting someone in, and out again', () => {
  it('adds a person under the name seen, not opted in', async () => {
    const added = await call('people_add', { email: ALICE, team: 'Mobile', timezone: 'Europe/Berlin' });
    expect(added.person).toMatchObject({ id: ALICE, name: 'Alice Chen', status: 'not opted in', team: 'Mobile', timezone: 'Europe/Berlin' });
    expect(added.message).toContain('not opted in');
    expect(await failure('people_add', { email: ALICE, name: 'Alice' })).toMatchObject({ code: 'conflict' });
    expect(await failure('people_add', { email: 'new@acme.test' })).toMatchObject({ code: 'invalid_input', field: 'name' });
    expect(await failure('people_add', { email: 'new@acme.test', name: 'New', timezone: 'Mars/Olympus' })).toMatchObject({ field: 'timezone' });
    expect(await failure('people_add', { email: 'x@acme.test', name: 'X' }, aliceWrites)).toMatchObject({ code: 'forbidden' });
  });

  it('lets a person opt themself in (but no one else), saying which files the next sync re-reads', async () => {
    expect(await failure('people_opt_in', { email: BOB }, aliceWrites)).toMatchObject({ code: 'forbidden' });
    expect(await failure('people_opt_in', { email: ALICE }, aliceReads)).toMatchObject({ code: 'forbidden' });
    const out = await call('people_opt_in', { email: ALICE }, aliceWrites);
    expect(out.changed).toBe(true);
    expect(out.person).toMatchObject({ status: 'opted-in', optedIn: true });
    expect(out.files).toHaveLength(1);
    expect(out.files[0]!.sourceId).toBe(SOURCE);
    expect(out.files[0]!.files).toBeGreaterThan(0);
    expect(out.message).toBe(`${ALICE} is opted in: ${out.files[0]!.files} files of source ${SOURCE} will be re-read on its next sync, bringing in what was held back`);
    const { rows } = await stack.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM source_files WHERE source_id = $1 AND file_hash = ''`, [SOURCE]);
    expect(Number(rows[0]!.n)).toBe(out.files[0]!.files);
    expect((await call('people_opt_in', { email: ALICE })).changed).toBe(false);
  });

  it('the next ingest of the same folder stores what was held back, and search finds it', async () => {
    const before = (await call('people_show', { email: ALICE })).heldBack.items;
    expect(before).toBeGreaterThan(0);
    const next = await ingest();
    expect(next.result.inserted).toBeGreaterThan(0);
    expect(next.result.heldBack.authors.map((a) => a.id)).not.toContain(ALICE);
    expect(await storedBy(ALICE)).toBeGreaterThanOrEqual(before);
    expect((await call('people_show', { email: ALICE })).heldBack).toEqual({ items: 0, files: 0 });

    const hits = await call('search', { query: 'offline sync design schema migration' }, aliceReads);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.some((h) => h.author === 'Alice Chen')).toBe(true);
    // nothing of those still held back leaks into what is now stored
    const bob = await call('people_show', { email: BOB });
    expect(bob.status).toBe('seen, not in the directory');
    expect(await storedBy(BOB)).toBe(0);
  }, 180_000);

  it('opting out stops their ingestion and removes what was stored on the next sync (at once with sync: true)', async () => {
    const out = await call('people_opt_out', { email: ALICE, sync: true });
    expect(out.changed).toBe(true);
    expect(out.person.status).toBe('not opted in');
    expect(out.message).toMatch(new RegExp(`^${ALICE} is opted out: their content in \\d+ files? of source ${SOURCE} will be removed on its next sync$`));
    expect(out.synced).toHaveLength(1);
    expect(out.synced![0]!).toMatchObject({ sourceId: SOURCE, workflowId: `sync:${SOURCE}` });
    expect(await storedBy(ALICE)).toBe(0);
    const { rows } = await stack.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM chunks WHERE text ILIKE '%lock the design for offline sync%'`);
    expect(Number(rows[0]!.n)).toBe(0);
    expect((await call('people_show', { email: ALICE })).heldBack.items).toBeGreaterThan(0);
    expect(await failure('people_opt_out', { email: 'nobody@acme.test' })).toMatchObject({ code: 'not_found' });
  }, 180_000);

  it('opting in with sync: true brings them back at once', async () => {
    const out = await call('people_opt_in', { email: ALICE, sync: true });
    expect(out.synced).toHaveLength(1);
    expect(out.synced![0]!.inserted + out.synced![0]!.updated).toBeGreaterThan(0);
    expect(await storedBy(ALICE)).toBeGreaterThan(0);
  }, 180_000);

  it('opts in someone seen but not in the directory under the name seen', async () => {
    const out = await call('people_opt_in', { email: BOB });
    expect(out.person).toMatchObject({ id: BOB, name: 'Bob Okafor', status: 'opted-in', inDirectory: true });
    expect(out.files[0]!.files).toBeGreaterThan(0);
  });
});
