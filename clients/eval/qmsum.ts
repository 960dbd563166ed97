/**
 * Reads the QMSum split (meeting JSON files) and the gold evidence of the same queries
 * (QMSum_SummaryEvidence, same file names). See shared/eval/README.md.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { GoldQuery } from './metrics';

export interface QmsumTurn {
  speaker: string;
  content: string;
}

export interface QmsumQuery extends GoldQuery {
  query: string;
}

export interface QmsumMeeting {
  /** the file name without .json, e.g. "ES2006a" */
  name: string;
  turns: QmsumTurn[];
  /** the specific queries, with their gold spans and CES turns */
  queries: QmsumQuery[];
}

const MeetingFile = z.object({
  meeting_transcripts: z.array(z.object({ speaker: z.string(), content: z.string() })),
  specific_query_list: z.array(
    z.object({
      query: z.string(),
      relevant_text_span: z.array(z.tuple([z.coerce.number().int(), z.coerce.number().int()])),
    }),
  ),
});

const EvidenceFile = z.object({
  qmsum: z.object({
    specific_query_list: z.array(
      z.object({
        query: z.string(),
        evidence: z.array(z.array(z.object({ type: z.string(), turn_index: z.number().int() }))),
      }),
    ),
  }),
});

export function parseMeeting(name: string, meetingJson: unknown, evidenceJson: unknown): QmsumMeeting {
  const m = MeetingFile.parse(meetingJson);
  const e = EvidenceFile.parse(evidenceJson);
  const evidence = e.qmsum.specific_query_list;
  if (evidence.length !== m.specific_query_list.length) {
    throw new Error(`${name}: ${m.specific_query_list.length} specific queries but ${evidence.length} in the evidence file`);
  }
  const queries = m.specific_query_list.map((q, i): QmsumQuery => {
    const ev = evidence[i];
    if (!ev || ev.query.trim() !== q.query.trim()) throw new Error(`${name}: query ${i} differs between the two files`);
    const ces = new Set(ev.evidence.flat().filter((x) => x.type === 'CES').map((x) => x.turn_index));
    return { query: q.query, spans: q.relevant_text_span.map(([a, b]) => [a, b] as const), ces };
  });
  return { name, turns: m.meeting_transcripts, queries };
}

/** Every meeting of the split, by file name. */
export async function loadQmsum(dataDir: string, evidenceDir: string): Promise<QmsumMeeting[]> {
  const files = (await readdir(dataDir)).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no .json meeting files in ${dataDir}`);
  const meetings: QmsumMeeting[] = [];
  for (const file of files) {
    const [meeting, evidence] = await Promise.all([
      readFile(path.join(dataDir, file), 'utf8').then(JSON.parse),
      readFile(path.join(evidenceDir, file), 'utf8').then(JSON.parse, (error: unknown) => {
        throw new Error(`no evidence file for ${file} in ${evidenceDir}: ${(error as Error).message}`);
      }),
    ]);
    meetings.push(parseMeeting(file.replace(/\.json$/, ''), meeting, evidence));
  }
  return meetings;
}

/**
 * The two halves parameters are chosen on and checked against: meetings sorted by name,
 * alternately to "tune" and "holdout", so both halves mix the AMI, ICSI and parliament meetings.
 */
export function splitHalves<T extends { name: string }>(meetings: readonly T[]): { tune: T[]; holdout: T[] } {
  const sorted = [...meetings].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tune: sorted.filter((_, i) => i % 2 === 0), holdout: sorted.filter((_, i) => i % 2 === 1) };
}
