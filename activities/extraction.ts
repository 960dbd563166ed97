/**
 * Extraction activities: read items from the store, extract decisions, action items and open questions
 * (the configured Extractor), save each item's extraction in one transaction, and look for follow-up
 * evidence. Idempotent: an item whose content was already extracted by the same extractor is skipped,
 * and the result is read back from the store, so a retried activity returns the same thing.
 * Large data stays in the store; the workflow gets counts and ids.
 */
import { Context } from '@temporalio/activity';
import type { Item } from '../schemas/entities';
import { temporalConfig } from '../temporal.config';
import { durationMs } from '../workflows/duration';
import type { DecisionChange } from '../workflows/notify-defs';
import type { ActivityDeps } from './deps';
import type { Extractor } from './intelligence/extraction/port';
import type { CompletionEvidence, DecisionStore } from './memory/decisions';

export type ExtractionActivityDeps = Pick<ActivityDeps, 'store' | 'log' | 'now'> & {
  decisions: DecisionStore;
  extractor: Extractor;
};

export interface ExtractFromItemsInput {
  sourceId: string;
  itemIds: string[];
}

export interface ExtractFromItemsResult {
  /** how many decisions, action items and questions these items hold (after merging) */
  decisions: number;
  actions: number;
  questions: number;
  /** decisions and actions among them still open: candidates for a follow-up workflow */
  openSubjects: { kind: 'decision' | 'action'; id: string }[];
  /** later messages in these items showing that an earlier decision or action was carried out */
  evidence: CompletionEvidence[];
  /** decisions recent enough to announce: new ones, and the ones they replace */
  announce: DecisionChange[];
}


const EXTRACTED_KINDS = new Set<Item['kind']>(['transcript', 'message', 'email']);
const THREAD_CONTEXT_ITEMS = 200;

/**
 * Extracts every item not yet extracted by this extractor (or changed since), each saved in its
 * own transaction; returns how many were extracted. `onItem` is told before each item (an
 * activity heartbeats there). The activity below and the eval use this same path.
 */
export async function extractItems(
  deps: Pick<ExtractionActivityDeps, 'store' | 'decisions' | 'extractor'>,
  items: readonly Item[],
  onItem: (index: number, item: Item) => void = () => undefined,
): Promise<number> {
  const people = (await deps.store.listPeople())
    .filter((p) => p.optedIn)
    .map((p) => ({ id: p.id, name: p.name, timezone: p.timezone, workingHours: p.workingHours, optedIn: true }));
  let extracted = 0;
  for (const [index, item] of items.entries()) {
    onItem(index, item);
    if (!EXTRACTED_KINDS.has(item.kind)) continue;
    const previous = await deps.decisions.extractionOf(item.id);
    if (previous?.extractor === deps.extractor.name && previous.contentHash === item.contentHash) continue;
    const thread =
      item.threadId && item.access.length > 0
        ? (await deps.store.findItems({ visibleTo: item.access, threadId: item.threadId }, THREAD_CONTEXT_ITEMS)).filter((t) => t.id !== item.id)
        : [];
    const extraction = await deps.extractor.extract({ item, people, thread });
    await deps.decisions.saveExtraction(extraction, { contentHash: item.contentHash });
    extracted += 1;
  }
  return extracted;
}

export function createExtractionActivities(deps: ExtractionActivityDeps) {
  async function extractFromItems({ sourceId, itemIds }: ExtractFromItemsInput): Promise<ExtractFromItemsResult> {
    const items = (await deps.store.getItems(itemIds))
      .filter((i) => i.sourceId === sourceId && EXTRACTED_KINDS.has(i.kind))
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : 1));
    const extracted = await extractItems(deps, items, (index, item) => Context.current().heartbeat({ index, itemId: item.id }));

    const evidence = await deps.decisions.findCompletionEvidence(items);
    const found = await deps.decisions.extractedFrom(items.map((i) => i.id));
    const openSubjects = await deps.decisions.openAmong(found);
    deps.log.info(
      { sourceId, items: items.length, extracted, decisions: found.decisionIds.length, actions: found.actionIds.length, questions: found.questionIds.length },
      'extraction done',
    );
    const since = deps.now().getTime() - durationMs(temporalConfig.notify.announceDecisionsWithin);
    const announce: DecisionChange[] = [];
    for (const id of found.decisionIds) {
      const d = await deps.decisions.getDecision(id);
      if (!d || d.decidedAt.getTime() < since || d.status === 'rejected') continue;
      if (d.status !== 'superseded') announce.push({ id, change: 'new' });
      if (d.supersedesId) announce.push({ id: d.supersedesId, change: 'superseded' });
    }
    return {
      announce,
      decisions: found.decisionIds.length,
      actions: found.actionIds.length,
      questions: found.questionIds.length,
      openSubjects,
      evidence,
    };
  }

  return { extractFromItems };
}
