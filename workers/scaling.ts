/**
 * How hard each kind of worker works: the settings that decide what one worker process takes on, per task
 * queue role. Workers scale horizontally by running more processes on the same task queue; these settings
 * are per process, except `maxTaskQueueActivitiesPerSecond`, which the Temporal server enforces across ALL
 * workers of the queue (the only way a provider's rate limit holds however many replicas run).
 *
 * Defaults are sized for the embedded 2-core setup; a deployment overrides them per role with
 * `MYCELIUM_WORKER_<ROLE>_<SETTING>` (deploy/README.md lists them), e.g.
 *   MYCELIUM_WORKER_MAIN_MAX_CACHED_WORKFLOWS=5000
 *   MYCELIUM_WORKER_CONNECTOR_SLACK_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND=0.8
 * Plain data and pure functions: the worker factory (workers/worker.ts) applies them, tests read them.
 */
import { z } from 'zod';
import { activityTaskQueue, temporalConfig, type ActivityQueueGroup } from '../temporal.config';

/** The task queue roles a deployment runs workers for (deploy/ has one Deployment per role). */
export const WORKER_ROLES = [
  'main',
  'connector-google',
  'connector-microsoft',
  'connector-slack',
  'connector-files',
  'intelligence',
  'delivery',
] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export function isWorkerRole(value: string): value is WorkerRole {
  return (WORKER_ROLES as readonly string[]).includes(value);
}

/** The role a command line or a setting names; anything else is refused with the roles there are. */
export function parseWorkerRole(value: string): WorkerRole {
  if (isWorkerRole(value)) return value;
  throw new Error(unknownRole(value));
}

function unknownRole(value: string): string {
  return `unknown worker role "${value}": expected one of ${WORKER_ROLES.join(', ')}`;
}

/** The roles whose workers run activities only, each on its group's queue: every role but `main`. */
export type ActivityRole = Exclude<WorkerRole, 'main'>;
export const ACTIVITY_ROLES: readonly ActivityRole[] = WORKER_ROLES.filter((role): role is ActivityRole => role !== 'main');

/** The activity group (temporal.config.ts) whose queue a role polls: `connector-slack` → `slack`, `delivery` → `delivery`. */
export function roleActivityGroup(role: ActivityRole): ActivityQueueGroup {
  return role.replace(/^connector-/, '') as ActivityQueueGroup;
}

/**
 * The task queue a role's worker polls, named from the main one (temporal.config.ts `taskQueue`): `main` polls the
 * main queue itself (every workflow, and every activity not routed elsewhere); every other role its activity
 * group's queue, where the workflows send that group's activities (workflows/activity-queues.ts):
 * `mycelium-google`, `mycelium-microsoft`, `mycelium-slack` (page and push-upkeep activities), `mycelium-files` (the
 * folder's listing and ingest), `mycelium-intelligence` (extraction, re-embedding), `mycelium-delivery` (the sends).
 */
export function roleTaskQueue(role: WorkerRole, baseTaskQueue: string = temporalConfig.taskQueue): string {
  if (role === 'main') return baseTaskQueue;
  return activityTaskQueue(baseTaskQueue, roleActivityGroup(role));
}

/**
 * Which role queues the process running the main worker polls as well (`myc serve`, `myc dev`, the demo, the tests):
 * unset or `all`, every one, so one process alone never leaves an activity waiting on a queue nobody polls; `none`
 * when a deployment runs every role as workers of their own (deploy/: `myc worker --role <role>`); or a comma-separated
 * list of the roles kept in process, the others running elsewhere. An unknown role, or `main`, is refused.
 */
export const ROLES_IN_PROCESS_ENV = 'MYCELIUM_WORKER_ROLES_IN_PROCESS';

export function rolesInProcess(env: NodeJS.ProcessEnv = process.env): readonly ActivityRole[] {
  const raw = env[ROLES_IN_PROCESS_ENV]?.trim().toLowerCase();
  if (!raw || raw === 'all') return ACTIVITY_ROLES;
  if (raw === 'none') return [];
  const named = raw.split(',').map((role) => role.trim()).filter((role) => role.length > 0);
  const refused = named.filter((role) => !ACTIVITY_ROLES.includes(role as ActivityRole));
  if (refused.length > 0) {
    throw new Error(
      `${ROLES_IN_PROCESS_ENV}=${JSON.stringify(env[ROLES_IN_PROCESS_ENV])}: ${refused.map((r) => `"${r}"`).join(', ')} ` +
        `${refused.length === 1 ? 'is' : 'are'} not a role the main process can poll: expected all, none or some of ${ACTIVITY_ROLES.join(', ')}`,
    );
  }
  return ACTIVITY_ROLES.filter((role) => named.includes(role));
}

export interface WorkerTuning {
  /** activities one process runs at once (CPU-bound work: about the cores it has; I/O-bound: more) */
  maxConcurrentActivityTaskExecutions: number;
  /** workflow tasks one process runs at once */
  maxConcurrentWorkflowTaskExecutions: number;
  /**
   * the sticky cache: workflow runs kept in memory between their tasks, so a task replays nothing. Each
   * cached run holds its own V8 context slice (~1 MB order): size it to memory, not to the number of runs.
   * 0 turns it off (every workflow task replays the run's history): right for activity-only workers, which
   * are created without workflows.
   */
  maxCachedWorkflows: number;
  /** activities per second one process starts (its own limit; undefined: none) */
  maxActivitiesPerSecond?: number;
  /** activities per second the SERVER hands out on this queue to all its workers together (undefined: none) */
  maxTaskQueueActivitiesPerSecond?: number;
}

/**
 * Defaults per role. Connector rates follow each provider's published quota for one tenant, with headroom:
 * Slack Tier 3 (~50 requests/min; a page activity makes one or two), Google (Gmail 250 quota units/s per user,
 * Drive ~1,000 requests/100 s), Microsoft Graph (~10,000 requests/10 min per app and tenant, but Outlook
 * 4 concurrent per mailbox). A page activity is one to a few requests, so the limit is in activities.
 */
export const workerScaling: Record<WorkerRole, WorkerTuning> = {
  // workflows + store activities; 2-core default: keep the worker from starving the embedded database of CPU
  main: { maxConcurrentActivityTaskExecutions: 8, maxConcurrentWorkflowTaskExecutions: 40, maxCachedWorkflows: 1000 },
  'connector-google': { maxConcurrentActivityTaskExecutions: 4, maxConcurrentWorkflowTaskExecutions: 2, maxCachedWorkflows: 0, maxTaskQueueActivitiesPerSecond: 5 },
  'connector-microsoft': { maxConcurrentActivityTaskExecutions: 4, maxConcurrentWorkflowTaskExecutions: 2, maxCachedWorkflows: 0, maxTaskQueueActivitiesPerSecond: 8 },
  'connector-slack': { maxConcurrentActivityTaskExecutions: 2, maxConcurrentWorkflowTaskExecutions: 2, maxCachedWorkflows: 0, maxTaskQueueActivitiesPerSecond: 0.5 },
  'connector-files': { maxConcurrentActivityTaskExecutions: 4, maxConcurrentWorkflowTaskExecutions: 2, maxCachedWorkflows: 0 },
  // the encoder and the extractor are CPU-bound: one activity per core of the pod
  intelligence: { maxConcurrentActivityTaskExecutions: 2, maxConcurrentWorkflowTaskExecutions: 2, maxCachedWorkflows: 0 },
  // sends wait on providers: many in flight, bounded so a slow provider does not pile up retries
  delivery: { maxConcurrentActivityTaskExecutions: 32, maxConcurrentWorkflowTaskExecutions: 2, maxCachedWorkflows: 0, maxTaskQueueActivitiesPerSecond: 50 },
};

const SETTING_ENV: Record<keyof WorkerTuning, string> = {
  maxConcurrentActivityTaskExecutions: 'MAX_CONCURRENT_ACTIVITIES',
  maxConcurrentWorkflowTaskExecutions: 'MAX_CONCURRENT_WORKFLOW_TASKS',
  maxCachedWorkflows: 'MAX_CACHED_WORKFLOWS',
  maxActivitiesPerSecond: 'MAX_ACTIVITIES_PER_SECOND',
  maxTaskQueueActivitiesPerSecond: 'MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND',
};

/** `connector-slack` → `MYCELIUM_WORKER_CONNECTOR_SLACK_MAX_CACHED_WORKFLOWS` */
export function workerSettingEnvName(role: WorkerRole, setting: keyof WorkerTuning): string {
  return `MYCELIUM_WORKER_${role.toUpperCase().replace(/-/g, '_')}_${SETTING_ENV[setting]}`;
}

const wholeCount = z.coerce.number().int().min(0);
const slotCount = z.coerce.number().int().min(1);
const rate = z.coerce.number().positive();
const SETTING_SCHEMA: Record<keyof WorkerTuning, z.ZodType<number>> = {
  maxConcurrentActivityTaskExecutions: slotCount,
  // the SDK needs 2 when the sticky cache is on; 1 is refused there, so accept ≥ 1 and let the check below say why
  maxConcurrentWorkflowTaskExecutions: slotCount,
  maxCachedWorkflows: wholeCount,
  maxActivitiesPerSecond: rate,
  maxTaskQueueActivitiesPerSecond: rate,
};

/** The role's settings: the defaults above, overridden by its environment variables; a bad value is named. */
export function workerTuning(role: WorkerRole, env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const base = workerScaling[role];
  if (!base) throw new Error(unknownRole(String(role)));
  const tuning: WorkerTuning = { ...base };
  for (const setting of Object.keys(SETTING_ENV) as (keyof WorkerTuning)[]) {
    const name = workerSettingEnvName(role, setting);
    const raw = env[name]?.trim();
    if (!raw) continue;
    const parsed = SETTING_SCHEMA[setting].safeParse(raw);
    if (!parsed.success) {
      const expected = setting === 'maxCachedWorkflows' ? 'a whole number ≥ 0' : setting.endsWith('PerSecond') ? 'a number > 0' : 'a whole number ≥ 1';
      throw new Error(`${name}=${JSON.stringify(raw)} is not valid: expected ${expected}`);
    }
    tuning[setting] = parsed.data;
  }
  if (tuning.maxCachedWorkflows > 0 && tuning.maxConcurrentWorkflowTaskExecutions < 2) {
    throw new Error(
      `${workerSettingEnvName(role, 'maxConcurrentWorkflowTaskExecutions')} must be at least 2 while the sticky cache is on ` +
        `(${workerSettingEnvName(role, 'maxCachedWorkflows')}=${tuning.maxCachedWorkflows}): Temporal needs a slot for the sticky and the normal queue`,
    );
  }
  return tuning;
}

/** The tuning as Worker.create options (undefined rates left out: no limit). */
export function workerOptionsOf(tuning: WorkerTuning): WorkerTuning {
  const { maxActivitiesPerSecond, maxTaskQueueActivitiesPerSecond, ...counts } = tuning;
  return {
    ...counts,
    ...(maxActivitiesPerSecond === undefined ? {} : { maxActivitiesPerSecond }),
    ...(maxTaskQueueActivitiesPerSecond === undefined ? {} : { maxTaskQueueActivitiesPerSecond }),
  };
}
