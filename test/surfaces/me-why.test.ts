/**
 * `me`, its preference operations and `why <notificationId>` through the real surfaces: the HTTP API on a real
 * port, the MCP SDK's client, and the `myc` command (a real process talking to that service with a token). Behind
 * them the test stack: the Temporal dev server with a worker running the real person agents, and PGlite holding the
 * sample team (parsed by the files connector) and the notifications, planned as notifyStakeholders plans them.
 *
 * The agent is reached the one way other workflows reach it (signal-with-start of a notice); nothing reads the
 * agent's state but its own query, through the operations.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlannedNotification } from '../../activities/memory/notifications';
import { signalPersonAgent } from '../../activities/person-requests';
import { personWorkflowId } from '../../workflows/ids';
import { flushDigestUpdate } from '../../workflows/person-defs';
import { loadSample } from '../extraction/sample';
import { startSurfaces, toolJson, type Surfaces } from './harness';

const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';
/** The Q2 planning pre-read chain (email 07-09): Alice is on it, Bob is not. */
const Q2_MESSAGE_IDS = ['<20260306093040.ines.q2@acme.test>', '<20260306121502.erin.q2@acme.test>', '<20260309081122.alice.q2@acme.test>'];
const UI_URL = 'http://127.0.0.1:8233';
const bin = fileURLToPath(new URL('../../bin/mycelium.mjs', import.meta.url));

let surfaces: Surfaces;
let tokens: { aliceRead: string; aliceWrite: string; bobRead: string; bobWrite: string; admin: string };
let aliceMcp: Client;
let bobMcp: Client;
let q2ItemIds: string[];
/** an item Alice may not see */
let hiddenItemId: string;
const ids = { q2: '', offsite: '', bobs: '' };
/** Alice's digest time while the queue is looked at */
let firstDigestTime: string;
const runId = randomUUID();
const uiUrlBefore = process.env.TEMPORAL_UI_URL;

/** A local "HH:MM" in Alice's zone (Berlin) `hours` from now: a digest time no test run reaches. */
const berlinIn = (hours: number): string => DateTime.now().setZone('Europe/Berlin').plus({ hours }).toFormat('HH:mm');

function planned(recipientId: string, fields: Partial<PlannedNotification> & Pick<PlannedNotification, 'subject' | 'sourceItemIds'>): PlannedNotification {
  return {
    topicKey: 'text:q2-planning',
    recipientId,
    role: 'consult',
    roleReasons: ['replied in 1 of the 3 messages on Q2 planning this month', 'manager of Bob, who owns the mobile capacity numbers'],
    medium: 'digest',
    mediumReason: 'an FYI with no deadline and no discussion needed: it waits for the next digest',
    channel: 'slow',
    urgency: 'low',
    markdown: `${fields.subject}\n\nSee the thread.`,
    subjectKind: 'text',
    workflowId: 'notify:text:q2-planning',
    runId,
    ...fields,
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `myc` as a person runs it against a service: MYCELIUM_URL and their token. */
function myc(token: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, MYCELIUM_URL: surfaces.url, MYCELIUM_TOKEN: token, MYCELIUM_AS: '', LOG_LEVEL: 'warn' }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const call = async (client: Client, name: string, args: Record<string, unknown>) => toolJson(await client.callTool({ name, arguments: args }));

interface MeBody {
  settings: Record<string, unknown>;
  effective: { timezone: string; workingHours: { start: string; end: string }; digestTime: string; budgetPerDay: number };
  agent: {
    workflowId: string;
    running: boolean;
    message?: string;
    uiLink?: string;
    state?: {
      settings?: { quietHours?: { start: string; end: string }; dndUntil?: string; budgetPerDay: number; digestTime: string; preferredMediums: string[]; avoidedMediums: string[] };
      queue: { notificationId: string; subject?: string; placement: string; reason: string }[];
      nextDigestAt?: string;
      answersByMedium: Record<string, number>;
      recentlyDelivered: { notificationId: string; via: string; deliveryKey: string }[];
    };
  };
  notifications: { id: string; subject: string; status: string; deliveryKey: string | null }[];
  answers: { notificationId: string; medium: string }[];
}

async function me(token: string): Promise<MeBody> {
  const answer = await surfaces.http('GET', '/v1/me', { token });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as MeBody;
}

/** Reads `me` until `ok` holds: the agent applies a signal asynchronously. */
async function meWhen(token: string, ok: (m: MeBody) => boolean, what: string): Promise<MeBody> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = await me(token);
    if (ok(m)) return m;
    if (Date.now() > deadline) throw new Error(`me never showed ${what}: ${JSON.stringify(m.agent)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  // the Temporal UI the links point at (a deployment sets this when the UI is not the dev server's)
  process.env.TEMPORAL_UI_URL = UI_URL;
  surfaces = await startSurfaces('me-why');
  const { stack } = surfaces;
  const sample = await loadSample();
  for (const unit of sample.units) await stack.store.storeUnit('acme', unit);
  q2ItemIds = Q2_MESSAGE_IDS.map((id) => sample.byExternalId(id).id);
  const hidden = sample.items.find((i) => !i.access.includes(ALICE));
  expect(hidden, 'the sample team has something Alice may not see').toBeDefined();
  hiddenItemId = hidden!.id;

  tokens = {
    aliceRead: await surfaces.token(ALICE, 'read'),
    aliceWrite: await surfaces.token(ALICE, 'write'),
    bobRead: await surfaces.token(BOB, 'read'),
    bobWrite: await surfaces.token(BOB, 'write'),
    admin: await surfaces.token('ines@acme.test', 'admin'),
  };
  aliceMcp = await surfaces.mcp(tokens.aliceRead);
  bobMcp = await surfaces.mcp(tokens.bobRead);

  // a digest time half a day away, so that no digest goes out while the tests look at the queue
  firstDigestTime = berlinIn(12);
  await stack.personSettings.set(ALICE, { digestTime: firstDigestTime });
  const recorded = await stack.notifications.recordPlanned([
    planned(ALICE, { subject: 'Q2 planning pre-read is out', sourceItemIds: [...q2ItemIds, hiddenItemId] }),
    planned(ALICE, { subject: 'Spring offsite dates', topicKey: 'text:offsite', role: 'inform', roleReasons: ['on the team invited'], sourceItemIds: [] }),
    planned(BOB, { subject: 'Q2 capacity numbers wanted', role: 'decide', roleReasons: ['owns the mobile capacity numbers'], sourceItemIds: [] }),
  ]);
  [ids.q2, ids.offsite, ids.bobs] = recorded.map((r) => r.id) as [string, string, string];
  for (const id of [ids.q2, ids.offsite]) {
    await signalPersonAgent(stack.client, stack.taskQueue, ALICE, { notificationId: id, urgency: 'low', medium: 'digest', channel: 'slow' });
  }
  await meWhen(tokens.aliceRead, (m) => m.agent.state?.queue.length === 2, 'both notices queued');
}, 300_000);

afterAll(async () => {
  await surfaces?.close();
  if (uiUrlBefore === undefined) delete process.env.TEMPORAL_UI_URL;
  else process.env.TEMPORAL_UI_URL = uiUrlBefore;
});

describe('me', () => {
  it('shows the queue, the settings and the recent notifications, the same on HTTP, MCP and the CLI', async () => {
    const http = await me(tokens.aliceRead);
    expect(http.agent).toMatchObject({ workflowId: personWorkflowId(ALICE), running: true });
    expect(http.agent.uiLink).toMatch(new RegExp(`^${UI_URL}/namespaces/`));
    const queue = http.agent.state!.queue;
    expect(queue.map((q) => [q.notificationId, q.subject, q.placement]).sort()).toEqual(
      [
        [ids.q2, 'Q2 planning pre-read is out', 'digest'],
        [ids.offsite, 'Spring offsite dates', 'digest'],
      ].sort(),
    );
    expect(queue[0]!.reason).toMatch(/digest/);
    expect(http.agent.state!.nextDigestAt).toBeDefined();
    expect(http.settings).toMatchObject({ quietHours: null, dndUntil: null, attentionBudget: null, digestTime: firstDigestTime, preferredMediums: [] });
    expect(http.effective).toMatchObject({ timezone: 'Europe/Berlin', workingHours: { start: '09:00', end: '17:00' }, budgetPerDay: 6 });
    expect(http.notifications.map((n) => n.id).sort()).toEqual([ids.q2, ids.offsite].sort());
    expect(http.notifications.every((n) => n.status === 'planned')).toBe(true);

    expect(await call(aliceMcp, 'me_show', {})).toEqual({ isError: false, json: http });

    const json = await myc(tokens.aliceRead, 'me', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(http);
    const text = await myc(tokens.aliceRead, 'me');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Alice Chen <alice@acme.test>');
    expect(text.stdout).toContain(`agent ${personWorkflowId(ALICE)}: 2 waiting`);
    expect(text.stdout).toContain('[digest] Q2 planning pre-read is out');
    expect(text.stdout).toContain(`myc why ${ids.q2}`);
  });

  it('someone without an agent hears so, and looking does not start one', async () => {
    const bob = await me(tokens.bobRead);
    expect(bob.agent).toMatchObject({ workflowId: personWorkflowId(BOB), running: false, message: expect.stringMatching(/no agent yet/) });
    expect(bob.agent.state).toBeUndefined();
    expect(bob.notifications.map((n) => n.id)).toEqual([ids.bobs]);
    await expect(surfaces.stack.client.workflow.getHandle(personWorkflowId(BOB)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('a read token may look but not change: me_set needs write', async () => {
    const refused = await surfaces.http('POST', '/v1/me/settings', { token: tokens.aliceRead, body: { attentionBudget: 2 } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('preferences', () => {
  it('a change on each surface is saved and reaches the agent', async () => {
    const http = await surfaces.http('POST', '/v1/me/settings', {
      token: tokens.aliceWrite,
      body: { quietHours: '22:00-07:00', attentionBudget: 3, preferredMediums: ['chat_dm', 'email'] },
    });
    expect(http.status, JSON.stringify(http.body)).toBe(200);
    expect(http.body).toMatchObject({
      agentTold: true,
      settings: { quietHours: { start: '22:00', end: '07:00' }, attentionBudget: 3, preferredMediums: ['chat_dm', 'email'] },
      effective: { budgetPerDay: 3 },
    });

    const digestTime = berlinIn(11);
    const aliceWrites = await surfaces.mcp(tokens.aliceWrite);
    const mcp = await call(aliceWrites, 'me_set', { digestTime, avoidedMediums: ['call'] });
    expect(mcp.isError, JSON.stringify(mcp.json)).toBe(false);
    expect(mcp.json).toMatchObject({ settings: { digestTime, avoidedMediums: ['call'], attentionBudget: 3 } });

    const cli = await myc(tokens.aliceWrite, 'me', 'set', '--dnd', '2h', '--json');
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const dndUntil = Date.parse((JSON.parse(cli.stdout) as { settings: { dndUntil: string } }).settings.dndUntil);
    expect(Math.abs(dndUntil - (Date.now() + 2 * 3600_000))).toBeLessThan(5 * 60_000);

    const seen = await meWhen(
      tokens.aliceRead,
      (m) => m.agent.state?.settings?.digestTime === digestTime && m.agent.state.settings.dndUntil !== undefined && m.agent.state.settings.quietHours !== undefined,
      'the new settings in the agent',
    );
    expect(seen.agent.state!.settings).toMatchObject({
      quietHours: { start: '22:00', end: '07:00' },
      budgetPerDay: 3,
      digestTime,
      preferredMediums: ['chat_dm', 'email'],
      avoidedMediums: ['call'],
    });
    expect(Date.parse(seen.agent.state!.settings!.dndUntil!)).toBe(dndUntil);
    // the agent moved its digest to the new time
    expect(DateTime.fromISO(seen.agent.state!.nextDigestAt!).setZone('Europe/Berlin').toFormat('HH:mm')).toBe(digestTime);
    expect(await surfaces.stack.personSettings.get(ALICE)).toMatchObject({ digestTime, attentionBudget: 3, avoidedMediums: ['call'] });
  });

  it('do-not-disturb "on" lasts until the start of the next working day; "off" ends it', async () => {
    const on = await surfaces.http('POST', '/v1/me/settings', { token: tokens.aliceWrite, body: { dnd: 'on' } });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    const until = DateTime.fromISO((on.body as { settings: { dndUntil: string } }).settings.dndUntil).setZone('Europe/Berlin');
    // computed here independently: the first 09:00 Berlin on a weekday more than a minute from now
    let expected = DateTime.now().setZone('Europe/Berlin').startOf('day').set({ hour: 9 });
    while (expected.toMillis() <= Date.now() + 60_000 || expected.weekday > 5) expected = expected.plus({ days: 1 }).set({ hour: 9 });
    expect(until.toMillis()).toBe(expected.toMillis());
    await meWhen(tokens.aliceRead, (m) => Date.parse(m.agent.state?.settings?.dndUntil ?? '') === until.toMillis(), 'do-not-disturb on in the agent');

    const off = await surfaces.http('POST', '/v1/me/settings', { token: tokens.aliceWrite, body: { dnd: 'off' } });
    expect(off.body).toMatchObject({ settings: { dndUntil: null } });
    await meWhen(tokens.aliceRead, (m) => m.agent.state?.settings !== undefined && m.agent.state.settings.dndUntil === undefined, 'do-not-disturb off in the agent');
  });

  it('bad input is refused naming the field, on every surface, and nothing of it is saved', async () => {
    const before = await surfaces.stack.personSettings.get(ALICE);
    const post = (body: unknown) => surfaces.http('POST', '/v1/me/settings', { token: tokens.aliceWrite, body });
    const cases: [unknown, string, RegExp][] = [
      [{ quietHours: '25:00-07:00', digestTime: '06:00' }, 'quietHours', /HH:MM/],
      [{ quietHours: 'late evenings' }, 'quietHours', /HH:MM-HH:MM/],
      [{ quietHours: '08:00-08:00' }, 'quietHours', /same time/],
      [{ dnd: 'soonish', digestTime: '06:00' }, 'dnd', /duration/],
      [{ dnd: '2020-01-01T00:00:00Z' }, 'dnd', /future/],
      [{ dnd: '500d' }, 'dnd', /a year/],
      [{ digestTime: '7am' }, 'digestTime', /HH:MM/],
      [{ attentionBudget: -1 }, 'attentionBudget', /whole number/],
      [{ attentionBudget: 'lots' }, 'attentionBudget', /whole number/],
      [{ preferredMediums: ['pigeon'] }, 'preferredMediums.0', /.+/],
      [{ preferredMediums: ['none', 'email'] }, 'preferredMediums', /alone/],
      // saved together or not at all: the contradiction is found in the store's transaction, with digestTime in it
      [{ preferredMediums: ['email'], avoidedMediums: ['email'], digestTime: '06:00' }, 'avoidedMediums', /both preferred and avoided/],
      [{}, '(input)', /say what to change/],
      [{ quiet_hours: '22:00-07:00' }, '(input)', /quiet_hours/],
    ];
    for (const [body, field, message] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      const error = (answer.body as { error: { code: string; field: string; message: string } }).error;
      expect(error, JSON.stringify(body)).toMatchObject({ code: 'invalid_input', field });
      expect(error.message).toMatch(message);
    }
    const aliceWrites = await surfaces.mcp(tokens.aliceWrite);
    const mcp = await call(aliceWrites, 'me_set', { attentionBudget: 'lots' });
    expect(mcp).toEqual({ isError: true, json: (await post({ attentionBudget: 'lots' })).body });
    const cli = await myc(tokens.aliceWrite, 'me', 'set', '--attention-budget', 'lots');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/attentionBudget: a whole number/);

    expect(await surfaces.stack.personSettings.get(ALICE)).toEqual(before);
  });

  it('respond records the answer and its medium, and the agent learns it; nobody answers for another', async () => {
    const answer = await surfaces.http('POST', `/v1/notifications/${ids.offsite}/respond`, { token: tokens.aliceWrite, body: { medium: 'chat_dm' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ notificationId: ids.offsite, medium: 'chat_dm', recorded: true, agentTold: true });
    const seen = await meWhen(tokens.aliceRead, (m) => m.agent.state?.answersByMedium.chat_dm === 1, 'the answer in the agent');
    expect(seen.answers).toEqual([expect.objectContaining({ notificationId: ids.offsite, medium: 'chat_dm' })]);

    const bobs = await surfaces.http('POST', `/v1/notifications/${ids.offsite}/respond`, { token: tokens.bobWrite, body: {} });
    expect(bobs.status).toBe(404);
    expect(bobs.body).toMatchObject({ error: { code: 'not_found' } });
    expect(await surfaces.stack.personSettings.responsesOf(BOB)).toEqual([]);
  });
});

describe('why', () => {
  interface WhyBody {
    recipient: { id: string };
    role: string;
    roleReasons: string[];
    medium: string;
    mediumReason: string;
    sources: { itemId: string; maySee: boolean; title?: string; locator?: string }[];
    workflow: { workflowId: string; runId: string; uiLink?: string };
    status: string;
    delivery: { key: string; kind: string; status: string } | null;
    waiting?: { placement: string; reason: string };
    explanation: string[];
  }

  it('answers with the role and its reasons, the medium and its reason, the sources and the UI link, on every surface', async () => {
    const http = await surfaces.http('GET', `/v1/notifications/${ids.q2}/why`, { token: tokens.aliceRead });
    expect(http.status, JSON.stringify(http.body)).toBe(200);
    const why = http.body as WhyBody;
    expect(why).toMatchObject({
      recipient: { id: ALICE },
      role: 'consult',
      roleReasons: ['replied in 1 of the 3 messages on Q2 planning this month', 'manager of Bob, who owns the mobile capacity numbers'],
      medium: 'digest',
      mediumReason: 'an FYI with no deadline and no discussion needed: it waits for the next digest',
      status: 'planned',
      delivery: null,
      waiting: { placement: 'digest' },
    });
    const seen = why.sources.filter((s) => s.maySee);
    expect(seen.map((s) => s.itemId).sort()).toEqual([...q2ItemIds].sort());
    for (const s of seen) {
      expect(s.title).toMatch(/Q2 planning pre-read/);
      expect(s.locator).toMatch(/q2-planning/);
    }
    // a source Alice may not see is counted, never shown
    expect(why.sources.find((s) => s.itemId === hiddenItemId)).toEqual({ itemId: hiddenItemId, maySee: false });
    expect(why.workflow).toEqual({
      workflowId: 'notify:text:q2-planning',
      runId,
      uiLink: `${UI_URL}/namespaces/${encodeURIComponent(surfaces.stack.namespace)}/workflows/${encodeURIComponent('notify:text:q2-planning')}/${runId}`,
    });
    expect(why.explanation.join('\n')).toMatch(/to consult: replied in 1 of the 3 messages/);
    expect(why.explanation.join('\n')).toMatch(/1 you may not see/);

    expect(await call(aliceMcp, 'why', { notificationId: ids.q2 })).toEqual({ isError: false, json: http.body });
    const cli = await myc(tokens.aliceRead, 'why', ids.q2);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('By digest (slow channel, low urgency): an FYI with no deadline');
    expect(cli.stdout).toContain(why.workflow.uiLink!);
    expect(cli.stdout).toContain('Sources:');
  });

  it('once the digest went out, why names the delivery and its key', async () => {
    const flushed = await surfaces.stack.client.workflow.getHandle(personWorkflowId(ALICE)).executeUpdate(flushDigestUpdate);
    expect(flushed.notificationIds.sort()).toEqual([ids.q2, ids.offsite].sort());
    const why = (await surfaces.http('GET', `/v1/notifications/${ids.q2}/why`, { token: tokens.aliceRead })).body as WhyBody;
    expect(why.status).toBe('sent');
    expect(why.delivery).toMatchObject({ key: flushed.digestKey, kind: 'digest', status: 'sent' });
    expect(why.waiting).toBeUndefined();
    expect(why.explanation.join('\n')).toContain(`Sent in your digest through`);
    const after = await me(tokens.aliceRead);
    expect(after.agent.state!.queue).toEqual([]);
    expect(after.notifications.find((n) => n.id === ids.q2)).toMatchObject({ status: 'sent', deliveryKey: flushed.digestKey });
  });

  it("asking about someone else's notification is refused as not found on every surface; an admin may ask", async () => {
    const bob = await surfaces.http('GET', `/v1/notifications/${ids.q2}/why`, { token: tokens.bobRead });
    expect(bob.status).toBe(404);
    expect(bob.body).toMatchObject({ error: { code: 'not_found', message: expect.stringMatching(/of yours/) } });
    expect(JSON.stringify(bob.body)).not.toContain('Q2 planning');
    // the same answer as for an id that does not exist at all: a notification id tells nobody else anything
    const missing = await surfaces.http('GET', '/v1/notifications/ntf-0000000000000000000000000000/why', { token: tokens.bobRead });
    expect((missing.body as { error: { message: string } }).error.message).toBe(
      (bob.body as { error: { message: string } }).error.message.replace(ids.q2, 'ntf-0000000000000000000000000000'),
    );
    expect(await call(bobMcp, 'why', { notificationId: ids.q2 })).toEqual({ isError: true, json: bob.body });
    const cli = await myc(tokens.bobRead, 'why', ids.q2);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/no notification .* of yours/);

    const admin = await surfaces.http('GET', `/v1/notifications/${ids.q2}/why`, { token: tokens.admin });
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ recipient: { id: ALICE }, role: 'consult' });
  });
});
