/**
 * The FILES connector (the embedded default source): a folder of team data.
 *
 *   people.json                         the directory and opt-in (always listed first)
 *   *.ics                               calendars → meetings + `event` items
 *   *.vtt                               transcripts → one `transcript` item
 *   *.eml                               email → one `email` item
 *   <export>/<channel>/<YYYY-MM-DD>.json  Slack export day files → `message` items
 *                                       (<export> holds channels.json/groups.json and users.json)
 *
 * A unit parses whole or throws QuarantineError; nothing of a person outside the opt-in is emitted,
 * but who was left out (identity and a count, never content) is: `heldBack`.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ParsedUnit } from '../../../schemas/entities';
import type { UnitContent } from './common';
import { finishUnit } from './common';
import { parseEml } from './eml';
import { expansionWindow, parseIcs } from './ics';
import { sha256, stableHash } from './ids';
import { parsePeople } from './people';
import { decodeUtf8, readBounded, resolveInside } from './read';
import type { SlackContextFile } from './slack';
import { parseSlackDay, SLACK_CONTEXT_FILES, SLACK_DAY_FILE, SLACK_MARKERS } from './slack';
import type { FilesContext, HeldBackAuthor, ListResult, UnitFormat } from './types';
import { QuarantineError } from './types';
import { parseVtt } from './vtt';

export { directoryFrom, normalizeName } from './directory';
export { itemIdFor, stableHash } from './ids';
export { calendarIdFor, expansionWindow, PAST_WINDOW_DAYS, slugify } from './ics';
export { transcriptLocator } from './vtt';
export { slackTsToDate } from './slack';
export { stripQuoted } from './eml';
export { formatBytes } from './read';
export type { Directory, FilesContext, HeldBackAuthor, ListedUnit, ListResult, UnitFormat } from './types';
export { attendeeEmailFor } from './vtt';
export { QuarantineError } from './types';

/** Bumped when the connector's output for unchanged input changes; part of every fileHash. */
export const FILES_CONNECTOR_VERSION = 'files/2';

/**
 * A parsed unit and whose content it held back. The report is kept apart from the unit: the unit is what
 * may be stored, the report is identity only and goes to the people-seen record and the sync summary.
 */
export interface ReportedUnit {
  unit: ParsedUnit;
  heldBack: HeldBackAuthor[];
}

const isHidden = (name: string): boolean => name.startsWith('.');

/** What a relative path is to this connector, given which folders are Slack exports. */
export function classify(relPath: string, slackRoots: ReadonlySet<string>): UnitFormat | 'slack-context' | undefined {
  const base = path.posix.basename(relPath);
  const dir = path.posix.dirname(relPath);
  const lower = base.toLowerCase();
  if (base === 'people.json') return 'people';
  if (lower.endsWith('.ics')) return 'ics';
  if (lower.endsWith('.vtt')) return 'vtt';
  if (lower.endsWith('.eml')) return 'eml';
  if (slackRoots.has(dir) && (SLACK_CONTEXT_FILES as readonly string[]).includes(base)) return 'slack-context';
  if (SLACK_DAY_FILE.test(base) && dir !== '.' && slackRoots.has(path.posix.dirname(dir))) return 'slack-day';
  return undefined;
}

async function walk(root: string): Promise<{ files: { path: string; size: number }[]; others: string[] }> {
  const files: { path: string; size: number }[] = [];
  const others: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(rel ? path.join(root, ...rel.split('/')) : root, { withFileTypes: true });
    for (const entry of entries) {
      if (isHidden(entry.name)) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(childRel);
      else if (entry.isFile()) files.push({ path: childRel, size: (await lstat(path.join(root, ...childRel.split('/')))).size });
      else others.push(childRel); // symlinks, sockets, ...: never followed
    }
  };
  await visit('');
  return { files, others };
}

/** Posix dirname, '.' for the root. */
const dirOf = (p: string): string => path.posix.dirname(p);

function slackRootsOf(paths: readonly string[]): Set<string> {
  return new Set(paths.filter((p) => (SLACK_MARKERS as readonly string[]).includes(path.posix.basename(p))).map(dirOf));
}

const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every unit under `root` (people.json first, then by path) and the files it does not understand. */
export async function listUnits(root: string): Promise<ListResult> {
  const { files, others } = await walk(path.resolve(root));
  const slackRoots = slackRootsOf(files.map((f) => f.path));
  const units: ListResult['units'] = [];
  const ignored: string[] = [...others];
  for (const file of files) {
    const kind = classify(file.path, slackRoots);
    if (kind === 'slack-context') continue;
    if (kind === undefined) ignored.push(file.path);
    else units.push(file);
  }
  const isPeople = (p: string): number => (path.posix.basename(p) === 'people.json' ? 0 : 1);
  units.sort((a, b) => isPeople(a.path) - isPeople(b.path) || byPath(a.path, b.path));
  ignored.sort(byPath);
  return { units, ignored };
}

/** The Slack export root of a day file and its context files, read under the same limits. */
async function readSlackContext(ctx: FilesContext, relPath: string): Promise<{ users?: SlackContextFile; channels: SlackContextFile[] }> {
  const exportRoot = dirOf(dirOf(relPath));
  const rel = (name: string): string => (exportRoot === '.' ? name : `${exportRoot}/${name}`);
  const read = async (name: string): Promise<SlackContextFile | undefined> => {
    const p = rel(name);
    const abs = resolveInside(ctx.root, p);
    const exists = await lstat(abs).then(() => true, () => false);
    if (!exists) return undefined;
    const buf = await readBounded(abs, relPath, ctx.maxFileBytes, p);
    return { path: p, text: decodeUtf8(buf, relPath, p) };
  };
  const users = await read('users.json');
  const channels = (await Promise.all(SLACK_MARKERS.map(read))).filter((f): f is SlackContextFile => f !== undefined);
  if (channels.length === 0) throw new QuarantineError(relPath, `no ${SLACK_MARKERS.join(' or ')} in the Slack export folder "${exportRoot}"`);
  return { users, channels };
}

/** Whether the folders that make `relPath` a Slack day file exist (parseUnit is called without a listing). */
async function slackRootsFor(ctx: FilesContext, relPath: string): Promise<Set<string>> {
  const candidate = dirOf(dirOf(relPath));
  const roots = new Set<string>();
  for (const marker of SLACK_MARKERS) {
    const p = candidate === '.' ? marker : `${candidate}/${marker}`;
    if (await lstat(resolveInside(ctx.root, p)).then((s) => s.isFile(), () => false)) roots.add(candidate);
  }
  return roots;
}

/**
 * Parses one unit. The fileHash covers everything the output depends on: the file's bytes,
 * the Slack context files, the directory (who is opted in), the time shift and, for calendars,
 * the (day-granular) expansion window. Throws QuarantineError for bad input.
 */
export async function parseUnit(ctx: FilesContext, relPath: string): Promise<ParsedUnit> {
  return (await parseReportedUnit(ctx, relPath)).unit;
}

/** parseUnit, with who was held back. */
export async function parseReportedUnit(ctx: FilesContext, relPath: string): Promise<ReportedUnit> {
  const abs = resolveInside(ctx.root, relPath);
  if (relPath.split('/').some(isHidden)) throw new QuarantineError(relPath, 'hidden files are not units');
  const format = classify(relPath, await slackRootsFor(ctx, relPath));
  if (format === undefined || format === 'slack-context') throw new QuarantineError(relPath, 'not a file this connector understands');

  const raw = await readBounded(abs, relPath, ctx.maxFileBytes);
  const hashInput: Record<string, unknown> = { connector: FILES_CONNECTOR_VERSION, format, file: sha256(raw) };
  if (format !== 'people') {
    hashInput.directory = ctx.directory.fingerprint;
    hashInput.timeShiftMs = ctx.timeShiftMs;
  }

  let content: UnitContent;
  switch (format) {
    case 'people':
      content = parsePeople(relPath, decodeUtf8(raw, relPath));
      break;
    case 'ics': {
      const window = expansionWindow(ctx.now, ctx.horizonDays);
      hashInput.window = [window.from.toISOString(), window.to.toISOString()];
      content = await parseIcs(ctx, relPath, decodeUtf8(raw, relPath));
      break;
    }
    case 'vtt':
      content = parseVtt(ctx, relPath, decodeUtf8(raw, relPath));
      break;
    case 'eml':
      content = await parseEml(ctx, relPath, raw);
      break;
    case 'slack-day': {
      const context = await readSlackContext(ctx, relPath);
      hashInput.context = [context.users, ...context.channels]
        .filter((f): f is SlackContextFile => f !== undefined)
        .map((f) => ({ path: f.path, sha256: sha256(f.text) }));
      content = parseSlackDay(ctx, relPath, decodeUtf8(raw, relPath), context);
      break;
    }
  }
  const unit = finishUnit(relPath, {
    path: relPath,
    fileHash: stableHash(hashInput),
    people: content.people ?? [],
    items: content.items ?? [],
    meetings: content.meetings ?? [],
  });
  return { unit, heldBack: content.heldBack ?? [] };
}
