/**
 * Table rows as the drivers return them (snake_case; jsonb parsed, timestamptz as Date,
 * text[] as arrays on both node-postgres and PGlite) and their mapping back to entities.
 */
import type { Brief, Item, ItemKind, Meeting, Person, Segment } from '../../schemas/entities';
import { Brief as BriefSchema } from '../../schemas/entities';
import type { LineageEntry } from './ports';

export interface PersonRow {
  id: string;
  name: string;
  title: string | null;
  team: string | null;
  manager_id: string | null;
  timezone: string;
  working_hours: { start: string; end: string };
  opted_in: boolean;
}

export interface IdentityRow {
  person_id: string;
  provider: Person['identities'][number]['provider'];
  external_id: string;
}

export function personFromRow(row: PersonRow, identities: IdentityRow[]): Person {
  return {
    id: row.id,
    name: row.name,
    title: row.title ?? undefined,
    team: row.team ?? undefined,
    managerId: row.manager_id ?? undefined,
    timezone: row.timezone,
    workingHours: row.working_hours,
    optedIn: row.opted_in,
    identities: identities.map((i) => ({ provider: i.provider, externalId: i.external_id })),
  };
}

export interface ItemRow {
  id: string;
  source_id: string;
  external_id: string;
  kind: ItemKind;
  title: string | null;
  body: string;
  author_id: string | null;
  occurred_at: Date;
  thread_id: string | null;
  locator: string;
  access: string[];
  recipients: string[];
  meta: Record<string, unknown>;
  content_hash: string;
  has_segments: boolean;
}

export const ITEM_COLUMNS =
  'id, source_id, external_id, kind, title, body, author_id, occurred_at, thread_id, locator, access, recipients, meta, content_hash, has_segments';

/**
 * SQL: the item row (by its alias) went to someone besides its author — its recipients are known. A post whose
 * recipients nobody told us (a channel post, an archive that kept only the sender) names nobody.
 */
export const itemAddressed = (alias: string): string =>
  `EXISTS (SELECT 1 FROM unnest(${alias}.recipients) AS r(id) WHERE r.id IS DISTINCT FROM ${alias}.author_id)`;

export interface ChunkRow {
  item_id: string;
  position: number;
  text: string;
  speaker_id: string | null;
  start_ms: number | null;
}

export function segmentFromChunk(row: ChunkRow): Segment {
  return {
    position: Number(row.position),
    text: row.text,
    speakerId: row.speaker_id,
    ...(row.start_ms === null ? {} : { startMs: Number(row.start_ms) }),
  };
}

export function itemFromRow(row: ItemRow, segments: Segment[]): Item {
  return {
    id: row.id,
    sourceId: row.source_id,
    externalId: row.external_id,
    kind: row.kind,
    title: row.title ?? undefined,
    body: row.body,
    authorId: row.author_id,
    occurredAt: new Date(row.occurred_at),
    threadId: row.thread_id ?? undefined,
    locator: row.locator,
    access: row.access,
    recipients: row.recipients,
    meta: row.meta,
    segments: row.has_segments ? segments : [],
    contentHash: row.content_hash,
  };
}

export interface MeetingRow {
  id: string;
  calendar_id: string;
  event_id: string;
  series_id: string | null;
  title: string;
  description: string;
  starts_at: Date;
  ends_at: Date;
  organizer_id: string | null;
  attendee_ids: string[];
  outside_opt_in_count: number;
  status: Meeting['status'];
  location: string | null;
  source_id: string;
  item_id: string | null;
}

export const MEETING_COLUMNS =
  'id, calendar_id, event_id, series_id, title, description, starts_at, ends_at, organizer_id, attendee_ids, ' +
  'outside_opt_in_count, status, location, source_id, item_id';

export function meetingFromRow(row: MeetingRow): Meeting {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    eventId: row.event_id,
    seriesId: row.series_id ?? undefined,
    title: row.title,
    description: row.description,
    startsAt: new Date(row.starts_at),
    endsAt: new Date(row.ends_at),
    organizerId: row.organizer_id,
    attendeeIds: row.attendee_ids,
    outsideOptInCount: Number(row.outside_opt_in_count),
    status: row.status,
    location: row.location ?? undefined,
    sourceId: row.source_id,
    itemId: row.item_id ?? undefined,
  };
}

export interface BriefRow {
  id: string;
  meeting_id: string;
  recipients: string[];
  sections: unknown;
  citations: unknown;
  markdown: string;
  workflow_id: string;
  run_id: string;
  created_at: Date;
}

export const BRIEF_COLUMNS = 'id, meeting_id, recipients, sections, citations, markdown, workflow_id, run_id, created_at';

/** Parsed through the schema: citations come back from jsonb with their dates as strings. */
export function briefFromRow(row: BriefRow): Brief {
  return BriefSchema.parse({
    id: row.id,
    meetingId: row.meeting_id,
    recipients: row.recipients,
    sections: row.sections,
    citations: row.citations,
    markdown: row.markdown,
    workflowId: row.workflow_id,
    runId: row.run_id,
    createdAt: row.created_at,
  });
}

export interface LineageRow {
  artifact_type: LineageEntry['artifactType'];
  artifact_id: string;
  item_id: string;
  position: number | null;
  workflow_id: string;
  run_id: string;
  activity: string;
  created_at: Date;
}

export interface LineageRecord extends LineageEntry {
  createdAt: Date;
}

export function lineageFromRow(row: LineageRow): LineageRecord {
  return {
    artifactType: row.artifact_type,
    artifactId: row.artifact_id,
    itemId: row.item_id,
    ...(row.position === null ? {} : { position: Number(row.position) }),
    workflowId: row.workflow_id,
    runId: row.run_id,
    activity: row.activity,
    createdAt: new Date(row.created_at),
  };
}
