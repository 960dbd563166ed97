/** Sources: what is registered and how its sync stands; "sync it now" (a debounced request, not waited on). */
import { z } from 'zod';
import { defineOperation } from '../operation';

const SourceOut = z.object({
  id: z.string(),
  kind: z.string(),
  cursor: z.unknown(),
  lastSyncAt: z.coerce.date().nullable(),
  quarantined: z.number().int().nonnegative(),
  status: z.enum(['active', 'paused']),
  pausedReason: z.string().nullable(),
  pausedAt: z.coerce.date().nullable(),
  ownerId: z.string().nullable(),
  streams: z.array(
    z.object({
      stream: z.string(),
      cursor: z.unknown(),
      fullPass: z.boolean().describe('a full listing is in progress (deletions are swept when it ends)'),
      updatedAt: z.coerce.date(),
    }),
  ),
});

const SourceId = z.string().regex(/^[\w.-]+$/, 'a source id is letters, digits, "_", "-" or "."');

export const sourcesListOperation = defineOperation({
  name: 'sources_list',
  description: 'The registered sources: kind, status (active, or paused and why), owner, sync cursors (per stream for API sources), when each last synced, and how many of its files are quarantined. Never credentials.',
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

export const sourcesAddOperation = defineOperation({
  name: 'sources_add',
  description:
    "Register a Google Workspace, Microsoft 365 or Slack source: credentials are read on the service's machine from a file (--credentials-file) or an environment variable (--token-env), stored encrypted (MYCELIUM_SECRET_KEY) and never echoed; its first sync starts at once. Adding it again replaces its credentials and resumes it.",
  scope: 'admin',
  http: { method: 'POST', path: '/v1/sources/add/:kind/:sourceId' },
  input: z.object({
    kind: z.enum(['google', 'microsoft', 'slack']).describe('the provider'),
    sourceId: SourceId.describe('a name for the source'),
    owner: z.email().optional().describe('who is told when the source needs attention (default: you)'),
    credentialsFile: z
      .string()
      .min(1)
      .optional()
      .describe("a file on the service's machine: a Google service-account key or authorized_user file, Microsoft {tenantId, clientId, clientSecret | refreshToken}, or a Slack token"),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional()
      .describe("an environment variable of the service holding the secret (Slack bot token; Microsoft client secret with --tenant-id and --client-id; or the JSON a file would hold)"),
    subject: z.email().optional().describe('Google service account: the Workspace user to act as (domain-wide delegation)'),
    tenantId: z.string().min(1).optional().describe('Microsoft: the tenant (directory) id'),
    clientId: z.string().min(1).optional().describe('Microsoft: the application (client) id'),
    config: z.record(z.string(), z.unknown()).optional().describe('provider options as JSON (calendars, mailboxes, channels…; see the README of each connector)'),
  }),
  output: z.object({
    sourceId: z.string(),
    kind: z.string(),
    ownerId: z.string(),
    status: z.literal('active'),
    credentials: z.string().describe('the kind of credentials stored, never their value'),
    workflowId: z.string(),
    runId: z.string(),
    uiLink: z.string().optional(),
  }),
  async handler(context, input) {
    const { addSource } = await import('../../sources');
    return addSource(await context.stack(), input, context.principal.personId);
  },
});

export const sourcesResumeOperation = defineOperation({
  name: 'sources_resume',
  description: 'Resume a paused source (paused when its credentials were refused) and ask for a sync now.',
  scope: 'admin',
  http: { method: 'POST', path: '/v1/sources/:sourceId/resume' },
  input: z.object({ sourceId: z.string().min(1).describe('the paused source (see sources_list)') }),
  output: z.object({
    sourceId: z.string(),
    status: z.literal('active'),
    wasPaused: z.boolean(),
    workflowId: z.string(),
    runId: z.string(),
    uiLink: z.string().optional(),
  }),
  async handler(context, input) {
    const { resumeSource } = await import('../../sources');
    return resumeSource(await context.stack(), input.sourceId, context.principal.personId);
  },
});
