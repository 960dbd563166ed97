/**
 * The running service's delivery channels come from its environment (clients/runtime.ts → deliveryChannelsFromEnv):
 * with nothing configured a real person agent's digest lands in the outbox through the configured OutboxChannel
 * (its `delivery-<key>.md` files, not the bare fallback resolver's), and a Slack token in the environment gives
 * the worker Slack for direct messages and channel posts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openStack, type Stack } from '../../clients/runtime';
import { signalPersonAgent } from '../../activities/person-requests';
import { personWorkflowId } from '../../workflows/ids';
import { flushDigestUpdate, stateQuery } from '../../workflows/person-defs';
import { ensureTestNamespace, testTemporalAddress } from '../support/stack';

const NAMESPACE = 'test-runtime-delivery';
const PROVIDER_ENV = ['MYCELIUM_SLACK_TOKEN', 'MYCELIUM_SLACK_BASE_URL'];

let opened: { stack: Stack; outboxDir: string } | undefined;
const savedEnv = Object.fromEntries(PROVIDER_ENV.map((name) => [name, process.env[name]]));

afterEach(async () => {
  await opened?.stack.close();
  if (opened) await rm(opened.outboxDir, { recursive: true, force: true });
  opened = undefined;
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** a worker stack as the service opens one, with its log kept for reading */
async function open(name: string): Promise<{ stack: Stack; outboxDir: string; logged: () => { msg?: string; delivery?: Record<string, string> }[] }> {
  await ensureTestNamespace(NAMESPACE);
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
  const outboxDir = await mkdtemp(join(tmpdir(), `myc-runtime-delivery-${name}-`));
  const stack = await openStack({
    worker: true,
    temporalAddress: testTemporalAddress(),
    namespace: NAMESPACE,
    pgliteDir: null,
    outboxDir,
    taskQueue: `runtime-delivery-${name}-${process.pid}`,
    log: pino({ level: 'info' }, sink),
  });
  opened = { stack, outboxDir };
  return { stack, outboxDir, logged: () => lines.flatMap((line) => line.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as { msg?: string; delivery?: Record<string, string> }) };
}

describe('the service wires its delivery channels from the environment', () => {
  it('no provider configured: every medium but doc to the outbox, and a person agent digest is an outbox delivery file', async () => {
    for (const name of PROVIDER_ENV) delete process.env[name];
    const { stack, outboxDir, logged } = await open('none');
    const described = logged().find((entry) => entry.msg === 'delivery channels');
    expect(described?.delivery).toMatchObject({ digest: `outbox (${outboxDir})`, chat_dm: `outbox (${outboxDir})`, email: `outbox (${outboxDir})`, call: `outbox (${outboxDir})` });
    expect(described?.delivery?.doc).toBe(`doc (${join(outboxDir, 'decisions')})`);

    const personId = 'rita@runtime.test';
    await stack.store.upsertPeople([{ id: personId, name: 'Rita', timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' }, optedIn: true, identities: [] }]);
    const [recorded] = await stack.notifications.recordPlanned([
      {
        topicKey: 'runtime',
        recipientId: personId,
        role: 'inform',
        medium: 'digest',
        mediumReason: 'test',
        channel: 'slow',
        urgency: 'normal',
        subject: 'FYI: the release moved',
        markdown: 'The release moved to Thursday.',
        subjectKind: 'text',
        workflowId: 'notify:runtime',
        runId: 'run-1',
      },
    ]);
    await signalPersonAgent(stack.client, stack.taskQueue, personId, { notificationId: recorded!.id, urgency: 'normal', medium: 'digest', channel: 'slow' }, { searchAttributes: false });
    const agent = stack.client.workflow.getHandle(personWorkflowId(personId));
    try {
      const flushed = await agent.executeUpdate(flushDigestUpdate);
      expect(flushed.notificationIds).toEqual([recorded!.id]);
      expect(await readdir(outboxDir)).toContain(`delivery-${flushed.digestKey}.md`);
      expect(await stack.notifications.getDelivery(flushed.digestKey!)).toMatchObject({ status: 'sent', channelName: 'outbox' });
      expect((await agent.query(stateQuery)).queue).toEqual([]);
    } finally {
      await agent.terminate('test over').catch(() => undefined);
    }
  });

  it('a Slack token in the environment: DMs and channel posts go through Slack, the rest stays in the outbox', async () => {
    process.env.MYCELIUM_SLACK_TOKEN = 'xoxb-runtime-secret';
    process.env.MYCELIUM_SLACK_BASE_URL = 'http://127.0.0.1:9';
    const { outboxDir, logged } = await open('slack');
    const described = logged().find((entry) => entry.msg === 'delivery channels');
    expect(described?.delivery?.chat_channel).toBe('slack (http://127.0.0.1:9/api/)');
    expect(described?.delivery?.chat_dm).toBe(`slack (http://127.0.0.1:9/api/); outbox for people without a Slack id`);
    expect(described?.delivery?.email).toBe(`outbox (${outboxDir})`);
    expect(JSON.stringify(logged())).not.toContain('xoxb-runtime-secret');
  });
});
