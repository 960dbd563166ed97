/**
 * The QMSum evaluation: meetings → files → ingest (in-memory PGlite, the normal files path) →
 * extraction into the decision log (the configured extractor, `local` by default) → every
 * specific query asked through the `ask` operation of `myc ask --meeting`, scoped to its
 * meeting → cited turns → metrics, next to the BM25-over-single-turns baseline computed in the
 * same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { pino } from 'pino';
import os from 'node:os';
import path from 'node:path';
import { createEmbedder, embedderConfigFromEnv } from '../../activities/intelligence/embeddings/select';
import { extractItems } from '../../activities/extraction';
import { createExtractor, extractorConfigFromEnv } from '../../activities/intelligence/extraction';
import { DecisionStore } from '../../activities/memory/decisions';
import { openDb } from '../../activities/memory/db';
import { migrate } from '../../activities/memory/migrate';
import type { Db, Embedder } from '../../activities/memory/ports';
import { MemoryStore } from '../../activities/memory/store';
import { chooseVectorIndex } from '../../activities/memory/vector-index';
import { ask } from '../memory-operations';
import { Bm25TurnBaseline } from './baseline';
import { citedTurns, ingestFolder, meetingIdOf, peopleOf, transcriptPathOf, turnsBySegment, writeMeetingFiles, writtenTurnsOf } from './files';
import { computeMetrics, type Metrics } from './metrics';
import { splitHalves, type QmsumMeeting } from './qmsum';
import { decisionJudge } from '../../activities/intelligence/decision-match';

export const SOURCE_ID = 'qmsum-files';

export interface PreparedMeeting {
  meeting: QmsumMeeting;
  itemId: string;
  /** a person who attended (may see the transcript) */
  asPerson: string;
  bySegment: Map<number, number[]>;
}

export interface Prepared {
  store: MemoryStore;
  decisions: DecisionStore;
  db: Db;
  meetings: PreparedMeeting[];
  /** files written and ingested */
  ingestMs: number;
  /** decisions, action items and questions extracted into the log */
  extractMs: number;
  close(): Promise<void>;
}

const quiet = pino({ level: 'silent' });

/**
 * Writes the meetings as files in a temp folder, ingests them into a fresh in-memory store and
 * extracts their decision log, as a sync does.
 */
export async function prepare(meetings: readonly QmsumMeeting[], opts: { embedder?: Embedder } = {}): Promise<Prepared> {
  // The configured embedder, as a user's service would run (MYCELIUM_EMBEDDER, default the local encoder).
  const embedder = opts.embedder ?? (await createEmbedder(embedderConfigFromEnv(process.env), { log: quiet })).embedder;
  const t0 = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'myc-eval-qmsum-'));
  const db = await openDb({});
  try {
    await migrate(db);
    const vectors = await chooseVectorIndex(db, embedder.dimensions, quiet, { model: embedder.model });
    const store = new MemoryStore({ db, vectors, embedder });
    await writeMeetingFiles(dir, meetings);
    const { items } = await ingestFolder(store, dir, SOURCE_ID);
    const { emailOf } = peopleOf(meetings);
    const prepared = meetings.map((meeting): PreparedMeeting => {
      const item = items.find((i) => i.externalId === transcriptPathOf(meeting));
      if (!item) throw new Error(`${meeting.name}: no transcript item was ingested`);
      const first = meeting.turns.find((t) => t.content.trim());
      if (!first) throw new Error(`${meeting.name}: no turn with text`);
      return { meeting, itemId: item.id, asPerson: emailOf(first.speaker), bySegment: turnsBySegment(item.segments, writtenTurnsOf(meeting)) };
    });
    const ingestMs = performance.now() - t0;
    const decisions = new DecisionStore({ db, judge: decisionJudge });
    const extractor = createExtractor(extractorConfigFromEnv(process.env), { log: quiet });
    await extractItems({ store, decisions, extractor }, items);
    return {
      store,
      decisions,
      db,
      meetings: prepared,
      ingestMs,
      extractMs: performance.now() - t0 - ingestMs,
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  } finally {
    // the files were only the way in: the store holds everything now
    await rm(dir, { recursive: true, force: true });
  }
}

export interface QueryResult {
  meeting: string;
  query: string;
  cited_turns: number[];
  baseline_turns: number[];
}

/** Asks every specific query of the prepared meetings (at most `limit` in all), with the baseline beside. */
export async function askAll(
  prepared: Prepared,
  k: number,
  opts: { limit?: number; vectorWeight?: number } = {},
): Promise<{ results: QueryResult[]; askMs: number }> {
  const results: QueryResult[] = [];
  let askMs = 0;
  for (const pm of prepared.meetings) {
    const baseline = new Bm25TurnBaseline(pm.meeting.turns.map((t) => t.content));
    for (const q of pm.meeting.queries) {
      if (opts.limit !== undefined && results.length >= opts.limit) return { results, askMs };
      const t0 = performance.now();
      const a = await ask(
        prepared,
        { question: q.query, as: pm.asPerson, meeting: meetingIdOf(pm.meeting), k },
        opts.vectorWeight === undefined ? {} : { vectorWeight: opts.vectorWeight },
      );
      askMs += performance.now() - t0;
      results.push({
        meeting: pm.meeting.name,
        query: q.query,
        cited_turns: citedTurns(a.citations.filter((c) => c.itemId === pm.itemId), pm.bySegment, k),
        baseline_turns: baseline.rank(q.query, k),
      });
    }
  }
  return { results, askMs };
}

export interface Scores {
  ours: Metrics;
  baseline: Metrics;
}

/** Metrics of the results over the given meetings (all when omitted). */
export function score(results: readonly QueryResult[], meetings: readonly QmsumMeeting[], k: number, only?: ReadonlySet<string>): Scores {
  const gold = new Map(meetings.map((m) => [m.name, new Map(m.queries.map((q) => [q.query, q]))]));
  const picked = results.filter((r) => !only || only.has(r.meeting));
  const golds = picked.map((r) => {
    const g = gold.get(r.meeting)?.get(r.query);
    if (!g) throw new Error(`no gold for ${r.meeting}: ${r.query}`);
    return g;
  });
  return {
    ours: computeMetrics(picked.map((r) => r.cited_turns), golds, k),
    baseline: computeMetrics(picked.map((r) => r.baseline_turns), golds, k),
  };
}

/**
 * Scores for all meetings and for the tune / holdout halves; the halves are those of `split`
 * (the whole split, when only some of its meetings were run).
 */
export function scoreHalves(
  results: readonly QueryResult[],
  meetings: readonly QmsumMeeting[],
  k: number,
  split: readonly QmsumMeeting[] = meetings,
): { all: Scores; tune: Scores; holdout: Scores } {
  const { tune, holdout } = splitHalves(split);
  return {
    all: score(results, meetings, k),
    tune: score(results, meetings, k, new Set(tune.map((m) => m.name))),
    holdout: score(results, meetings, k, new Set(holdout.map((m) => m.name))),
  };
}
