/**
 * The read-side port every API connector (Google Workspace, Microsoft 365, Slack) implements, so one sync pipeline
 * drives them all. A connector is a set of streams (Google: `calendar:<calendarId>`, `gmail:<mailbox>`, `drive`,
 * `directory`; Slack: `channels`, `users`; …), each read page by page from its own cursor. A page is normalized into
 * the same `ParsedUnit`s the files connector produces: one unit per provider object that changes as a whole (a mail
 * thread, a calendar event with its exceptions, a Drive doc, a Slack message with its thread replies), keyed by a
 * stable path `<stream>/<object id>`, so re-reading an object replaces exactly what it produced before.
 *
 * The pipeline (activities/connector-sync.ts) owns everything around this: it reads the stream's stored cursor,
 * calls `readPage`, stores every unit (idempotent upserts), removes the deleted ones, and only then commits the
 * page's cursor — so a crash mid-page re-reads the same page, and nothing is lost or stored twice. A connector never
 * touches the store, never retries on its own (Temporal does: provider errors go through `providerFailure`), and
 * never sees a secret other than through `credentials`.
 */
import type { Logger } from 'pino';
import type { ParsedUnit } from '../../schemas/entities';
import type { Directory, HeldBackAuthor } from './files/types';

export type ConnectorProvider = 'google' | 'microsoft' | 'slack';

/** JSON-safe cursor state of one stream (sync token, history id, delta link, page token, Slack `oldest` per channel…) */
export type StreamCursor = { [key: string]: unknown };

export interface ConnectorContext {
  sourceId: string;
  /** who is who: provider identities (email, slack id, …) to person ids, with the opt-in (`optedIn`) */
  directory: Directory;
  now: Date;
  log: Logger;
  /** call between provider requests: a worker that died mid-page is noticed within the heartbeat timeout */
  heartbeat(detail?: unknown): void;
}

export interface StreamPage {
  /** the units of this page, each stored all or nothing; `path` = `<stream>/<object id>` */
  units: ParsedUnit[];
  /** paths of units deleted at the source (incremental delete events) */
  deleted: string[];
  /** the stream's cursor once this page is stored; committed by the pipeline after the units */
  cursor: StreamCursor;
  /** another page follows in this pass */
  more: boolean;
  /**
   * this page belongs to a full listing (the first sync, or an incremental token the provider expired: Google 410,
   * a Graph delta reset): when the pass ends with `more: false`, every stored unit of the stream that the pass did
   * not list is deleted (mark and sweep)
   */
  full: boolean;
  /**
   * whose content this page left out (people outside the opt-in: identity and counts, never content), per object:
   * `path` is the unit path the object has (or would have, when nothing of it was kept). The pipeline records it
   * with the page, so `myc people` shows who was held back, as it does for files.
   */
  heldBack?: UnitHeldBack[];
}

/** What one provider object held back. */
export interface UnitHeldBack {
  path: string;
  authors: HeldBackAuthor[];
}

export interface Connector {
  readonly provider: ConnectorProvider;
  /** the streams this source reads, from its configuration (stable order) */
  streams(): string[];
  /** reads the next page of `stream` after `cursor` (null: never synced) */
  readPage(stream: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage>;
}

/** The unit path of a provider object in a stream. */
export function unitPath(stream: string, objectId: string): string {
  return `${stream}/${objectId}`;
}
