/**
 * notifyStakeholders on real servers (the Temporal dev server, PGlite, the real worker and person agents) over the
 * sample team: the plan (roles, reasons, mediums, who is withheld and who could share), the dry run that sends
 * nothing, a sent plan recorded with lineage and handed to every recipient's agent, decisions announced by the
 * sync, and meeting briefs per recipient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleTeamFolder, sampleTimeShiftMs } from '../../clients/cli/demo';
import { notifyRequest, previewNotification, sendNotification } from '../../clients/notify';
import { brief, ingest, meetings } from '../../clients/operations';
import { personWorkflowId } from '../../workflows/ids';
import type { NotifyStakeholders } from '../../workflows/notify-defs';
import { stateQuery, type PersonState } from '../../workflows/person-defs';
import { openTestStack, type TestStack } from '../support/stack';

const ALICE = 'alice@acme.test';
const FARID = 'farid@acme.test';

let stack: TestStack;

beforeAll(async () => {
  stack = await openTestStack({ name: 'notify' });
  await ingest(stack, { folder: sampleTeamFolder, sourceId: 'acme', timeShiftMs: await sampleTimeShiftMs(new Date()) });
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

async function decisionWithStatement(start: string): Promise<string> {
  const { rows } = await stack.db.query<{ id: string }>('SELECT id FROM decisions WHERE statement LIKE $1', [`${start}%`]);
  expect(rows, `a decision "${start}…"`).toHaveLength(1);
  return rows[0]!.id;
}

const agentState = (personId: string) => stack.client.workflow.getHandle(personWorkflowId(personId)).query(stateQuery);
const holds = (s: PersonState, id: string) =>
  s.queue.some((q) => q.notificationId === id) || s.arriving.some((a) => a.notificationId === id) || s.recentlyDelivered.some((d) => d.notificationId === id);

describe('notifyStakeholders', () => {
  it('plans a decision: the owner decides, the conversation is consulted, each with reasons, and someone who may not see the source is withheld with who could share it', async () => {
    const id = await decisionWithStatement('No store submission for 4.2 without the rollback runbook');
    const decision = (await stack.decisions.getDecision(id))!;
    const plan = await previewNotification(stack, notifyRequest(ALICE, { decisionId: id }));

    expect(plan.kind).toBe('decision_record');
    expect(plan.recipients.map((r) => r.personId)).not.toContain(ALICE); // the one telling is not told
    const owner = plan.recipients.find((r) => r.role === 'decide');
    expect(owner?.roleReasons[0]).toMatch(/owns the follow-up of decision/);
    for (const r of plan.recipients) {
      expect(r.roleReasons.length).toBeGreaterThan(0);
      expect(r.mediumReason).toMatch(/\.$/);
      expect(decision.access, `${r.personId} may see the decision's sources`).toContain(r.personId);
      expect(r.markdown).toContain(decision.statement);
    }
    expect(plan.withheld.length).toBeGreaterThan(0);
    for (const w of plan.withheld) {
      expect(decision.access).not.toContain(w.personId);
      expect(w.note).toMatch(/should know .*not visible to them — ask .+ to share it\./);
      expect(plan.recipients.map((r) => r.personId)).not.toContain(w.personId);
    }
    // every person planned for is opted in
    const people = await stack.store.peopleByIds([...plan.recipients.map((r) => r.personId), ...plan.withheld.map((w) => w.personId)]);
    expect(people.every((p) => p.optedIn)).toBe(true);
  });

  it('a dry run records and sends nothing', async () => {
    const text = 'Dry run only: should we move the Thursday submission to Friday?';
    const request = notifyRequest(FARID, { text });
    const plan = await previewNotification(stack, request);
    expect(plan.recipients.length).toBeGreaterThan(0);
    const { rows } = await stack.db.query('SELECT 1 FROM notifications WHERE topic_key = $1', [request.topicKey]);
    expect(rows).toEqual([]);
  });

  it('people the text names are told, with the reason; the asker naming themselves is not', async () => {
    const plan = await previewNotification(stack, notifyRequest(FARID, { text: 'Ines and Farid: can we look at the consent copy together?' }));
    const ines = plan.recipients.find((r) => r.personId === 'ines@acme.test');
    expect(ines?.roleReasons).toContain('is named in this');
    expect(plan.recipients.map((r) => r.personId)).not.toContain(FARID);
    const unnamed = await previewNotification(stack, notifyRequest(FARID, { text: 'can we look at the consent copy together?' }));
    expect(unnamed.recipients.find((r) => r.personId === 'ines@acme.test')?.roleReasons ?? []).not.toContain('is named in this');
  });

  it('a sent plan is stored per recipient with lineage and handed to each recipient’s agent; telling it again is the same telling', async () => {
    const request = notifyRequest(FARID, { text: "Blocked: iOS regression can't start until we know which RC2 build we're submitting. Need a decision today." });
    const result = await sendNotification(stack, request, 120_000);
    expect(result.workflowId).toBe(`notify:${request.topicKey}`);
    expect(result.plan.kind).toBe('blocker');
    expect(result.notifications).toHaveLength(result.plan.recipients.length);
    expect(result.notifications.length).toBeGreaterThan(0);

    for (const n of result.notifications) {
      const stored = (await stack.notifications.get(n.notificationId))!;
      const planned = result.plan.recipients.find((r) => r.personId === n.personId)!;
      expect(stored).toMatchObject({ recipientId: n.personId, topicKey: request.topicKey, workflowId: result.workflowId, runId: result.runId, role: planned.role, medium: planned.medium, mediumReason: planned.mediumReason });
      expect(stored.roleReasons).toEqual(planned.roleReasons);
      await eventually(() => agentState(n.personId), (s) => holds(s, n.notificationId), `${n.personId}'s agent to hold ${n.notificationId}`);
    }

    const again = await sendNotification(stack, request, 120_000);
    expect(again.runId).toBe(result.runId);
    expect(again.notifications.map((n) => n.notificationId)).toEqual(result.notifications.map((n) => n.notificationId));
  });

  it('the sync announces recent decisions through notify:decision:<id>:new, once', async () => {
    const rows = await eventually(
      async () => (await stack.db.query<{ topic_key: string; recipient_id: string }>("SELECT topic_key, recipient_id FROM notifications WHERE topic_key LIKE 'decision:%:new'")).rows,
      (r) => r.length > 0,
      'an announced decision',
    );
    const keys = new Set(rows.map((r) => `${r.topic_key}\n${r.recipient_id}`));
    expect(keys.size).toBe(rows.length); // one notification per decision and recipient
    const [topic] = rows.map((r) => r.topic_key);
    const described = await stack.client.workflow.getHandle(`notify:${topic}`).describe();
    expect(described.type).toBe('notifyStakeholders');
  });

  it('a meeting brief goes to each attendee as their own brief, citing only what they may see', async () => {
    const [next] = await meetings(stack, { limit: 1 });
    const prepared = await brief(stack, { meetingId: next!.id });
    const topicKey = `brief:${prepared.brief.id}`;
    const told = await stack.client.workflow.getHandle<NotifyStakeholders>(`notify:${topicKey}`).result();
    const attendees = new Set([...next!.attendeeIds, ...(next!.organizerId ? [next!.organizerId] : [])]);
    expect(new Set(told.notifications.map((n) => n.personId))).toEqual(attendees);

    for (const n of told.notifications) {
      const stored = (await stack.notifications.get(n.notificationId))!;
      expect(stored.subjectKind).toBe('brief');
      const planned = told.plan.recipients.find((r) => r.personId === n.personId)!;
      const items = await stack.store.getItems(planned.sourceItemIds);
      expect(items).toHaveLength(planned.sourceItemIds.length);
      for (const item of items) expect(item.access, `${n.personId} may see ${item.id}`).toContain(n.personId);
    }
    // the shared brief may cite what only some attendees see; each one's own brief leaves out what they may not
    const shared = await stack.store.getItems([...new Set(prepared.brief.citations.map((c) => c.itemId))]);
    for (const n of told.notifications) {
      const hidden = shared.filter((i) => !i.access.includes(n.personId)).map((i) => i.id);
      const planned = told.plan.recipients.find((r) => r.personId === n.personId)!;
      expect(planned.sourceItemIds.filter((id) => hidden.includes(id))).toEqual([]);
    }
  });

  it("each attendee's own brief is made with the shared one and stored beside it; the telling sends it, and makes the same one when it is missing", async () => {
    const [, next] = await meetings(stack, { limit: 2 });
    const prepared = await brief(stack, { meetingId: next!.id });
    const topicKey = `brief:${prepared.brief.id}`;
    const told = await stack.client.workflow.getHandle<NotifyStakeholders>(`notify:${topicKey}`).result();
    const attendees = [...new Set([...next!.attendeeIds, ...(next!.organizerId ? [next!.organizerId] : [])])];
    const own = await stack.store.personalBriefs(prepared.brief.id, attendees);
    expect([...own.keys()].sort()).toEqual(told.plan.recipients.map((r) => r.personId).sort());
    for (const r of told.plan.recipients) {
      const mine = own.get(r.personId)!;
      expect(r.markdown, `${r.personId} is sent their own brief`).toContain(mine.markdown);
      expect(r.sourceItemIds).toEqual(mine.sourceItemIds);
    }
    // a brief stored without them (made before they were) is planned with briefs made then, the same ones
    await stack.db.query('DELETE FROM personal_briefs WHERE brief_id = $1', [prepared.brief.id]);
    const again = await previewNotification(stack, { topicKey, about: { kind: 'brief', briefId: prepared.brief.id } });
    for (const r of again.recipients) {
      expect(r.markdown).toContain(own.get(r.personId)!.markdown);
      expect(r.sourceItemIds).toEqual(own.get(r.personId)!.sourceItemIds);
    }
  });
});
