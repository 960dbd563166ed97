/** What every Google stream reader gets, and the unit builder they share. */
import type { ParsedUnit } from '../../../schemas/entities';
import type { UnitContent } from '../files/common';
import { finishUnit } from '../files/common';
import { stableHash } from '../files/ids';
import type { FilesContext } from '../files/types';
import type { ConnectorContext, UnitHeldBack } from '../port';
import type { GoogleApis } from './apis';
import type { GoogleSourceConfig } from './config';
import type { OrgDirectory } from './org';

/** Bumped when the connector's output for unchanged input changes; part of every fileHash. */
export const GOOGLE_CONNECTOR_VERSION = 'google/1';

/** Provider requests in flight at once inside one page (thread and file fetches). */
export const FETCH_CONCURRENCY = 8;

export interface GoogleReadContext {
  apis: GoogleApis;
  config: GoogleSourceConfig;
  ctx: ConnectorContext;
  /** the Admin directory's users and groups, fetched when a Drive permission needs them */
  org: OrgDirectory;
  /** Drive folder id → name, for finding Meet's "Meet Recordings" folders (lives as long as the connector) */
  folderNames: Map<string, Promise<string | undefined>>;
  /** whose content this page held back, per object: returned with the page for the pipeline to record */
  heldBack: UnitHeldBack[];
}

/**
 * A unit of one provider object. Its fileHash covers its content and who is opted in (the directory's fingerprint):
 * an API object has no bytes of its own to hash, and the same object read twice gives the same hash.
 */
export function googleUnit(rc: GoogleReadContext, path: string, content: UnitContent): ParsedUnit {
  const people = content.people ?? [];
  const items = content.items ?? [];
  const meetings = content.meetings ?? [];
  const fileHash = stableHash({ connector: GOOGLE_CONNECTOR_VERSION, directory: rc.ctx.directory.fingerprint, people, items, meetings });
  return finishUnit(path, { path, fileHash, people, items, meetings });
}

/**
 * Notes who was held back from an object: returned with the page (rc.heldBack), which the pipeline records so
 * `myc people` shows it; the log gets counts only (never content, and identities stay out of logs).
 */
export function logHeldBack(rc: GoogleReadContext, path: string, heldBack: UnitContent['heldBack']): void {
  const authors = (heldBack ?? []).filter((a) => a.items > 0);
  const items = authors.reduce((n, a) => n + a.items, 0);
  if (items === 0) return;
  rc.heldBack.push({ path, authors });
  rc.ctx.log.debug({ sourceId: rc.ctx.sourceId, path, heldBackAuthors: authors.length, heldBackItems: items }, 'content held back (outside the opt-in)');
}

/** The files connector's context, for reusing its format parsers (eml, vtt) on what the APIs return. */
export function filesContextOf(rc: GoogleReadContext): FilesContext {
  return {
    sourceId: rc.ctx.sourceId,
    root: '.',
    timeShiftMs: 0,
    maxFileBytes: MAX_OBJECT_BYTES,
    directory: rc.ctx.directory,
    now: rc.ctx.now,
    horizonDays: rc.config.horizonDays,
  };
}

/** a message body or exported doc larger than this is cut (with a note in meta), never refused whole */
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024;
