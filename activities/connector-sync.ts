/**
 * The pipeline that runs any API connector (activities/connectors/port.ts), page by page, for syncSource:
 *
 *   describeSyncSource  what the source is (kind, status, streams) — the workflow picks the provider's queue from it
 *   syncStreamPage      read the stream's cursor → connector.readPage → store the page's units in one transaction
 *                       (idempotent upserts by content hash; who was held back recorded with them) → remove the
 *                       deleted ones → mark the listed units seen (full passes) → THEN
 *                       commit the cursor. A crash anywhere before the commit re-reads the same page: nothing is
 *                       lost, and nothing is stored twice (item ids are deterministic, unchanged units are skipped).
 *   sweepStream         after the last page of a full listing: units of the stream the listing did not name are
 *                       deleted, with their items, chunks and vectors
 *   pauseSource         credentials refused (SourceAuthFailed): the source stops, and its owner is told once
 *
 * Credentials are decrypted here, in the activity, and handed to the connector only: workflow arguments, results
 * and history carry source ids, stream names, counts and item ids.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { directoryFrom } from './connectors/files';
import { CredentialsError, resolveCredentials } from './connectors/credentials';
import type { Connector, ConnectorProvider, StreamPage } from './connectors/port';
import { connectorFor, isConnectorProvider, NoConnectorError } from './connectors/registry';
import type { ActivityDeps } from './deps';
import { SecretKeyError } from './memory/secrets';
import type { RegisteredSource } from './memory/sources';
import { providerEndpoints } from './providers/endpoints';
import { providerFailure } from './providers/errors';
import { mergeHeldBack, type HeldBackSummary } from '../workflows/held-back';

export const ConnectorFailureType = {
  /** the source's setup is wrong (no key, no credentials, no connector, bad config): fix it, then sync again */
  Misconfigured: 'SourceMisconfigured',
  /** the connector broke the port's contract (a unit outside its stream): a bug, not retried */
  ContractViolation: 'ConnectorContractViolation',
  NotFound: 'SourceNotFound',
} as const;

export interface SyncSourceDescription {
  sourceId: string;
  kind: string;
  status: 'active' | 'paused';
  pausedReason?: string;
  /** an API source's streams, in the connector's order; empty for a files source */
  streams: string[];
}

export interface StreamPageResult {
  stream: string;
  units: number;
  inserted: number;
  updated: number;
  unchanged: number;
  removed: number;
  /** items of units stored by this page (new or changed): what extraction reads. Ids only. */
  storedItemIds: string[];
  /** another page follows in this pass */
  more: boolean;
  /** a full listing of the stream ended: sweep what it did not list */
  sweepPassId?: string;
  /** the source was paused meanwhile: nothing was read */
  paused?: boolean;
  /** whose content this page held back (people outside the opt-in; identities and counts), recorded per unit */
  heldBack?: HeldBackSummary;
}

export function createConnectorSyncActivities(deps: ActivityDeps) {
  const endpoints = (): ReturnType<typeof providerEndpoints> => providerEndpoints(process.env);

  async function registered(sourceId: string): Promise<RegisteredSource> {
    const source = await deps.sources.get(sourceId);
    if (!source) throw ApplicationFailure.nonRetryable(`source ${sourceId} is not registered`, ConnectorFailureType.NotFound);
    return source;
  }

  /** The source's connector, with its credentials decrypted here; setup errors end the activity, unretried. */
  async function connectorOf(source: RegisteredSource & { kind: ConnectorProvider }): Promise<Connector> {
    try {
      const credentials = await resolveCredentials(deps.sources, source);
      return connectorFor(deps.connectors, { id: source.id, kind: source.kind, config: source.config, ownerId: source.ownerId }, credentials, {
        endpoints: endpoints(),
      });
    } catch (error) {
      if (error instanceof SecretKeyError || error instanceof CredentialsError || error instanceof NoConnectorError) {
        throw ApplicationFailure.nonRetryable(error.message, ConnectorFailureType.Misconfigured);
      }
      // a factory rejecting the source's config names what is wrong: no retry fixes it
      throw ApplicationFailure.nonRetryable(`source ${source.id}: ${error instanceof Error ? error.message : String(error)}`, ConnectorFailureType.Misconfigured);
    }
  }

  async function describeSyncSource({ sourceId }: { sourceId: string }): Promise<SyncSourceDescription> {
    const source = await registered(sourceId);
    const base = { sourceId, kind: source.kind, status: source.status, ...(source.pausedReason ? { pausedReason: source.pausedReason } : {}) };
    if (!isConnectorProvider(source.kind) || source.status === 'paused') return { ...base, streams: [] };
    const connector = await connectorOf({ ...source, kind: source.kind });
    return { ...base, streams: connector.streams() };
  }

  async function syncStreamPage({ sourceId, stream }: { sourceId: string; stream: string }): Promise<StreamPageResult> {
    const result: StreamPageResult = { stream, units: 0, inserted: 0, updated: 0, unchanged: 0, removed: 0, storedItemIds: [], more: false };
    const source = await registered(sourceId);
    if (source.status === 'paused') return { ...result, paused: true };
    if (!isConnectorProvider(source.kind)) {
      throw ApplicationFailure.nonRetryable(`source ${sourceId} is a ${source.kind} source, not an API source`, ConnectorFailureType.Misconfigured);
    }
    const provider = source.kind;
    const state = await deps.sources.stream(sourceId, stream);
    // a full listing that ended but was not swept (the run stopped in between): sweep first, then read on
    if (state?.fullPassComplete && state.fullPassId) return { ...result, more: true, sweepPassId: state.fullPassId };

    const connector = await connectorOf({ ...source, kind: provider });
    const log = deps.log.child({ sourceId, stream });
    let page: StreamPage;
    try {
      page = await connector.readPage(stream, state?.cursor ?? null, {
        sourceId,
        directory: directoryFrom(await deps.store.listPeople()),
        now: deps.now(),
        log,
        heartbeat: (detail) => Context.current().heartbeat(detail),
      });
    } catch (error) {
      throw providerFailure(provider, error);
    }
    assertInStream(stream, page);

    // store the page's units in one transaction (all or nothing, embedded in one batch before it); a unit whose hash
    // is stored already is unchanged — but one written after the stream's last commit was stored by an earlier
    // attempt at this very page, and is new to extraction
    const known = await deps.sources.unitStates(sourceId, page.units.map((u) => u.path));
    const committedAt = state?.updatedAt;
    const changed: StreamPage['units'] = [];
    for (const unit of page.units) {
      result.units += 1;
      const stored = known.get(unit.path);
      if (stored?.fileHash === unit.fileHash) {
        result.unchanged += unit.items.length;
        if (!committedAt || stored.updatedAt > committedAt) result.storedItemIds.push(...unit.items.map((item) => item.id));
        continue;
      }
      changed.push(unit);
    }
    // an unchanged unit held back what it held back before (its hash covers the directory's opt-ins)
    const unchangedPaths = new Set(page.units.filter((u) => !changed.includes(u)).map((u) => u.path));
    const heldBack = (page.heldBack ?? []).filter((h) => !unchangedPaths.has(h.path));
    Context.current().heartbeat({ stream, storing: changed.length });
    const written = await deps.store.storeUnits(sourceId, changed, { heldBack, at: deps.now() });
    result.inserted += written.inserted;
    result.updated += written.updated;
    result.unchanged += written.unchanged;
    result.removed += written.removed;
    result.storedItemIds.push(...changed.flatMap((unit) => unit.items.map((item) => item.id)));
    if (heldBack.length > 0) result.heldBack = mergeHeldBack(...heldBack.map((h) => ({ items: 0, authors: h.authors })));
    for (const path of page.deleted) {
      Context.current().heartbeat({ stream, deleted: path });
      result.removed += (await deps.store.removeUnit(sourceId, path)).removed;
    }

    // a full listing keeps its pass id from its first page to its last; an incremental page ends any listing
    const fullPassId = page.full ? (state?.fullPassId ?? randomUUID()) : null;
    const fullPassComplete = page.full && !page.more;
    await deps.sources.commitPage(sourceId, stream, {
      cursor: page.cursor,
      seenPaths: page.full ? page.units.map((u) => u.path) : [],
      fullPassId,
      fullPassComplete,
    });
    log.debug({ units: result.units, more: page.more, full: page.full }, 'page stored, cursor committed');
    return { ...result, more: page.more, ...(fullPassComplete && fullPassId ? { sweepPassId: fullPassId } : {}) };
  }

  async function sweepStream({ sourceId, stream, passId }: { sourceId: string; stream: string; passId: string }): Promise<{ units: number; removed: number }> {
    const state = await deps.sources.stream(sourceId, stream);
    // swept already (a retry), or superseded by a newer listing: its unseen units are not this pass's to delete
    if (state?.fullPassId !== passId || !state.fullPassComplete) return { units: 0, removed: 0 };
    const paths = await deps.sources.unseenPaths(sourceId, stream, passId);
    let removed = 0;
    for (const path of paths) {
      Context.current().heartbeat({ stream, path });
      removed += (await deps.store.removeUnit(sourceId, path)).removed;
    }
    await deps.sources.finishFullPass(sourceId, stream, passId);
    if (paths.length > 0) deps.log.info({ sourceId, stream, units: paths.length, removed }, 'full pass swept: units gone at the source deleted');
    return { units: paths.length, removed };
  }

  /**
   * Pauses the source and tells its owner, once: the message's artifact id is the pause's own (source and time),
   * so a retry re-delivers nothing, and a second failure while paused keeps the first reason.
   */
  async function pauseSource({ sourceId, reason }: { sourceId: string; reason: string }): Promise<{ paused: boolean; ownerId: string | null; told: string[] }> {
    const newly = await deps.sources.pause(sourceId, reason, deps.now());
    const source = await registered(sourceId);
    if (source.status !== 'paused' || !source.pausedAt) return { paused: false, ownerId: source.ownerId, told: [] };
    const recipients = source.ownerId ? [source.ownerId] : [];
    if (!source.ownerId) deps.log.warn({ sourceId }, 'paused source has no owner to tell: the message goes to the outbox only');
    const told = await deps.outbox.deliver({
      artifactId: `source-paused-${sourceId.replace(/[^\w.-]/g, '_')}-${source.pausedAt.getTime()}`,
      topic: `source ${sourceId} paused`,
      recipients,
      markdown: pausedMessage(source),
    });
    if (newly) deps.log.warn({ sourceId, reason: source.pausedReason, owner: source.ownerId }, 'source paused');
    return { paused: true, ownerId: source.ownerId, told };
  }

  return { describeSyncSource, syncStreamPage, sweepStream, pauseSource };
}

function assertInStream(stream: string, page: StreamPage): void {
  const prefix = `${stream}/`;
  const outside = [...page.units.map((u) => u.path), ...page.deleted].find((path) => !path.startsWith(prefix));
  if (outside !== undefined) {
    throw ApplicationFailure.nonRetryable(`connector returned unit "${outside}" on stream ${stream}: unit paths are "<stream>/<object id>"`, ConnectorFailureType.ContractViolation);
  }
}

function pausedMessage(source: RegisteredSource): string {
  return [
    `# Source ${source.id} is paused`,
    '',
    `Mycelium stopped reading the ${source.kind} source **${source.id}** on ${source.pausedAt?.toISOString() ?? 'now'}:`,
    '',
    `> ${source.pausedReason ?? 'credentials refused'}`,
    '',
    'Nothing is read from it, and requests to sync it are refused, until you act:',
    '',
    '```sh',
    `myc sources add ${source.kind} ${source.id} --credentials-file <file>   # new credentials (this resumes it too)`,
    `myc sources resume ${source.id}                                        # access fixed at the provider's side`,
    '```',
  ].join('\n');
}
