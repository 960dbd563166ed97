/**
 * The contract of reembedVectors (workflows/reembed.ts): its id, input and result. Imports nothing, so
 * clients can start it by name without loading the workflow.
 */

export const REEMBED_WORKFLOW_TYPE = 'reembedVectors';

/** One re-embed per target model: starting it twice finds the running one. */
export const reembedWorkflowId = (model: string): string => `reembed:${model}`;

export interface ReembedInput {
  /** the model to re-embed every chunk with (the worker's embedder must make it) */
  model: string;
  /** chunks per activity call (default 256) */
  pageSize?: number;
  /** carried by continue-as-new */
  after?: string;
  embedded?: number;
}

export interface ReembedResult {
  model: string;
  embedded: number;
  /** false when the model was no longer building (the user switched back): nothing was changed */
  activated: boolean;
  /** the model whose vectors were dropped */
  previous?: string;
}
