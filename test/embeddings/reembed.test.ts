/**
 * Changing the embedder re-embeds in the background without ever mixing models: the sample team is
 * stored with the hashing embedder; a store on the encoder registers its model as `building`, searches
 * keep using the hashing vectors (with the hashing embedder) while the `reembed:<model>` workflow, on the
 * real Temporal dev server, pages through every chunk; then the encoder's model becomes active and the
 * hashing vectors are dropped.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReembedActivities } from '../../activities/reembed';
import { LocalHashingEmbedder } from '../../activities/intelligence/embeddings/local';
import { loadLocalEncoder } from '../../activities/intelligence/embeddings/select';
import { openDb } from '../../activities/memory/db';
import { migrate } from '../../activities/memory/migrate';
import type { Db, Embedder, VectorIndex } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { vectorTableName } from '../../activities/memory/vectorpoints';
import { ingestFolder } from '../../clients/eval/files';
import { projectRoot } from '../../infra/paths';
import { REEMBED_WORKFLOW_TYPE, reembedWorkflowId, type ReembedResult } from '../../workflows/reembed-defs';
import { testWorkflowEnv } from '../support/temporal';
import { QueueWorkers } from '../support/queue-workers';

const ACME = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/acme');
const ALICE = 'alice@acme.test';
const QUESTION = 'is the espresso maker working again?';
const quiet = { info: () => undefined };

let env: TestWorkflowEnvironment;
let db: Db;
let hashing: Embedder;
let hashingIndex: VectorIndex;
let oldStore: MemoryStore;
let encoder: Embedder;
let newStore: MemoryStore;

async function count(sql: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`);
  return Number(rows[0]?.n);
}
async function tableExists(table: string): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  return rows[0]?.t !== null;
}

beforeAll(async () => {
  env = await testWorkflowEnv();
  db = await openDb({});
  await migrate(db);
  hashing = new LocalHashingEmbedder();
  hashingIndex = await chooseVectorIndex(db, hashing.dimensions, quiet, { model: hashing.model });
  oldStore = new MemoryStore({ db, vectors: hashingIndex, embedder: hashing });
  await ingestFolder(oldStore, ACME, 'acme', new Date('2026-03-10T09:30:00Z'));
  encoder = await loadLocalEncoder('all-minilm-l6-v2');
  newStore = new MemoryStore({
    db,
    vectors: await chooseVectorIndex(db, encoder.dimensions, quiet, { model: encoder.model }),
    embedder: encoder,
    activeSpace: async (model) => (model === hashing.model ? { embedder: hashing, vectors: hashingIndex } : undefined),
  });
}, 600_000);
afterAll(async () => {
  await db?.close();
  await env?.teardown();
});

describe('changing the embedder', () => {
  it('registers the new model as building; searches stay on the old model meanwhile', async () => {
    expect(await oldStore.ready()).toEqual({ model: hashing.model, state: 'active', active: hashing.model });
    expect(await newStore.ready()).toEqual({ model: encoder.model, state: 'building', active: hashing.model });
    const filter = { visibleTo: [ALICE] };
    // the encoder store answers with the hashing vectors, queried with the hashing embedder
    expect(await newStore.searchVector(QUESTION, filter, 5)).toEqual(await oldStore.searchVector(QUESTION, filter, 5));
    expect(await count(vectorTableName('chunk_vectors', encoder.model))).toBe(0);
  });

  it('a worker on another model refuses to re-embed for this one', async () => {
    const wrong = createReembedActivities({ store: oldStore });
    const error = await wrong.reembedPage({ model: encoder.model, after: '', limit: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'EmbedderMismatch', nonRetryable: true });
  });

  it('reembed:<model> fills the new table, switches searches to it and drops the old vectors', async () => {
    const chunks = await count('chunks');
    const hashingVectors = await count(vectorTableName('chunk_vectors', hashing.model));
    expect(hashingVectors).toBeGreaterThan(100);
    const taskQueue = `reembed-${randomUUID()}`;
    // the pages are embedded on the intelligence queue beside the test's (workflows/activity-queues.ts)
    const worker = await QueueWorkers.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: path.join(projectRoot, 'workflows', 'reembed.ts'),
      activities: createReembedActivities({ store: newStore }),
    });
    const result = await worker.runUntil(async () => {
      const workflowId = reembedWorkflowId(encoder.model);
      expect(workflowId).toBe('reembed:all-minilm-l6-v2');
      const handle = await env.client.workflow.start(REEMBED_WORKFLOW_TYPE, { workflowId, taskQueue, args: [{ model: encoder.model, pageSize: 40 }] });
      // one re-embed per model: a second start finds the running one
      await expect(env.client.workflow.start(REEMBED_WORKFLOW_TYPE, { workflowId, taskQueue, args: [{ model: encoder.model }] })).rejects.toBeInstanceOf(
        WorkflowExecutionAlreadyStartedError,
      );
      return (await handle.result()) as ReembedResult;
    });
    expect(result).toEqual({ model: encoder.model, embedded: hashingVectors, activated: true, previous: hashing.model });
    expect(await count(vectorTableName('chunk_vectors', encoder.model))).toBe(hashingVectors);
    expect(hashingVectors).toBeLessThanOrEqual(chunks);

    // one model in the index: the registry names only the encoder, the hashing table is gone
    const { rows } = await db.query<{ model: string; state: string }>('SELECT model, state FROM vector_spaces');
    expect(rows).toEqual([{ model: encoder.model, state: 'active' }]);
    expect(await tableExists(vectorTableName('chunk_vectors', hashing.model))).toBe(false);

    // and search by meaning now answers
    const hits = await newStore.searchVector(QUESTION, { visibleTo: [ALICE] }, 3);
    const texts = (await newStore.getChunks(hits)).map((c) => c.text);
    expect(texts.some((t) => /coffee machine on floor 2 is fixed/.test(t))).toBe(true);
  }, 600_000);
});
