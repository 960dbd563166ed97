/** The contract of maintainSourcePush (workflows/push-upkeep.ts): importable by clients without the workflow. */
export const PUSH_UPKEEP_WORKFLOW_TYPE = 'maintainSourcePush';

export interface PushUpkeepInput {
  sourceId: string;
  provider: 'google' | 'microsoft';
}
