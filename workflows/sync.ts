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
 *
 * An API source (Google, Microsoft, Slack) ingests differently, then extracts and reconciles the same way: for each
 * of its streams, pages are read and stored one activity at a time (each commits the stream's cursor after its
 * units are stored) until the stream has no more; a full listing ends with a sweep of what it did not list. Page
 * activities run on the provider's own task queue (`<queue>-<provider>`), so one provider's outage or rate limit
 * never holds another's work. Likewise a folder's listing and ingest run on the files queue (`<queue>-files`, where
 * the folder is mounted) and extraction on the intelligence queue (`<queue>-intelligence`):
 * workflows/activity-queues.ts. Refused credentials (SourceAuthFailed) pause the source and tell its owner; the run
 * then ends cleanly, and a paused source is skipped until resumed.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SyncSourceDescription } from '../activities/connector-sync';
import type { CompletionEvidence } from '../schemas/memory';
import { temporalConfig, type ConnectorQueueProvider } from '../temporal.config';
import { routedActivities } from './activity-queues';
import { SourceFailureType } from './source-failures';
import { durationMs } from './duration';
import { SourceIdAttribute } from './search-attributes';
import { progressQuery, requestSyncSignal, type SyncInput, type SyncProgress, type SyncResult } from './sync-defs';
import { mergeHeldBack, noneHeldBack } from './held-back';
import { pushActivitiesFor } from './push-upkeep';
import type { DecisionChange } from './notify-defs';

export * from './sync-defs';

/** items per extraction call: small enough that a retry redoes little */
const EXTRACTION_BATCH = 50;

const { commitCursor, calendarsOfSource } = proxyActivities<Activities>(temporalConfig.activities.store);
// the files connector reads the folder: listing and ingest run where the folder is (the connector-files role)
const { planSync } = routedActivities<Activities>('files', temporalConfig.activities.store);
const { reconcileCalendar } = proxyActivities<Activities>({
  ...temporalConfig.activities.store,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
});
const { ingestFiles } = routedActivities<Activities>('files', temporalConfig.activities.connector);
// CPU-bound (rules and NLP per item, or an LLM's wait), and stateless between calls: the intelligence role's work
const { extractFromItems } = routedActivities<Activities>('intelligence', temporalConfig.activities.extraction);
const { findCompletionEvidence } = proxyActivities<Activities>(temporalConfig.activities.store);
const { ensureFollowUps, announceDecisions } = proxyActivities<Activities>({ ...temporalConfig.activities.store, heartbeatTimeout: '1 minute' });
const { describeSyncSource, pauseSource } = proxyActivities<Activities>(temporalConfig.activities.store);
const { sweepStream } = proxyActivities<Activities>({ ...temporalConfig.activities.store, startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute' });

/** the failure type a connector's page ends with when the provider refuses the source's credentials */
const SOURCE_AUTH_FAILED = SourceFailureType.AuthFailed;

/** The page activity of a provider, on that provider's task queue. */
function pageActivitiesFor(provider: ConnectorQueueProvider) {
  return routedActivities<Activities>(provider, temporalConfig.activities.connectorPage);
}

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
    const { unfinished } = await syncPass(sourceId, totals, progress);
    passesThisRun += 1;
    totals.passes += 1;
    progress.passes = passesThisRun;
    // a pass that stopped at its page budget goes on in the next one, from the committed cursors
    runNext = pending > 0 || unfinished;
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

/** One pass, added into `result`; `unfinished` when an API source stopped at its page budget with more to read. */
async function syncPass(sourceId: string, result: SyncResult, progress: SyncProgress): Promise<{ unfinished: boolean }> {
  progress.phase = 'planning';
  progress.done = 0;
  // (runs started before API sources existed replay without this step: they only ever synced folders)
  const source = patched('api-sources') ? await describeSyncSource({ sourceId }) : undefined;
  if (source && (source.kind === 'google' || source.kind === 'microsoft') && source.status === 'active' && patched('push-upkeep')) {
    await keepPushAlive(sourceId, source.kind);
  }
  if (source && source.kind !== 'files') {
    const api = await apiSourceIngest(source, result, progress);
    if (api.storedItemIds.length > 0 || !api.stopped) await afterIngest(sourceId, api.storedItemIds, result, progress);
    progress.phase = 'done';
    return { unfinished: api.unfinished };
  }
  const storedItemIds = await filesIngest(sourceId, result, progress);
  await afterIngest(sourceId, storedItemIds, result, progress);
  return { unfinished: false };
}

/**
 * Renews the source's push channels before reading it. Push only makes changes arrive sooner: when it fails (its
 * retries spent, or no public URL) the pass reads the source all the same, and the failure is in the log.
 */
async function keepPushAlive(sourceId: string, provider: 'google' | 'microsoft'): Promise<void> {
  try {
    await pushActivitiesFor(provider).maintainPush({ sourceId });
  } catch (error) {
    const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
    log.warn('push upkeep failed: the source is read on schedule until it works again', { sourceId, error: failure?.message ?? String(error) });
  }
}

/** The files connector's ingest: plan → batches → deletions → cursor; returns the items stored. */
async function filesIngest(sourceId: string, result: SyncResult, progress: SyncProgress): Promise<string[]> {
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
  return storedItemIds;
}

/**
 * An API source's ingest: every stream, page by page, on the provider's queue. Returns the items stored, whether
 * the pass stopped early (paused) and whether it left pages unread (its page budget).
 */
async function apiSourceIngest(
  source: SyncSourceDescription,
  result: SyncResult,
  progress: SyncProgress,
): Promise<{ storedItemIds: string[]; stopped: boolean; unfinished: boolean }> {
  const storedItemIds: string[] = [];
  const { sourceId } = source;
  result.failed = [];
  if (source.status === 'paused') {
    result.paused = { reason: source.pausedReason ?? 'paused' };
    log.info('source is paused: nothing read until it is resumed', { sourceId, reason: result.paused.reason });
    return { storedItemIds, stopped: true, unfinished: false };
  }
  delete result.paused;
  // as with files, what the latest pass held back is what stands in the result (the store keeps it per unit)
  result.heldBack = noneHeldBack();
  const { syncStreamPage } = pageActivitiesFor(source.kind as ConnectorQueueProvider);
  progress.phase = 'ingesting';
  progress.total = source.streams.length;
  let pages = 0;
  for (const stream of source.streams) {
    for (let more = true; more; ) {
      if (pages >= temporalConfig.connectors.maxPagesPerPass) return { storedItemIds, stopped: false, unfinished: true };
      let page;
      try {
        page = await syncStreamPage({ sourceId, stream });
      } catch (error) {
        const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
        if (failure?.type === SOURCE_AUTH_FAILED) {
          const reason = failure.message;
          await pauseSource({ sourceId, reason });
          result.paused = { reason };
          log.warn('credentials refused: source paused, owner told', { sourceId, stream });
          return { storedItemIds, stopped: true, unfinished: false };
        }
        // retries are spent (or the failure is final): this stream waits for the next pass, the others go on
        result.failed.push({ stream, error: failure?.message ?? (error instanceof Error ? error.message : String(error)) });
        break;
      }
      if (page.paused) {
        result.paused = { reason: 'paused during the sync' };
        return { storedItemIds, stopped: true, unfinished: false };
      }
      pages += 1;
      result.pages = (result.pages ?? 0) + 1;
      result.files += page.units;
      result.inserted += page.inserted;
      result.updated += page.updated;
      result.unchanged += page.unchanged;
      result.removed += page.removed;
      storedItemIds.push(...page.storedItemIds);
      if (page.heldBack) result.heldBack = mergeHeldBack(result.heldBack, page.heldBack);
      if (page.sweepPassId) {
        const swept = await sweepStream({ sourceId, stream, passId: page.sweepPassId });
        result.removed += swept.removed;
        result.swept = (result.swept ?? 0) + swept.units;
      }
      more = page.more;
    }
    progress.done += 1;
  }
  return { storedItemIds, stopped: false, unfinished: false };
}

/** What follows storing, for every kind of source: extraction, follow-ups, announcements, meeting reconciliation. */
async function afterIngest(sourceId: string, storedItemIds: string[], result: SyncResult, progress: SyncProgress): Promise<void> {
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
