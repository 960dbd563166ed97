import os from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests share one Temporal dev server and one Postgres (test/global-setup.ts), which need CPU too:
// leave them a core. On 2 cores that means test files run one at a time. Override: VITEST_MAX_WORKERS=n.
const cores = os.availableParallelism();
const maxWorkers = Number(process.env.VITEST_MAX_WORKERS) || Math.max(1, Math.min(4, cores - 1));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers,
    // hang guards, not performance limits: a full ingest with extraction can take a minute on a loaded 2-core CI machine
    testTimeout: 180_000,
    hookTimeout: 300_000,
    teardownTimeout: 30_000,
    // Tests that need meaning load the sentence encoder themselves (test/embeddings); the rest keep the
    // fast, deterministic hashing embedder unless the environment names another.
    env: { MYCELIUM_EMBEDDER: process.env.MYCELIUM_EMBEDDER ?? 'hashing' },
  },
});
