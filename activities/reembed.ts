/**
 * Activities of the re-embed workflow: a page of chunks embedded with the worker's model, and the
 * switch of searches to it. A worker whose embedder makes another model refuses (non-retryable): it
 * would write the wrong vectors.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { MemoryStore, ReembedPage } from './memory/store';

export interface ReembedDeps {
  store: Pick<MemoryStore, 'reembedChunks' | 'embedderModel' | 'activateModel'>;
}

export function createReembedActivities(deps: ReembedDeps) {
  const sameModel = (model: string): void => {
    if (deps.store.embedderModel !== model) {
      throw ApplicationFailure.nonRetryable(
        `this worker embeds with ${deps.store.embedderModel}, not ${model}: run the re-embed on a worker configured for ${model}`,
        'EmbedderMismatch',
      );
    }
  };
  return {
    async reembedPage(input: { model: string; after: string; limit: number }): Promise<ReembedPage> {
      sameModel(input.model);
      return deps.store.reembedChunks(input.after, input.limit);
    },
    async activateVectorModel(input: { model: string }): Promise<{ activated: boolean; previous?: string }> {
      sameModel(input.model);
      return deps.store.activateModel();
    },
  };
}
