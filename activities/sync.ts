/**
 * Sync activities for the files connector: plan → ingest (per-file transactions, quarantine) →
 * commit cursor (the meeting workflows are reconciled by activities/calendar.ts). Each is idempotent: re-running any of them after a
 * crash converges to the same stored state.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { temporalConfig } from '../temporal.config';
import { durationMs } from '../workflows/duration';
import { directoryFrom, listUnits, parseReportedUnit, QuarantineError } from './connectors/files';
import { mergeHeldBack, noneHeldBack, type HeldBackSummary } from '../workflows/held-back';
import type { ActivityDeps } from './deps';
import { ensureFollowUp } from './follow-up';
import type { CompletionEvidence } from '../schemas/memory';
import { signalSyncRequest } from './sync-requests';
import type { DecisionChange } from '../workflows/notify-defs';
import { startNotify } from './notify-requests';

export const FilesSourceConfig = z.object({
  root: z.string().min(1),
  /** added to every timestamp the source yields: lets a fixed sample team live relative to now */
  timeShiftMs: z.number().int().default(0),
  maxFileBytes: z.number().int().positive().default(5 * 1024 * 1024),
});
export type FilesSourceConfig = z.infer<typeof FilesSourceConfig>;

export interface SyncPlan {
  changed: number;
  batches: string[][];
  deleted: string[];
  ignored: string[];
  cursor: { syncedAt: string; files: number };
}

export interface IngestResult {
  inserted: number;
  updated: number;
  unchanged: number;
  removed: number;
  quarantined: { path: string; reason: string }[];
  /** items of the files stored in this call (new or changed): what extraction should read */
  storedItemIds: string[];
  /** whose content these files held back (not in the directory or not opted in): identity and counts only */
  heldBack: HeldBackSummary;
}

export function createSyncActivities(deps: ActivityDeps) {
  async function sourceConfig(sourceId: string): Promise<FilesSourceConfig> {
    const source = await deps.store.getSource(sourceId);
    if (!source) throw ApplicationFailure.nonRetryable(`source ${sourceId} is not registered`, 'SourceNotFound');
    if (source.kind !== 'files') {
      throw ApplicationFailure.nonRetryable(`source ${sourceId} is a ${source.kind} source; no connector is wired for it`, 'UnsupportedSource');
    }
    const parsed = FilesSourceConfig.safeParse(source.config);
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(`source ${sourceId} has an invalid config: ${z.prettifyError(parsed.error)}`, 'InvalidSourceConfig');
    }
    return parsed.data;
  }

  async function planSync({ sourceId, batchSize }: { sourceId: string; batchSize: number }): Promise<SyncPlan> {
    const config = await sourceConfig(sourceId);
    const { units, ignored } = await listUnits(config.root);
    const known = await deps.store.fileHashes(sourceId);
    const listed = new Set(units.map((u) => u.path));
    const paths = units.map((u) => u.path);
    const batches: string[][] = [];
    for (let i = 0; i < paths.length; i += batchSize) batches.push(paths.slice(i, i + batchSize));
    return {
      changed: paths.length,
      batches,
      deleted: [...known.keys()].filter((path) => !listed.has(path)),
      ignored,
      cursor: { syncedAt: deps.now().toISOString(), files: paths.length },
    };
  }

  async function ingestFiles({
    sourceId,
    paths,
    deletedPaths = [],
  }: {
    sourceId: string;
    paths: string[];
    deletedPaths?: string[];
  }): Promise<IngestResult> {
    const config = await sourceConfig(sourceId);
    const result: IngestResult = { inserted: 0, updated: 0, unchanged: 0, removed: 0, quarantined: [], storedItemIds: [], heldBack: noneHeldBack() };
    const known = await deps.store.fileHashes(sourceId);
    let directory = directoryFrom(await deps.store.listPeople());

    for (const [index, path] of paths.entries()) {
      Context.current().heartbeat({ index, path });
      let unit;
      let heldBack;
      try {
        ({ unit, heldBack } = await parseReportedUnit(
          {
            sourceId,
            root: config.root,
            timeShiftMs: config.timeShiftMs,
            maxFileBytes: config.maxFileBytes,
            directory,
            now: deps.now(),
            horizonDays: Math.ceil(durationMs(temporalConfig.meetings.horizon) / 86_400_000),
          },
          path,
        ));
      } catch (error) {
        if (!(error instanceof QuarantineError)) throw error;
        await deps.store.quarantine({ sourceId, path, reason: error.reason });
        result.quarantined.push({ path, reason: error.reason });
        deps.log.warn({ sourceId, path, reason: error.reason }, 'file quarantined');
        continue;
      }
      // an unchanged file still holds back what it held back: reported on every sync, recorded per file
      await deps.store.recordHeldBack(sourceId, path, heldBack, deps.now());
      result.heldBack = mergeHeldBack(result.heldBack, { items: 0, authors: heldBack });
      if (known.get(path) === unit.fileHash) {
        result.unchanged += unit.items.length;
        continue;
      }
      const stored = await deps.store.storeUnit(sourceId, unit);
      result.inserted += stored.inserted;
      result.updated += stored.updated;
      result.unchanged += stored.unchanged;
      result.removed += stored.removed;
      result.storedItemIds.push(...unit.items.map((item) => item.id));
      if (unit.people.length > 0) directory = directoryFrom(await deps.store.listPeople());
    }
    for (const path of deletedPaths) {
      result.removed += (await deps.store.removeUnit(sourceId, path)).removed;
    }
    return result;
  }

  async function commitCursor({ sourceId, cursor }: { sourceId: string; cursor: SyncPlan['cursor'] }): Promise<void> {
    await deps.store.setCursor(sourceId, cursor);
  }

  /**
   * Every open decision and action item has its follow-up workflow; evidence of completion found by
   * extraction is signalled to it (signal-with-start, so it also reaches one not yet started).
   */
  async function ensureFollowUps({
    openSubjects,
    evidence,
  }: {
    openSubjects: { kind: 'decision' | 'action'; id: string }[];
    evidence: CompletionEvidence[];
  }): Promise<{ started: number; signalled: number }> {
    const { client, taskQueue } = deps.temporal;
    let started = 0;
    let signalled = 0;
    for (const e of evidence) {
      await ensureFollowUp(client, { kind: e.subjectKind, id: e.subjectId, taskQueue, evidence: { itemId: e.itemId, position: e.position } });
      signalled += 1;
    }
    const closedByEvidence = new Set(evidence.map((e) => `${e.subjectKind}:${e.subjectId}`));
    for (const subject of openSubjects) {
      if (closedByEvidence.has(`${subject.kind}:${subject.id}`)) continue;
      Context.current().heartbeat(subject.id);
      const { outcome } = await ensureFollowUp(client, { kind: subject.kind, id: subject.id, taskQueue });
      if (outcome === 'started') started += 1;
    }
    return { started, signalled };
  }

  /** Tells each decision's stakeholders about it through notifyStakeholders (`notify:decision:<id>:<change>`, once). */
  async function announceDecisions({ changes }: { changes: DecisionChange[] }): Promise<{ told: number }> {
    const { client, taskQueue } = deps.temporal;
    for (const c of changes) {
      Context.current().heartbeat(c.id);
      await startNotify(client, taskQueue, { topicKey: `decision:${c.id}:${c.change}`, about: { kind: 'decision', id: c.id, change: c.change } });
    }
    return { told: changes.length };
  }

  /**
   * Evidence of completion among items, checked once everything of a sync is extracted: a message that
   * carried out a decision may have been read before the meeting that made the decision.
   */
  async function findCompletionEvidence({ itemIds }: { itemIds: string[] }): Promise<CompletionEvidence[]> {
    return deps.decisions.findCompletionEvidence(await deps.store.getItems(itemIds));
  }

  /** A Schedule's tick: ask the source's sync workflow for a pass (it merges with any running or pending one). */
  async function requestSourceSync({ sourceId, reason }: { sourceId: string; reason: string }): Promise<{ syncRunId: string }> {
    // a paused source is not synced until resumed: its ticks are skipped (the empty run id says none was asked)
    const source = await deps.sources.get(sourceId);
    if (source?.status === 'paused') {
      deps.log.info({ sourceId, pausedReason: source.pausedReason }, 'scheduled sync skipped: the source is paused');
      return { syncRunId: '' };
    }
    const handle = await signalSyncRequest(deps.temporal.client, { sourceId, request: { reason }, taskQueue: deps.temporal.taskQueue });
    return { syncRunId: handle.signaledRunId };
  }

  return { planSync, ingestFiles, commitCursor, ensureFollowUps, announceDecisions, findCompletionEvidence, requestSourceSync };
}
