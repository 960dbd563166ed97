/** Sources: what is registered and how its sync stands; "sync it now" (a debounced request, not waited on). */
import { z } from 'zod';
import { defineOperation } from '../operation';

const SourceOut = z.object({
  id: z.string(),
  kind: z.string(),
  cursor: z.unknown(),
  lastSyncAt: z.coerce.date().nullable(),
  quarantined: z.number().int().nonnegative(),
});

export const sourcesListOperation = defineOperation({
  name: 'sources_list',
  description: 'The registered sources: kind, sync cursor, when each last synced, and how many of its files are quarantined.',
  scope: 'read',
  http: { method: 'GET', path: '/v1/sources' },
  input: z.object({}),
  output: z.array(SourceOut),
  async handler(context) {
    const { listSources } = await import('../../sources');
    return listSources(await context.stack());
  },
});

export const sourcesSyncOperation = defineOperation({
  name: 'sources_sync',
  description: "Ask for a sync of a source now: a request to its sync workflow (requests close together become one sync); returns the run without waiting for it.",
  scope: 'write',
  http: { method: 'POST', path: '/v1/sources/:sourceId/sync' },
  input: z.object({
    sourceId: z.string().min(1).describe('the source to sync (see sources_list)'),
    reason: z.string().trim().max(200).default('asked for').describe('why, for the run history'),
  }),
  output: z.object({
    sourceId: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    uiLink: z.string().optional(),
  }),
  async handler(context, input) {
    const { requestSync } = await import('../../sources');
    const principal = context.principal.personId;
    return requestSync(await context.stack(), input.sourceId, { reason: `${input.reason} (${principal})` });
  },
});
