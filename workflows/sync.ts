/**
 * syncSource — incremental pulls of one connector (id `sync:<sourceId>`), debounced.
 *
 * Requests (`requestSync` signals, usually signal-with-start from webhooks, schedules or `myc sources sync`) are
 * merged: the first pass starts once the burst has been quiet for `temporalConfig.sync.debounce.quiet` (or `max`
 * after the first request); requests arriving during a pass cause exactly one more pass. `myc ingest` starts the
 * same id with `immediate`, so its first pass runs at once.
 *
 * A pass: plan (what changed since the cursor) → ingest in batches (parse, normalize, chunk, embed, store: one
 * transaction per file, bad files quarantined) → advance the cursor only after every batch is stored → extract →
 * reconcile the meeting workflows of the calendars this source feeds (the same activity the calendar watch runs).
 */
import { condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CompletionEvidence } from '../schemas/memory';
import { temporalConfig } from '../temporal.config';
import { durationMs } from './duration';
import { SourceIdAttribute } from './search-attributes';
import { progressQuery, requestSyncSignal, type SyncInput, type SyncProgress, type SyncResult } from './sync-defs';
import { mergeHeldBack, noneHeldBack } from './held-back';
import type { DecisionChange } from './notify-defs';

export * from './sync-defs';

/** items per extraction call: small enough that a retry redoes little */
const EXTRACTION_BATCH = 50;

const { planSync, commitCursor, calendarsOfSource } = proxyActivities<Activities>(temporalConfig.activities.store);
const { reconcileCalendar } = proxyActivities<Activities>({
  ...temporalConfig.activities.store,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
});
const { ingestFiles } = proxyActivities<Activities>(temporalConfig.activities.connector);
const { extractFromItems } = proxyActivities<Activities>(temporalConfig.activities.extraction);
const { findCompletionEvidence } = proxyActivities<Activities>(temporalConfig.activities.store);
const { ensureFollowUps, announceDecisions } = proxyActivities<Activities>({ ...temporalConfig.activities.store, heartbeatTimeout: '1 minute' });

export function emptySyncResult(sourceId: string): SyncResult {
  return {
    sourceId,
    files: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    quarantined: [],
    heldBack: noneHeldBack(),
    ignored: [],
    meetingsEnsured: 0,
    extracted: { decisions: 0, actions: 0, questions: 0 },
    followUps: { started: 0, signalled: 0 },
    passes: 0,
    requests: 0,
  };
}

export async function syncSource(input: SyncInput): Promise<SyncResult> {
  const { sourceId } = input;
  const quietMs = input.debounce?.quietMs ?? durationMs(temporalConfig.sync.debounce.quiet);
  const maxMs = input.debounce?.maxMs ?? durationMs(temporalConfig.sync.debounce.max);
  const totals = input.carried?.totals ?? emptySyncResult(sourceId);
  const progress: SyncProgress = { phase: 'waiting', total: 0, done: 0, passes: 0, pending: 0 };

  /** requests received and not yet served by a pass */
  let pending = input.carried?.pendingRequests ?? 0;
  /** bumped by every request: the quiet window restarts when it moves */
  let seq = 0;
  let lastRequestAt = Date.now();
  let firstPendingAt: number | undefined = pending > 0 ? Date.now() : undefined;
  setHandler(requestSyncSignal, () => {
    pending += 1;
    seq += 1;
    totals.requests += 1;
    lastRequestAt = Date.now();
    firstPendingAt ??= lastRequestAt;
    progress.pending = pending;
  });
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: SourceIdAttribute, value: sourceId }]);

  /** waits until requests have been quiet for quietMs, or maxMs after the first unserved one */
  const quiet = async (): Promise<void> => {
    progress.phase = 'waiting';
    for (;;) {
      const now = Date.now();
      const wait = Math.min(lastRequestAt + quietMs - now, (firstPendingAt ?? now) + maxMs - now);
      if (wait <= 0) return;
      const seen = seq;
      await condition(() => seq !== seen, wait);
    }
  };

  let passesThisRun = 0;
  let runNext = true;
  while (runNext) {
    if (!(input.immediate === true && passesThisRun === 0)) await quiet();
    pending = 0;
    firstPendingAt = undefined;
    progress.pending = 0;
    await syncPass(sourceId, totals, progress);
    passesThisRun += 1;
    totals.passes += 1;
    progress.passes = passesThisRun;
    runNext = pending > 0;
    if (runNext && passesThisRun >= temporalConfig.sync.maxPassesPerRun) {
      // a source kept busy by requests must not grow one history without bound
      return continueAsNew<typeof syncSource>({
        sourceId,
        ...(input.debounce ? { debounce: input.debounce } : {}),
        carried: { pendingRequests: pending, totals },
      });
    }
  }
  progress.phase = 'done';
  log.info('source synced', { ...totals, quarantined: totals.quarantined.length, ignored: totals.ignored.length });
  return totals;
}

/** One pass, added into `result`. */
async function syncPass(sourceId: string, result: SyncResult, progress: SyncProgress): Promise<void> {
  progress.phase = 'planning';
  progress.done = 0;
  const plan = await planSync({ sourceId, batchSize: temporalConfig.sync.batchSize });
  progress.total = plan.changed;
  progress.phase = 'ingesting';
  result.files += plan.changed;
  result.ignored = plan.ignored;
  // the quarantine of the latest pass is the one that stands
  result.quarantined = [];
  result.heldBack = noneHeldBack();

  const storedItemIds: string[] = [];
  for (const paths of plan.batches) {
    const batch = await ingestFiles({ sourceId, paths });
    result.inserted += batch.inserted;
    result.updated += batch.updated;
    result.unchanged += batch.unchanged;
    result.removed += batch.removed;
    result.quarantined.push(...batch.quarantined);
    result.heldBack = mergeHeldBack(result.heldBack, batch.heldBack);
    storedItemIds.push(...batch.storedItemIds);
    progress.done += paths.length;
  }
  if (plan.deleted.length > 0) {
    const gone = await ingestFiles({ sourceId, paths: [], deletedPaths: plan.deleted });
    result.removed += gone.removed;
  }
  await commitCursor({ sourceId, cursor: plan.cursor });

  progress.phase = 'extracting';
  const openSubjects = new Map<string, { kind: 'decision' | 'action'; id: string }>();
  const announce = new Map<string, DecisionChange>();
  const evidence: CompletionEvidence[] = [];
  const batches = chunks(storedItemIds, EXTRACTION_BATCH);
  for (const itemIds of batches) {
    const extracted = await extractFromItems({ sourceId, itemIds });
    result.extracted.decisions += extracted.decisions;
    result.extracted.actions += extracted.actions;
    result.extracted.questions += extracted.questions;
    for (const subject of extracted.openSubjects) openSubjects.set(`${subject.kind}:${subject.id}`, subject);
    evidence.push(...extracted.evidence);
    for (const c of extracted.announce ?? []) announce.set(`${c.id}:${c.change}`, c);
  }
  // Items are read in file order, not time order: look again for evidence once every decision is known.
  if (batches.length > 1) {
    for (const itemIds of batches) evidence.push(...(await findCompletionEvidence({ itemIds })));
  }
  if (openSubjects.size > 0 || evidence.length > 0) {
    const ensured = await ensureFollowUps({ openSubjects: [...openSubjects.values()], evidence: unique(evidence) });
    result.followUps.started += ensured.started;
    result.followUps.signalled += ensured.signalled;
  }

  // (runs started before decisions were announced replay without this step)
  if (announce.size > 0 && patched('announce-decisions')) await announceDecisions({ changes: [...announce.values()] });

  progress.phase = 'reconciling';
  for (const calendarId of await calendarsOfSource({ sourceId })) {
    const reconciled = await reconcileCalendar({ calendarId });
    result.meetingsEnsured += reconciled.ensured;
  }
  progress.phase = 'done';
}

function chunks<T>(values: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function unique(evidence: CompletionEvidence[]): CompletionEvidence[] {
  const seen = new Map(evidence.map((e) => [`${e.subjectKind}:${e.subjectId}:${e.itemId}:${e.position}`, e]));
  return [...seen.values()];
}
