/**
 * The contract of syncSource (workflows/sync.ts): input, progress query, the sync-request signal and the result.
 * Imports nothing but @temporalio/workflow, so clients and activities can start, signal and query a sync without
 * loading the workflow.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { HeldBackSummary } from './held-back';

/** the workflow type name: clients start it by name, never by importing the implementation */
export const SYNC_WORKFLOW_TYPE = 'syncSource';
/** what a Temporal Schedule starts: a tiny run that asks `sync:<sourceId>` for a pass, so scheduled and requested syncs merge */
export const SCHEDULED_SYNC_WORKFLOW_TYPE = 'requestScheduledSync';

/** How requests are merged: a pass starts once no request came for `quietMs`, or `maxMs` after the first one. */
export interface SyncDebounce {
  quietMs: number;
  maxMs: number;
}

export interface SyncInput {
  sourceId: string;
  /**
   * Run the first pass at once (a person waiting on `myc ingest`). Otherwise the run was started by a request
   * (signal-with-start) and waits for the burst to go quiet first.
   */
  immediate?: boolean;
  /** overrides temporalConfig.sync.debounce (tests) */
  debounce?: SyncDebounce;
  /** carried by continue-as-new: requests not yet served, and totals so far */
  carried?: { pendingRequests: number; totals: SyncResult };
}

/** Why someone wants the source synced now: a webhook, a schedule, `myc sources sync`. */
export interface SyncRequest {
  reason: string;
  /** the provider asked for a full resync (e.g. a Graph subscription was removed) */
  full?: boolean;
}

export interface SyncProgress {
  phase: 'waiting' | 'planning' | 'ingesting' | 'extracting' | 'reconciling' | 'done';
  total: number;
  done: number;
  /** sync passes completed by this run */
  passes?: number;
  /** requests received and not yet served by a pass */
  pending?: number;
}

export interface SyncResult {
  sourceId: string;
  files: number;
  inserted: number;
  updated: number;
  unchanged: number;
  removed: number;
  quarantined: { path: string; reason: string }[];
  /** whose content the latest pass held back (not in the directory or not opted in): identity and counts only */
  heldBack: HeldBackSummary;
  ignored: string[];
  meetingsEnsured: number;
  /** decisions, action items and questions held by the items stored in this sync */
  extracted: { decisions: number; actions: number; questions: number };
  followUps: { started: number; signalled: number };
  /** passes this workflow ran (each one plan → ingest → extract → reconcile); requests during a pass cause one more */
  passes: number;
  /** sync requests (signals) this workflow merged into its passes */
  requests: number;
  /** API sources: pages read (each one activity on the provider's queue) */
  pages?: number;
  /** API sources: units deleted by the sweeps of full listings (gone at the source) */
  swept?: number;
  /** API sources: the source is paused (credentials refused, …) and was not read; resume it with `myc sources resume` */
  paused?: { reason: string };
  /** API sources: streams whose page failed after its bounded retries in the latest pass (the next pass retries them) */
  failed?: { stream: string; error: string }[];
}

/** the workflow's signature, for typed starts by name */
export type SyncSource = (input: SyncInput) => Promise<SyncResult>;

export const progressQuery = defineQuery<SyncProgress>('progress');
/** asks for a sync; a burst of them becomes one pass (debounced), one arriving during a pass causes one more */
export const requestSyncSignal = defineSignal<[SyncRequest]>('requestSync');
