/**
 * How results show to a person when `--json` is not given: the operations people read every day
 * have a layout of their own; any other operation prints as a simple table (a list of flat records)
 * or as indented JSON.
 */
import { describeHeldBack, type HeldBackLike } from '../registry/ops/people-text';
import type { AnyOperation } from '../registry/operation';
import type { AskOutput, DecisionLogEntry } from '../memory-operations';
import type { BriefOutput, SearchResult } from '../operations';
import type { Meeting } from '../../schemas/entities';
import { printAnswer, printBrief, printDecisions, printJson, printMeetings, printSearch } from './print';
import { printMe, printWhy } from './print-me';
import { printNotify } from './print-notify';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

interface IngestShown {
  sourceId: string;
  uiLink?: string;
  result: {
    files: number;
    inserted: number;
    updated: number;
    unchanged: number;
    removed: number;
    meetingsEnsured: number;
    quarantined: { path: string; reason: string }[];
    heldBack?: HeldBackLike;
  };
}

function printIngest(shown: IngestShown): void {
  const r = shown.result;
  out(
    `${shown.sourceId}: ${r.files} files — ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.removed} removed items; ${r.meetingsEnsured} upcoming meetings watched`,
  );
  for (const q of r.quarantined) out(`quarantined ${q.path}: ${q.reason}`);
  for (const line of describeHeldBack(r.heldBack)) out(line);
  if (shown.uiLink) out(`workflow: ${shown.uiLink}`);
}

interface SourceShown {
  id: string;
  kind: string;
  status: 'active' | 'paused';
  pausedReason: string | null;
  pausedAt: Date | null;
  ownerId: string | null;
  lastSyncAt: Date | null;
  quarantined: number;
  cursor: unknown;
  streams: { stream: string; cursor: unknown; fullPass: boolean; updatedAt: Date }[];
}

/** A source per line, then its streams' cursors (API sources), so a paused one and where each stream stands show at once. */
function printSources(sources: SourceShown[]): void {
  if (sources.length === 0) return out('(none)');
  for (const s of sources) {
    const status = s.status === 'paused' ? `PAUSED since ${s.pausedAt?.toISOString() ?? '?'}: ${s.pausedReason ?? ''}` : 'active';
    const synced = s.lastSyncAt ? `last sync ${s.lastSyncAt.toISOString()}` : 'never synced';
    out(`${s.id}  ${s.kind}  ${status}  owner ${s.ownerId ?? '-'}  ${synced}${s.quarantined ? `  ${s.quarantined} quarantined` : ''}`);
    if (s.status === 'paused') out(`  resume with: myc sources resume ${s.id}`);
    for (const stream of s.streams) out(`  ${stream.stream}${stream.fullPass ? ' (full listing)' : ''}  ${JSON.stringify(stream.cursor)}`);
  }
}

/** Layouts by operation name; each gets the output parsed by the operation's schema (dates as Dates). */
const layouts: Record<string, (value: never) => void> = {
  ingest: printIngest,
  sources_list: printSources,
  meetings: (value: Meeting[]) => printMeetings(value),
  brief_prepare: (value: BriefOutput) => printBrief(value),
  brief_show: (value: BriefOutput) => printBrief(value),
  search: (value: SearchResult[]) => printSearch(value),
  decisions_list: (value: DecisionLogEntry[]) => printDecisions(value),
  ask: (value: AskOutput) => printAnswer(value),
  me_show: printMe,
  why: printWhy,
  notify: printNotify,
};

export function hasLayout(op: AnyOperation): boolean {
  return op.name in layouts;
}

export function printResult(op: AnyOperation, json: unknown, asJson: boolean): void {
  if (asJson) return printJson(json);
  const layout = layouts[op.name];
  if (layout) return layout(op.output.parse(json) as never);
  printGeneric(json);
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function printGeneric(value: unknown): void {
  if (Array.isArray(value)) {
    if (value.length === 0) return out('(none)');
    const rows = value as Record<string, unknown>[];
    if (rows.every((r) => typeof r === 'object' && r !== null)) return printTable(rows);
  } else if (typeof value === 'object' && value !== null && Object.values(value).every(isScalar)) {
    const entries = Object.entries(value);
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) out(`${k.padEnd(width)}  ${v === null ? '' : String(v)}`);
    return;
  }
  printJson(value);
}

/** Columns: the scalar fields of the records (nested values are left to --json). */
function printTable(rows: Record<string, unknown>[]): void {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => isScalar(r[k]))))];
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : String(v).replace(/\s+/g, ' ').slice(0, 80));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]): void => out(cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  line(columns);
  for (const r of rows) line(columns.map((c) => cell(r[c])));
}
