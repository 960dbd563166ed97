/**
 * Shared types of the FILES connector: its context, the people directory it resolves
 * identities through, and the error every refused unit is reported with.
 */
import type { Person } from '../../../schemas/entities';

/** Looks people up by the identities the formats carry. Returns opted-out people too: callers check `optedIn`. */
export interface Directory {
  /** case-insensitive; the person's id or an `email` identity */
  byEmail(email: string): Person | undefined;
  /** a `slack` identity (people.json `slackId`) */
  bySlackId(id: string): Person | undefined;
  /** case- and whitespace-insensitive display name; undefined when unknown or ambiguous */
  byName(displayName: string): Person | undefined;
  /** sha256 over the directory's content: part of every non-people unit's fileHash */
  readonly fingerprint: string;
  /** number of people */
  readonly size: number;
}

export interface FilesContext {
  sourceId: string;
  /** absolute (or cwd-relative) folder the relative unit paths are resolved against */
  root: string;
  /** added to every timestamp the connector emits (occurredAt, startsAt/endsAt) */
  timeShiftMs: number;
  /** units larger than this are quarantined without being read */
  maxFileBytes: number;
  directory: Directory;
  /** the expansion window of recurring events is computed from this */
  now: Date;
  /** recurring events are expanded up to this many days after `now` (and 90 days before) */
  horizonDays: number;
}

export type UnitFormat = 'people' | 'ics' | 'vtt' | 'eml' | 'slack-day';

/**
 * Someone whose content a unit did not emit because they are not in the directory or not opted in:
 * identity only (never their words), so the product can say why nothing was stored and offer the way in.
 */
export interface HeldBackAuthor {
  /** lower-cased email; absent when the data names them only (a transcript speaker no attendee matches) */
  id?: string;
  /** the display name as the data shows it */
  name?: string;
  /** pieces of content held back: an email, a message, a transcript turn */
  items: number;
}

export interface ListedUnit {
  /** relative to the root, posix separators */
  path: string;
  size: number;
}

export interface ListResult {
  /** every file the connector understands; people.json files first, then by path */
  units: ListedUnit[];
  /** relative paths of files it does not understand (dotfiles and Slack context files excluded) */
  ignored: string[];
}

/** A unit that cannot be ingested; `reason` says what is wrong with it, for a human. */
export class QuarantineError extends Error {
  override readonly name = 'QuarantineError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
