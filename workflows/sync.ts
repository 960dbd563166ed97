/**
 * syncSource — one incremental pull of one connector (id `sync:<sourceId>`).
 *
 * plan (what changed since the cursor) → ingest in batches (parse, normalize, chunk, embed, store:
 * one transaction per file, bad files quarantined) → advance the cursor only after every batch is
 * stored → reconcile the meeting workflows of the calendar this source feeds.
 */
import { log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CompletionEvidence } from '../schemas/memory';
import { temporalConfig } from '../temporal.config';
import { SourceIdAttribute } from './search-attributes';
import { progressQuery, type SyncInput, type SyncProgress, type SyncResult } from './sync-defs';
import { mergeHeldBack, noneHeldBack } from './held-back';

export * from './sync-defs';

/** items per extraction call: small enough that a retry redoes little */
const EXTRACTION_BATCH = 50;

const { planSync, commitCursor, reconcileMeetingWorkflows } = proxyActivities<Activities>(
  temporalConfig.activities.store,
);
const { ingestFiles } = proxyActivities<Activities>(temporalConfig.activities.connector);
const { extractFromItems } = proxyActivities<Activities>(temporalConfig.activities.extraction);
const { findCompletionEvidence } = proxyActivities<Activities>(temporalConfig.activities.store);
const { ensureFollowUps } = proxyActivities<Activities>({ ...temporalConfig.activities.store, heartbeatTimeout: '1 minute' });

export async function syncSource({ sourceId }: SyncInput): Promise<SyncResult> {
  const progress: SyncProgress = { phase: 'planning', total: 0, done: 0 };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: SourceIdAttribute, value: sourceId }]);

  const plan = await planSync({ sourceId, batchSize: temporalConfig.sync.batchSize });
  progress.total = plan.changed;
  progress.phase = 'ingesting';

  const result: SyncResult = {
    sourceId,
    files: plan.changed,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    quarantined: [],
    heldBack: noneHeldBack(),
    ignored: plan.ignored,
    meetingsEnsured: 0,
    extracted: { decisions: 0, actions: 0, questions: 0 },
    followUps: { started: 0, signalled: 0 },
    passes: 1,
    requests: 0,
  };
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
  const evidence: CompletionEvidence[] = [];
  const batches = chunks(storedItemIds, EXTRACTION_BATCH);
  for (const itemIds of batches) {
    const extracted = await extractFromItems({ sourceId, itemIds });
    result.extracted.decisions += extracted.decisions;
    result.extracted.actions += extracted.actions;
    result.extracted.questions += extracted.questions;
    for (const subject of extracted.openSubjects) openSubjects.set(`${subject.kind}:${subject.id}`, subject);
    evidence.push(...extracted.evidence);
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

  progress.phase = 'reconciling';
  const reconciled = await reconcileMeetingWorkflows({ sourceId });
  result.meetingsEnsured = reconciled.ensured;
  progress.phase = 'done';
  log.info('source synced', { ...result, quarantined: result.quarantined.length, ignored: result.ignored.length });
  return result;
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
