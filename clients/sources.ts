/**
 * Sources as operations see them: what is registered and how its sync stands, and "sync it now" — a request to
 * the source's debounced sync workflow (signal-with-start of `requestSync` on `sync:<sourceId>`), never waited on.
 * Webhooks, `myc sources sync` and other services all ask through requestSync.
 */
import { syncWorkflowId } from '../workflows/ids';
import type { SyncRequest } from '../workflows/sync-defs';
import { signalSyncRequest } from '../activities/sync-requests';
import { readFile } from 'node:fs/promises';
import { CredentialsError, credentialsFromInput, type SourceCredentials } from '../activities/connectors/credentials';
import { SecretKeyError } from '../activities/memory/secrets';
import { slackWorkspaceOf } from '../activities/connectors/slack/client';
import { providerEndpoints } from '../activities/providers/endpoints';
import { classifyProviderError } from '../activities/providers/errors';
import { ConflictError, InvalidInputError, NotFoundError, UnavailableError } from './registry/errors';
import type { Stack } from './runtime';

export interface StreamSummary {
  stream: string;
  cursor: unknown;
  /** a full listing is in progress (or finished and not yet swept) */
  fullPass: boolean;
  updatedAt: Date;
}

export interface SourceSummary {
  id: string;
  kind: string;
  cursor: unknown;
  /** when its last sync committed its cursor */
  lastSyncAt: Date | null;
  quarantined: number;
  status: 'active' | 'paused';
  pausedReason: string | null;
  pausedAt: Date | null;
  ownerId: string | null;
  /** API sources: each stream's cursor (never a secret: credentials live in source_secrets, encrypted) */
  streams: StreamSummary[];
}

/** Sync requests to a paused source are refused, naming why it was paused and how to resume it. */
export class SourcePausedError extends ConflictError {
  override name = 'SourcePausedError';
  constructor(sourceId: string, reason: string | null, pausedAt: Date | null) {
    super(
      `source "${sourceId}" is paused${pausedAt ? ` since ${pausedAt.toISOString()}` : ''}${reason ? `: ${reason}` : ''}; ` +
        `resume it with \`myc sources resume ${sourceId}\` once its credentials work`,
    );
  }
}

export interface SyncRequested {
  sourceId: string;
  workflowId: string;
  /** the run that got the request: a running sync merges it, otherwise a new one started */
  runId: string;
  uiLink?: string;
}

export async function listSources(stack: Pick<Stack, 'db' | 'sources'>): Promise<SourceSummary[]> {
  const { rows } = await stack.db.query<{ id: string; kind: string; cursor: unknown; quarantined: number }>(
    `SELECT s.id, s.kind, s.cursor, (SELECT count(*)::int FROM quarantine q WHERE q.source_id = s.id) AS quarantined
     FROM sources s ORDER BY s.id`,
  );
  const registered = new Map((await stack.sources.list()).map((s) => [s.id, s]));
  const out: SourceSummary[] = [];
  for (const r of rows) {
    const source = registered.get(r.id);
    const streams = (await stack.sources.listStreams(r.id)).map((s) => ({ stream: s.stream, cursor: s.cursor, fullPass: s.fullPassId !== null, updatedAt: s.updatedAt }));
    const lastStream = streams.reduce<Date | null>((latest, s) => (!latest || s.updatedAt > latest ? s.updatedAt : latest), null);
    out.push({
      id: r.id,
      kind: r.kind,
      cursor: r.cursor ?? null,
      lastSyncAt: syncedAt(r.cursor) ?? lastStream,
      quarantined: r.quarantined,
      status: source?.status ?? 'active',
      pausedReason: source?.pausedReason ?? null,
      pausedAt: source?.pausedAt ?? null,
      ownerId: source?.ownerId ?? null,
      streams,
    });
  }
  return out;
}

function syncedAt(cursor: unknown): Date | null {
  if (typeof cursor !== 'object' || cursor === null) return null;
  const at = (cursor as { syncedAt?: unknown }).syncedAt;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return null;
  return new Date(at);
}

/** Asks for a sync of a registered source; a burst of requests becomes one sync pass. */
export async function requestSync(
  stack: Pick<Stack, 'client' | 'sources' | 'taskQueue' | 'uiLink'>,
  sourceId: string,
  request: SyncRequest,
): Promise<SyncRequested> {
  const source = await stack.sources.get(sourceId);
  if (!source) throw new NotFoundError(`no source "${sourceId}" (list them with \`myc sources list\`)`);
  if (source.status === 'paused') throw new SourcePausedError(sourceId, source.pausedReason, source.pausedAt);
  const workflowId = syncWorkflowId(sourceId);
  const handle = await signalSyncRequest(stack.client, { sourceId, request, taskQueue: stack.taskQueue });
  const runId = handle.signaledRunId;
  return { sourceId, workflowId, runId, uiLink: stack.uiLink(workflowId, runId) };
}

export interface AddSourceInput {
  kind: 'google' | 'microsoft' | 'slack';
  sourceId: string;
  /** the person told when the source needs attention (default: whoever adds it) */
  owner?: string;
  /** a credentials file on the service's machine */
  credentialsFile?: string;
  /** the name of an environment variable of the service that holds the secret */
  tokenEnv?: string;
  subject?: string;
  tenantId?: string;
  clientId?: string;
  /** provider options, validated by the provider's connector */
  config?: Record<string, unknown>;
}

export interface SourceAdded {
  sourceId: string;
  kind: string;
  ownerId: string;
  status: 'active';
  /** what kind of credentials were stored (never their value) */
  credentials: string;
  /** the first sync, asked for at once */
  workflowId: string;
  runId: string;
  uiLink?: string;
}

/**
 * Registers an API source: its credentials are read here, on the service's side (a file or an environment
 * variable, never the request itself), sealed with MYCELIUM_SECRET_KEY and stored; then its first sync is asked for.
 * Adding an existing API source again replaces its credentials and options and makes it active.
 */
export async function addSource(
  stack: Pick<Stack, 'client' | 'sources' | 'taskQueue' | 'uiLink' | 'onSourcesChanged'> & Partial<Pick<Stack, 'log'>>,
  input: AddSourceInput,
  asker: string,
  env: Record<string, string | undefined> = process.env,
): Promise<SourceAdded> {
  if ((input.credentialsFile === undefined) === (input.tokenEnv === undefined)) {
    throw new InvalidInputError('give the credentials as exactly one of --credentials-file <path> or --token-env <NAME>', {
      issues: [{ field: 'credentialsFile', message: 'exactly one of credentialsFile and tokenEnv' }],
    });
  }
  const existing = await stack.sources.get(input.sourceId);
  if (existing && existing.kind !== input.kind) {
    throw new ConflictError(`source "${input.sourceId}" is a ${existing.kind} source already; choose another id`);
  }

  let fileText: string | undefined;
  let envText: string | undefined;
  let origin: string;
  let field: 'credentialsFile' | 'tokenEnv';
  if (input.credentialsFile !== undefined) {
    field = 'credentialsFile';
    origin = `the credentials file ${input.credentialsFile}`;
    fileText = await readFile(input.credentialsFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new InvalidInputError(`credentialsFile: cannot read ${input.credentialsFile} on the service's machine (${error.code ?? error.message})`, {
        issues: [{ field, message: `cannot read ${input.credentialsFile}` }],
      });
    });
  } else {
    field = 'tokenEnv';
    origin = `the variable ${input.tokenEnv}`;
    envText = env[input.tokenEnv!];
    if (!envText?.trim()) {
      throw new InvalidInputError(`tokenEnv: ${input.tokenEnv} is not set in the service's environment`, { issues: [{ field, message: `${input.tokenEnv} is not set` }] });
    }
  }

  let credentials: SourceCredentials;
  try {
    credentials = credentialsFromInput({
      provider: input.kind,
      fileText,
      envText,
      origin,
      subject: input.subject,
      tenantId: input.tenantId,
      clientId: input.clientId,
    });
  } catch (error) {
    if (error instanceof CredentialsError) throw new InvalidInputError(`${field}: ${error.message}`, { issues: [{ field, message: error.message }] });
    throw error;
  }

  const ownerId = (input.owner ?? asker).trim().toLowerCase();
  const config = credentials.provider === 'slack' ? await withSlackTeam(stack, input.sourceId, input.config ?? {}, credentials.token, env) : (input.config ?? {});
  try {
    await stack.sources.register({ id: input.sourceId, kind: input.kind, config, ownerId, secret: JSON.stringify(credentials) });
  } catch (error) {
    if (error instanceof SecretKeyError) throw new UnavailableError(`the service cannot store credentials: ${error.message}`);
    throw error;
  }
  // the new source is synced on schedule from now on (the service reconciles its Schedules)
  await stack.onSourcesChanged?.();
  const requested = await requestSync(stack, input.sourceId, { reason: `source added (${asker})` });
  return {
    sourceId: input.sourceId,
    kind: input.kind,
    ownerId,
    status: 'active',
    credentials: describeCredentials(credentials),
    workflowId: requested.workflowId,
    runId: requested.runId,
    ...(requested.uiLink ? { uiLink: requested.uiLink } : {}),
  };
}

/**
 * A Slack source's config with its workspace (`teamId`, from auth.test with the token just given), so the Events
 * API endpoint routes a callback to the source by the callback's team_id. A token Slack refuses is refused here,
 * before anything is stored; when Slack cannot be reached the source is added without it (the webhook then falls
 * back to the sources that name no workspace) and the log says so.
 */
async function withSlackTeam(
  stack: Partial<Pick<Stack, 'log'>>,
  sourceId: string,
  config: Record<string, unknown>,
  token: string,
  env: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  if (typeof config.teamId === 'string' && config.teamId) return config;
  try {
    const { teamId } = await slackWorkspaceOf({ token, baseUrl: providerEndpoints(env).slack });
    return { ...config, teamId };
  } catch (error) {
    const { kind } = classifyProviderError('slack', error);
    if (kind === 'AuthFailed') {
      throw new InvalidInputError(`Slack refused the token (auth.test): ${error instanceof Error ? error.message : String(error)}`, {
        issues: [{ field: 'credentials', message: 'Slack refused the token' }],
      });
    }
    stack.log?.warn({ sourceId, kind }, 'Slack auth.test failed: the source is added without its teamId (the Events endpoint matches it as the one workspace)');
    return config;
  }
}

/** names the kind of credentials and non-secret identifiers only */
function describeCredentials(c: SourceCredentials): string {
  switch (c.kind) {
    case 'service-account':
      return `Google service account ${c.clientEmail}, acting as ${c.subject}`;
    case 'oauth':
      return `Google OAuth (client ${c.clientId}, refresh token)`;
    case 'client-credentials':
      return `Microsoft app-only (app ${c.clientId}, tenant ${c.tenantId})`;
    case 'delegated':
      return `Microsoft delegated (app ${c.clientId}, tenant ${c.tenantId}, refresh token)`;
    case 'bot-token':
      return 'Slack bot token';
  }
}

/** Makes a paused source active again and asks for a sync; resuming an active source changes nothing. */
export async function resumeSource(
  stack: Pick<Stack, 'client' | 'sources' | 'taskQueue' | 'uiLink'>,
  sourceId: string,
  asker: string,
): Promise<{ sourceId: string; status: 'active'; wasPaused: boolean; workflowId: string; runId: string; uiLink?: string }> {
  const source = await stack.sources.get(sourceId);
  if (!source) throw new NotFoundError(`no source "${sourceId}" (list them with \`myc sources list\`)`);
  const wasPaused = await stack.sources.resume(sourceId);
  const requested = await requestSync(stack, sourceId, { reason: `resumed (${asker})` });
  return { sourceId, status: 'active', wasPaused, workflowId: requested.workflowId, runId: requested.runId, ...(requested.uiLink ? { uiLink: requested.uiLink } : {}) };
}
