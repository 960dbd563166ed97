/**
 * A worker in a process of its own, for tests that SIGKILL it mid-delivery: the workflows of
 * test/support/delivery-workflows.ts (a prebuilt bundle), the person agent's and the delivery activities over the
 * real stores, and the delivery channels built from the environment exactly as the service builds them
 * (deliveryChannelsFromEnv). Run with `node --import tsx test/support/delivery-worker.ts` and an IPC channel; it
 * reads:
 *
 *   TEMPORAL_TEST_ADDRESS        the test run's Temporal server
 *   DELIVERY_WORKER_NAMESPACE    namespace and task queue to poll
 *   DELIVERY_WORKER_TASK_QUEUE
 *   DELIVERY_WORKER_BUNDLE       path of the workflow bundle's code (bundled once by the test)
 *   DELIVERY_WORKER_OUTBOX_DIR   the outbox folder (decision records go to its `decisions/`)
 *   DATABASE_URL                 the Postgres database the test reads the ledger from
 *   MYCELIUM_SLACK_* …           provider configuration, as for the service
 *   DELIVERY_WORKER_HOLD_AFTER_SEND=1
 *                                after a channel's send returns, report it and never return to the activity, so the
 *                                test can kill the process between the send and the ledger's confirmation. It only
 *                                holds the window open: what is sent, and how, is unchanged.
 *
 * Messages to the parent: { type: 'ready' } once the worker polls, { type: 'sent', key, channel, ref } after a send
 * (with the hold flag).
 */
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { deliveryChannelsFromEnv } from '../../activities/delivery/channels';
import type { DeliveryChannel } from '../../activities/delivery/port';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { openDb } from '../../activities/memory/db';
import { NotificationStore } from '../../activities/memory/notifications';
import { PersonSettingsStore } from '../../activities/memory/person-settings';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { createNotifyDeliveryActivities, type ChannelResolver } from '../../activities/notify-delivery';
import { createPersonAgentActivities } from '../../activities/person-agent';
import { QueueWorkers } from './queue-workers';

// the test imports this type only: importing the module's values would start a worker in the test process
export type DeliveryWorkerMessage = { type: 'ready' } | { type: 'sent'; key: string; channel: string; ref: string };

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`delivery-worker: ${name} is not set`);
  return value;
}

function tell(message: DeliveryWorkerMessage): void {
  if (!process.send) throw new Error('delivery-worker: started without an IPC channel');
  process.send(message);
}

/** every channel's send reports and then waits for the SIGKILL instead of returning to the activity */
function holdingAfterSend(inner: ReturnType<typeof deliveryChannelsFromEnv>): ChannelResolver {
  const hold = (channel: DeliveryChannel): DeliveryChannel => ({
    name: channel.name,
    mediums: channel.mediums,
    findSent: (request) => channel.findSent(request),
    send: async (request) => {
      const receipt = await channel.send(request);
      tell({ type: 'sent', key: request.idempotencyKey, channel: channel.name, ref: receipt.ref });
      return new Promise<never>(() => undefined);
    },
  });
  return {
    forMedium: (medium, recipient) => hold(inner.forMedium(medium, recipient)),
    byName: (name) => {
      const channel = inner.byName(name);
      return channel && hold(channel);
    },
  };
}

async function main(): Promise<void> {
  const outboxDir = required('DELIVERY_WORKER_OUTBOX_DIR');
  const db = await openDb({ databaseUrl: required('DATABASE_URL') });
  const embedder = new LocalHashingEmbedder();
  const store = new MemoryStore({ db, vectors: await chooseVectorIndex(db, embedder.dimensions), embedder });
  const fromEnv = deliveryChannelsFromEnv(process.env, { outboxDir, docsDir: join(outboxDir, 'decisions') });
  const channels = process.env.DELIVERY_WORKER_HOLD_AFTER_SEND === '1' ? holdingAfterSend(fromEnv) : fromEnv;

  const connection = await NativeConnection.connect({ address: required('TEMPORAL_TEST_ADDRESS') });
  // the person agent's sends go to the delivery queue beside this one (workflows/activity-queues.ts): poll both
  const worker = await QueueWorkers.create({
    connection,
    namespace: required('DELIVERY_WORKER_NAMESPACE'),
    taskQueue: required('DELIVERY_WORKER_TASK_QUEUE'),
    workflowBundle: { codePath: required('DELIVERY_WORKER_BUNDLE') },
    activities: {
      ...createPersonAgentActivities({ people: store, personSettings: new PersonSettingsStore({ db }) }),
      ...createNotifyDeliveryActivities({ notifications: new NotificationStore({ db }), people: store, channels, now: () => new Date() }),
    },
  });
  const running = worker.run();
  tell({ type: 'ready' });
  // SIGTERM (a test's cleanup) drains; the tests that matter end this process with SIGKILL
  process.once('SIGTERM', () => worker.shutdown());
  await running;
  await connection.close();
  await db.close();
  process.disconnect?.();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
