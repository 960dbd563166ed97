/**
 * The operation registry: what Mycelium can be asked to do, with validated inputs and typed outputs.
 * The CLI maps commands onto these; the HTTP API and the MCP server will map onto the same ones.
 */
import { basename, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { Brief, Meeting } from '../schemas/entities';
import { PersonId } from '../schemas/entities';
import { meetingWorkflowId, syncWorkflowId } from '../workflows/ids';
import { awaitBriefUpdate } from '../workflows/meeting-defs';
import { SourceIdAttribute } from '../workflows/search-attributes';
import { signalMeetingWorkflow } from '../activities/meeting-requests';
import { progressQuery, SYNC_WORKFLOW_TYPE, type SyncProgress, type SyncResult, type SyncSource } from '../workflows/sync-defs';
import type { Stack } from './runtime';

import { NotFoundError, UserError } from './registry/errors';

export { UserError } from './registry/errors';
import { ingestOperation } from './registry/ops/ingest';
import { meetingsOperation } from './registry/ops/meetings';
import { SearchRequest } from './registry/ops/memory';
import { workflowResult } from './client/temporal';

// The registry's input schemas, so that a direct call (demo, eval, tests) validates as every surface does;
// a direct call names its reader itself (`as`), where a surface takes it from the token.
export const IngestInput = ingestOperation.input;

export interface IngestOutput {
  sourceId: string;
  workflowId: string;
  runId: string;
  result: SyncResult;
}

export async function ingest(
  stack: Stack,
  rawInput: z.input<typeof IngestInput>,
  onProgress?: (progress: SyncProgress) => void,
): Promise<IngestOutput> {
  const input = parse(IngestInput, rawInput);
  const root = resolve(input.folder);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new UserError(`ingest: ${input.folder} is not a folder`);
  const sourceId = input.sourceId ?? `files-${basename(root).replace(/[^\w.-]/g, '-')}`;
  await stack.store.upsertSource({ id: sourceId, kind: 'files', config: { root, timeShiftMs: input.timeShiftMs } });

  const workflowId = syncWorkflowId(sourceId);
  const handle = await stack.client.workflow.start<SyncSource>(SYNC_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: stack.taskQueue,
    args: [{ sourceId, immediate: true }],
    // a sync already running for this source is the sync we want: attach to it
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: SourceIdAttribute, value: sourceId }],
  });
  const poll = onProgress ? pollProgress(handle, onProgress) : undefined;
  try {
    const result = await workflowResult(handle);
    onProgress?.({ phase: 'done', total: result.files, done: result.files });
    return { sourceId, workflowId, runId: handle.firstExecutionRunId, result };
  } finally {
    poll?.stop();
  }
}

function pollProgress(
  handle: { query: (q: typeof progressQuery) => Promise<SyncProgress> },
  onProgress: (p: SyncProgress) => void,
): { stop(): void } {
  let stopped = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      const progress = await handle.query(progressQuery).catch(() => undefined);
      if (progress && !stopped) onProgress(progress);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  void tick();
  return { stop: () => void (stopped = true) };
}

export const MeetingsInput = meetingsOperation.input;

export async function meetings(stack: Stack, rawInput: z.input<typeof MeetingsInput>): Promise<Meeting[]> {
  const input = parse(MeetingsInput, rawInput);
  const from = input.from ?? new Date();
  const found = await stack.store.listMeetings({ from });
  return found.filter((m) => input.includeCancelled || m.status !== 'cancelled').slice(0, input.limit);
}

export const BriefInput = z.object({
  meetingId: z.string().min(1),
  /** how long to wait for the brief to be prepared */
  timeoutMs: z.number().int().positive().default(120_000),
});

export interface BriefOutput {
  meeting: Meeting;
  brief: Brief;
  workflowId: string;
  runId: string;
  uiLink?: string;
}

/**
 * Ensures the meeting's workflow exists, asks it to prepare the brief now (whatever the lead time),
 * waits for the delivery, and returns the persisted brief.
 */
export async function brief(stack: Stack, rawInput: z.input<typeof BriefInput>): Promise<BriefOutput> {
  const input = parse(BriefInput, rawInput);
  const meeting = await stack.store.getMeeting(input.meetingId);
  if (!meeting) throw new NotFoundError(`brief: no meeting "${input.meetingId}" (list them with \`myc meetings\`)`);
  if (meeting.status === 'cancelled') throw new UserError(`brief: meeting "${meeting.title}" is cancelled`);
  const workflowId = meetingWorkflowId(meeting.id);
  const handle = await signalMeetingWorkflow(stack.client, {
    meetingId: meeting.id,
    startsAt: meeting.startsAt,
    attendeeIds: meeting.attendeeIds,
    taskQueue: stack.taskQueue,
    signal: 'prepareNow',
  });
  const status = await withTimeout(
    handle.executeUpdate(awaitBriefUpdate),
    input.timeoutMs,
    `brief: no brief for "${meeting.title}" after ${input.timeoutMs / 1000}s — is a worker running (\`myc dev\`)?`,
  );
  if (status.phase === 'cancelled' || !status.briefId) throw new UserError(`brief: meeting "${meeting.title}" was cancelled`);
  const stored = await stack.store.getBrief(status.briefId);
  if (!stored) throw new Error(`brief ${status.briefId} was delivered but is not in the store`);
  return {
    meeting,
    brief: stored,
    workflowId,
    runId: stored.runId,
    uiLink: stack.uiLink(workflowId, stored.runId),
  };
}

export const SearchInput = SearchRequest.extend({ as: PersonId });

export interface SearchResult {
  itemId: string;
  position: number;
  score: number;
  kind: string;
  title?: string;
  author: string | null;
  occurredAt: Date;
  locator: string;
  text: string;
}

/** Hybrid search on behalf of one person: only what they may see. */
export async function search(stack: Stack, rawInput: z.input<typeof SearchInput>): Promise<SearchResult[]> {
  const input = parse(SearchInput, rawInput);
  const asker = await stack.store.getPerson(input.as);
  if (!asker) throw new UserError(`search: ${input.as} is not in the directory`);
  if (!asker.optedIn) throw new UserError(`search: ${input.as} has not opted in`);
  const hits = await stack.store.searchHybrid(input.query, { visibleTo: [asker.id] }, input.limit);
  const items = new Map((await stack.store.getItems([...new Set(hits.map((h) => h.itemId))])).map((i) => [i.id, i]));
  const authors = new Map(
    (await stack.store.peopleByIds([...items.values()].flatMap((i) => (i.authorId ? [i.authorId] : [])))).map((p) => [p.id, p.name]),
  );
  return hits.flatMap((hit) => {
    const item = items.get(hit.itemId);
    if (!item) return [];
    const segment = item.segments.find((s) => s.position === hit.position);
    const authorId = segment?.speakerId ?? item.authorId;
    return [
      {
        itemId: item.id,
        position: hit.position,
        score: hit.score,
        kind: item.kind,
        title: item.title,
        author: authorId ? (authors.get(authorId) ?? authorId) : null,
        occurredAt: item.occurredAt,
        locator: item.locator,
        text: segment?.text ?? item.body,
      },
    ];
  });
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new UserError(z.prettifyError(result.error).replace(/\n/g, '; '));
  return result.data;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
