/** Temporal Schedules declared in temporal.config.ts (a sync per source, a watch per calendar): list and apply. */
import { z } from 'zod';
import { defineOperation } from '../operation';

const ScheduleOut = z.object({
  scheduleId: z.string(),
  /** created by Mycelium (and reconciled by schedules_apply); others are listed, never touched */
  managed: z.boolean(),
  workflowType: z.string().optional(),
  everyMs: z.number().optional(),
  paused: z.boolean().optional(),
  nextActionAt: z.coerce.date().optional(),
});

export const schedulesListOperation = defineOperation({
  name: 'schedules_list',
  description: 'The Temporal Schedules in the namespace, those Mycelium manages marked.',
  scope: 'read',
  http: { method: 'GET', path: '/v1/schedules' },
  input: z.object({}),
  output: z.array(ScheduleOut),
  async handler(context) {
    const { listSchedules } = await import('../../schedules');
    return listSchedules(await context.stack());
  },
});

export const schedulesApplyOperation = defineOperation({
  name: 'schedules_apply',
  description: 'Reconcile the Temporal Schedules with temporal.config.ts: create the missing, update the changed, delete those no longer wanted (only schedules Mycelium created). Idempotent.',
  scope: 'admin',
  http: { method: 'POST', path: '/v1/schedules/apply' },
  input: z.object({}),
  output: z.object({
    created: z.array(z.string()),
    updated: z.array(z.string()),
    deleted: z.array(z.string()),
    unchanged: z.array(z.string()),
  }),
  async handler(context) {
    const { applySchedules } = await import('../../schedules');
    return applySchedules(await context.stack());
  },
});
