/**
 * decisions_show / resolve / snooze / reassign against real follow-up workflows: the sample team is ingested
 * (which logs open decisions and starts their follow-ups), then each operation is invoked through invoke() with a
 * principal, and its effect is read back from the workflow's own status query and from the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder, sampleTimeShiftMs } from '../../clients/cli/demo';
import { errorBody, findOperation, type DeclaredOperation, type OperationContext, type OutputOf, type Principal } from '../../clients/registry';
import { invoke } from '../../clients/registry/invoke';
import { statusQuery, type FollowUpState } from '../../workflows/follow-up-defs';
import { followUpWorkflowId } from '../../workflows/ids';
import { openTestStack, type TestStack } from '../support/stack';

const ALICE = 'alice@acme.test';
const aliceReads: Principal = { personId: ALICE, scope: 'read' };
const aliceWrites: Principal = { personId: ALICE, scope: 'write' };
const OWNER: Principal = { personId: 'owner@acme.test', scope: 'admin', owner: true };

type Name = DeclaredOperation['name'];
type Out<N extends Name> = OutputOf<Extract<DeclaredOperation, { name: N }>>;

let stack: TestStack;
/** decisions alice may see whose follow-up is running */
let open: Out<'decisions_show'>[] = [];

const context = (principal: Principal): OperationContext => ({ principal, surface: 'in-process', stack: async () => stack });

async function call<N extends Name>(name: N, input: unknown, principal: Principal = aliceWrites): Promise<Out<N>> {
  const operation = findOperation(name);
  if (!operation) throw new Error(`no operation ${name} in the registry`);
  return (await invoke(operation, input, context(principal))) as Out<N>;
}

async function failure(name: Name, input: unknown, principal: Principal = aliceWrites) {
  try {
    await call(name, input, principal);
  } catch (error) {
    return errorBody(error).error;
  }
  throw new Error(`${name} was expected to fail`);
}

const followUpState = (kind: 'decision' | 'action', id: string): Promise<FollowUpState> =>
  stack.client.workflow.getHandle(followUpWorkflowId(kind, id)).query(statusQuery);

/** Polls the workflow's own state until it satisfies `ok` (a signal is applied asynchronously). */
async function stateWhen(kind: 'decision' | 'action', id: string, ok: (s: FollowUpState) => boolean): Promise<FollowUpState> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await followUpState(kind, id);
    if (ok(state)) return state;
    if (Date.now() > deadline) throw new Error(`follow-up of ${kind} ${id} never reached the expected state: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'decisions-ops' });
  const ingested = await call('ingest', { folder: sampleTeamFolder, sourceId: 'acme', timeShiftMs: await sampleTimeShiftMs(new Date()) }, OWNER);
  expect(ingested.result.followUps.started).toBeGreaterThan(0);
  const listed = await call('decisions_list', { open: true, limit: 100 }, aliceReads);
  for (const d of listed) {
    const shown = await call('decisions_show', { id: d.id }, aliceReads);
    if (shown.followUp?.open) open.push(shown);
  }
  open = open.filter((d) => d.kind === 'decision');
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

describe('decisions_show', () => {
  it('shows a decision with its sources and its running follow-up, linked to the Temporal UI', async () => {
    expect(open.length).toBeGreaterThanOrEqual(3);
    const d = open[0]!;
    expect(d.sources.length).toBeGreaterThan(0);
    expect(d.sources[0]).toMatchObject({ itemId: expect.any(String), quote: expect.any(String) });
    expect(d.followUp).toMatchObject({ workflowId: `decision:${d.id}`, status: 'RUNNING', open: true });
    expect(d.followUp!.runId).toMatch(/\S/);
    // (the test server is given by address, so the stack knows no UI URL: the link is whatever the stack builds)
    expect(d.followUp!.uiLink).toBe(stack.uiLink(`decision:${d.id}`, d.followUp!.runId));
    expect(['waiting', 'sending']).toContain(d.followUp!.phase);
    expect(d.followUp!.next?.step).toMatch(/^(nudge|escalate|stale)$/);
    const state = await followUpState('decision', d.id);
    expect(d.followUp!.cycle).toBe(state.cycle);
  });

  it('is the same decision for an admin reading as alice, and unknown to anyone who may not see it', async () => {
    const d = open[0]!;
    expect((await call('decisions_show', { id: d.id, as: ALICE }, OWNER)).id).toBe(d.id);
    const stored = await stack.decisions.getDecision(d.id);
    const people = await stack.store.listPeople();
    const outsider = people.find((p) => p.optedIn && !stored!.access.includes(p.id));
    expect(outsider, 'someone in the directory who may not see the decision').toBeDefined();
    const asOutsider: Principal = { personId: outsider!.id, scope: 'write' };
    expect(await failure('decisions_show', { id: d.id }, asOutsider)).toMatchObject({ code: 'not_found' });
    expect(await failure('decisions_resolve', { id: d.id, resolution: 'done' }, asOutsider)).toMatchObject({ code: 'not_found' });
  });

  it('says so for an unknown id', async () => {
    const err = await failure('decisions_show', { id: 'dec_nosuchdecision' }, aliceReads);
    expect(err).toMatchObject({ code: 'not_found' });
    expect(err.message).toContain('dec_nosuchdecision');
  });

  it('declares the decision as an MCP resource', () => {
    expect(findOperation('decisions_show')!.resource?.uriTemplate).toBe('mycelium://decisions/{id}');
  });
});

describe('decisions_resolve', () => {
  it('refuses a resolution a decision cannot have, naming the field', async () => {
    const err = await failure('decisions_resolve', { id: open[0]!.id, resolution: 'dropped' });
    expect(err).toMatchObject({ code: 'invalid_input', field: 'resolution' });
    expect((await failure('decisions_resolve', { id: open[0]!.id, resolution: 'maybe' })).field).toBe('resolution');
    expect(await failure('decisions_resolve', { id: open[0]!.id, resolution: 'done' }, aliceReads)).toMatchObject({ code: 'forbidden' });
  });

  it('resolves through the follow-up workflow: its status query says resolved, the store says done', async () => {
    const d = open[0]!;
    const out = await call('decisions_resolve', { id: d.id, resolution: 'done', reason: 'shipped in 4.2' });
    expect(out.status).toBe('done');
    expect(out.message).toContain('resolved as done');
    const state = await followUpState('decision', d.id);
    expect(state).toMatchObject({ phase: 'closed', outcome: 'resolved', resolution: { status: 'done', reason: 'shipped in 4.2' } });
    expect((await stack.decisions.getDecision(d.id))!.status).toBe('done');
    expect((await call('decisions_show', { id: d.id }, aliceReads)).followUp?.open).toBe(false);
  });

  it('a decision with no open follow-up is a conflict', async () => {
    const err = await failure('decisions_resolve', { id: open[0]!.id, resolution: 'rejected' });
    expect(err.code).toBe('conflict');
    expect(err.message).toContain(`decision ${open[0]!.id} has no open follow-up`);
    expect((await failure('decisions_snooze', { id: open[0]!.id, until: new Date(Date.now() + 86_400_000).toISOString() })).code).toBe('conflict');
  });
});

describe('decisions_snooze and decisions_reassign', () => {
  it('snoozes the follow-up: no step before the given time', async () => {
    const d = open[1]!;
    const until = new Date(Date.now() + 30 * 86_400_000);
    const out = await call('decisions_snooze', { id: d.id, until: until.toISOString() });
    expect(out.message).toContain(until.toISOString());
    const state = await stateWhen('decision', d.id, (s) => s.snoozedUntil !== undefined);
    expect(state.snoozedUntil).toBe(until.toISOString());
    expect(Date.parse(state.next!.dueAt)).toBeGreaterThanOrEqual(until.getTime());
    expect(await failure('decisions_snooze', { id: d.id, until: '2020-01-01T00:00:00Z' })).toMatchObject({ code: 'invalid_input', field: 'until' });
  });

  it('reassigns: the new owner owns it, in the store and in a new cycle of the follow-up', async () => {
    const d = open[2]!;
    const to = (await stack.store.listPeople()).find((p) => p.optedIn && p.id !== d.owner?.id)!.id;
    const out = await call('decisions_reassign', { id: d.id, to });
    expect(out.message).toContain(`is ${to}'s now`);
    const state = await stateWhen('decision', d.id, (s) => s.ownerId === to);
    expect(state.cycle).toBeGreaterThan(1);
    expect((await stack.decisions.getDecision(d.id))!.ownerId).toBe(to);
    expect(await failure('decisions_reassign', { id: d.id, to: 'nobody@acme.test' })).toMatchObject({ code: 'invalid_input', field: 'to' });
  });
});
