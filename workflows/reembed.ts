/**
 * reembedVectors — gives every chunk a vector of a new model (id `reembed:<model>`), beside the active
 * model's, then switches searches to it and drops the old vectors (activities/memory/vector-spaces.ts).
 * The index is never mixed: until the switch, searches use only the old model; after it, only the new.
 *
 * Pages through chunks by id (each page one activity: embed, then write the chunks whose text is still
 * the one embedded); chunks ingested meanwhile already get the new model from the ingest itself.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { temporalConfig } from '../temporal.config';
import { routedActivities } from './activity-queues';
import type { ReembedInput, ReembedResult } from './reembed-defs';

export * from './reembed-defs';

// the encoder is CPU-bound and a page needs nothing from the last: the intelligence role's work (whose workers must
// run the model being re-embedded: a worker on another model refuses the page)
const pageOptions = {
  ...temporalConfig.activities.store,
  // a page embeds up to pageSize chunks; the encoder heartbeats after every batch of 32
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
} as const;
const { reembedPage } = routedActivities<Activities>('intelligence', pageOptions);
// the switch itself is a store write: beside the workflows, with the same bounds as before the pages moved
const { activateVectorModel } = proxyActivities<Activities>(pageOptions);

const DEFAULT_PAGE = 256;

export async function reembedVectors(input: ReembedInput): Promise<ReembedResult> {
  const pageSize = input.pageSize ?? DEFAULT_PAGE;
  let after = input.after ?? '';
  let embedded = input.embedded ?? 0;
  for (;;) {
    const page = await reembedPage({ model: input.model, after, limit: pageSize });
    if (page.last === null) break;
    embedded += page.embedded;
    after = page.last;
    // a large store is many pages: keep the history short
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof reembedVectors>({ ...input, after, embedded });
  }
  const { activated, previous } = await activateVectorModel({ model: input.model });
  return { model: input.model, embedded, activated, ...(previous ? { previous } : {}) };
}
