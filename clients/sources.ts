/**
 * Sources as operations see them: what is registered and how its sync stands, and "sync it now" — a request to
 * the source's debounced sync workflow (signal-with-start of `requestSync` on `sync:<sourceId>`), never waited on.
 * Webhooks, `myc sources sync` and other services all ask through requestSync.
 */
import { syncWorkflowId } from '../workflows/ids';
import type { SyncRequest } from '../workflows/sync-defs';
import { signalSyncRequest } from '../activities/sync-requests';
import { NotFoundError } from './registry/errors';
import type { Stack } from './runtime';

export interface SourceSummary {
  id: string;
  kind: string;
  cursor: unknown;
  /** when its last sync committed its cursor */
  lastSyncAt: Date | null;
  quarantined: number;
}

export interface SyncRequested {
  sourceId: string;
  workflowId: string;
  /** the run that got the request: a running sync merges it, otherwise a new one started */
  runId: string;
  uiLink?: string;
}

export async function listSources(stack: Pick<Stack, 'db'>): Promise<SourceSummary[]> {
  const { rows } = await stack.db.query<{ id: string; kind: string; cursor: unknown; quarantined: number }>(
    `SELECT s.id, s.kind, s.cursor, (SELECT count(*)::int FROM quarantine q WHERE q.source_id = s.id) AS quarantined
     FROM sources s ORDER BY s.id`,
  );
  return rows.map((r) => ({ id: r.id, kind: r.kind, cursor: r.cursor ?? null, lastSyncAt: syncedAt(r.cursor), quarantined: r.quarantined }));
}

function syncedAt(cursor: unknown): Date | null {
  if (typeof cursor !== 'object' || cursor === null) return null;
  const at = (cursor as { syncedAt?: unknown }).syncedAt;
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) return null;
  return new Date(at);
}

/** Asks for a sync of a registered source; a burst of requests becomes one sync pass. */
export async function requestSync(
  stack: Pick<Stack, 'client' | 'store' | 'taskQueue' | 'uiLink'>,
  sourceId: string,
  request: SyncRequest,
): Promise<SyncRequested> {
  if (!(await stack.store.getSource(sourceId))) {
    throw new NotFoundError(`no source "${sourceId}" (list them with \`myc sources list\`)`);
  }
  const workflowId = syncWorkflowId(sourceId);
  const handle = await signalSyncRequest(stack.client, { sourceId, request, taskQueue: stack.taskQueue });
  const runId = handle.signaledRunId;
  return { sourceId, workflowId, runId, uiLink: stack.uiLink(workflowId, runId) };
}
