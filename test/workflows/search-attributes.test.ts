/**
 * Runs are findable by decision and by person in visibility (the Web UI's filter), on the real dev server: a
 * decision's follow-up carries MyceliumDecisionId and the owner and decider in MyceliumPersonIds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFollowUp } from '../../activities/follow-up';
import type { Decision } from '../../schemas/memory';
import { followUpWorkflowId } from '../../workflows/ids';
import { openTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const run = Date.now().toString(36);
const ANA = `ana-${run}@sa.test`;
const DEV = `dev-${run}@sa.test`;

/** visibility is eventually consistent: poll the query until it finds the run, bounded */
async function findRuns(query: string, wanted: string): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ids: string[] = [];
    for await (const r of stack.client.workflow.list({ query })) ids.push(r.workflowId);
    if (ids.includes(wanted) || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  stack = await openTestStack({ name: 'search-attributes' });
});

afterAll(async () => {
  await stack?.close();
});

describe('search attributes', () => {
  it('finds a follow-up run by its decision id and by its owner and decider', async () => {
    const id = `dec-sa-${run}`;
    const decision: Decision = {
      id,
      statement: 'We move the quarterly kiosk audit to the facilities team',
      deciderId: DEV,
      ownerId: ANA,
      status: 'agreed',
      topic: 'kiosk audit',
      confidence: 0.9,
      decidedAt: new Date(),
      sources: [{ itemId: `item-${id}`, position: 0, quote: 'Ana takes the kiosk audit' }],
      access: [ANA, DEV],
    };
    await stack.decisions.saveExtraction({ itemId: `item-${id}`, extractor: 'test', decisions: [decision], actions: [], questions: [] });
    const started = await ensureFollowUp(stack.client, { kind: 'decision', id, taskQueue: stack.taskQueue });
    expect(started.outcome).toBe('started');
    const workflowId = followUpWorkflowId('decision', id);

    expect(await findRuns(`MyceliumDecisionId = '${id}'`, workflowId)).toEqual([workflowId]);
    // the people are added by the run itself, once it has read the decision
    expect(await findRuns(`MyceliumPersonIds = '${ANA}'`, workflowId)).toContain(workflowId);
    expect(await findRuns(`MyceliumPersonIds = '${DEV}' AND MyceliumDecisionId = '${id}'`, workflowId)).toEqual([workflowId]);

    await stack.client.workflow.getHandle(workflowId).terminate('test over');
  });
});
