/**
 * The one source of entity types. Connectors produce these; the stores persist them;
 * workflows and clients exchange (small) slices of them.
 *
 * Identity: a person's id is their primary email, lower-cased. Access lists hold person ids.
 */
import { z } from 'zod';

export const PersonId = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'a person id is an email address' }));
export type PersonId = z.infer<typeof PersonId>;

export const ExternalIdentity = z.object({
  provider: z.enum(['email', 'slack', 'google', 'microsoft', 'files']),
  externalId: z.string().min(1),
});
export type ExternalIdentity = z.infer<typeof ExternalIdentity>;

export const Person = z.object({
  id: PersonId,
  name: z.string().min(1),
  title: z.string().optional(),
  team: z.string().optional(),
  managerId: PersonId.optional(),
  timezone: z.string().default('UTC'),
  /** local working hours, "HH:MM" 24h */
  workingHours: z
    .object({ start: z.string().regex(/^\d\d:\d\d$/), end: z.string().regex(/^\d\d:\d\d$/) })
    .default({ start: '09:00', end: '17:00' }),
  optedIn: z.boolean(),
  identities: z.array(ExternalIdentity).default([]),
});
export type Person = z.infer<typeof Person>;

export const ItemKind = z.enum(['message', 'transcript', 'email', 'event', 'doc']);
export type ItemKind = z.infer<typeof ItemKind>;

/** One addressable piece of an item: a transcript turn, a message, an email body paragraph. */
export const Segment = z.object({
  /** position inside the item, 0-based; citations point at (itemId, position) */
  position: z.number().int().nonnegative(),
  text: z.string(),
  /** speaker of a transcript turn; null when the speaker is outside the opt-in */
  speakerId: PersonId.nullable().optional(),
  /** start offset in ms (transcripts) */
  startMs: z.number().int().nonnegative().optional(),
});
export type Segment = z.infer<typeof Segment>;

export const Item = z.object({
  /** deterministic: derived from sourceId + externalId (see itemIdFor) */
  id: z.string().min(1),
  sourceId: z.string().min(1),
  /** the provider's own key: slack "C123/1700000000.000100", an email Message-ID, "uid@recurrence" */
  externalId: z.string().min(1),
  kind: ItemKind,
  title: z.string().optional(),
  body: z.string(),
  /** null when the item has no single author (an event, a transcript) */
  authorId: PersonId.nullable(),
  occurredAt: z.coerce.date(),
  /** conversation key: slack thread, email thread root, the meeting of a transcript */
  threadId: z.string().optional(),
  /** where a user finds it: a URL, or a file path with an anchor */
  locator: z.string().min(1),
  /** who may see it (person ids). Retrieval is always filtered by this. */
  access: z.array(PersonId),
  /** people addressed: email To/Cc, slack @mentions, meeting attendees */
  recipients: z.array(PersonId).default([]),
  /** kind-specific extras (channel, subject, inReplyTo, meetingId, ...) */
  meta: z.record(z.string(), z.unknown()).default({}),
  segments: z.array(Segment).default([]),
  /** sha256 of the normalized content; unchanged hash = nothing to do */
  contentHash: z.string().min(1),
});
export type Item = z.infer<typeof Item>;

export const MeetingStatus = z.enum(['confirmed', 'tentative', 'cancelled']);

export const Meeting = z.object({
  /** `${calendarId}:${eventId}` */
  id: z.string().min(1),
  calendarId: z.string().min(1),
  /** unique per occurrence: the iCal UID, plus the occurrence start for expanded recurrences */
  eventId: z.string().min(1),
  /** the iCal UID of the recurring series, when the meeting is one occurrence of one */
  seriesId: z.string().optional(),
  title: z.string(),
  description: z.string().default(''),
  startsAt: z.coerce.date(),
  endsAt: z.coerce.date(),
  organizerId: PersonId.nullable(),
  /** opted-in attendees (person ids) */
  attendeeIds: z.array(PersonId),
  /** how many invited people are outside the opt-in (never named) */
  outsideOptInCount: z.number().int().nonnegative().default(0),
  status: MeetingStatus,
  location: z.string().optional(),
  sourceId: z.string().min(1),
  /** the item that holds the event text */
  itemId: z.string().optional(),
});
export type Meeting = z.infer<typeof Meeting>;

/** A file (or other unit) the connector refused, with the reason. */
export const Quarantined = z.object({
  sourceId: z.string(),
  path: z.string(),
  reason: z.string(),
});
export type Quarantined = z.infer<typeof Quarantined>;

/** What a connector returns for one unit (file) of a source: all or nothing is stored. */
export const ParsedUnit = z.object({
  path: z.string(),
  /** hash of the raw file; unchanged = skipped on re-run */
  fileHash: z.string(),
  people: z.array(Person).default([]),
  items: z.array(Item).default([]),
  meetings: z.array(Meeting).default([]),
});
export type ParsedUnit = z.infer<typeof ParsedUnit>;

export const Citation = z.object({
  /** [n] marker used in the Markdown */
  marker: z.number().int().positive(),
  itemId: z.string(),
  position: z.number().int().nonnegative().optional(),
  sourceId: z.string(),
  kind: ItemKind,
  /** display name of the author, or "someone outside the opt-in" */
  author: z.string().nullable(),
  occurredAt: z.coerce.date(),
  locator: z.string(),
  quote: z.string(),
});
export type Citation = z.infer<typeof Citation>;

export const BriefSection = z.object({
  key: z.enum(['series', 'decisions', 'actions', 'unanswered', 'missed', 'threads', 'related']),
  heading: z.string(),
  statements: z.array(z.object({ text: z.string(), citations: z.array(z.number().int().positive()) })),
});
export type BriefSection = z.infer<typeof BriefSection>;

export const Brief = z.object({
  id: z.string(),
  meetingId: z.string(),
  recipients: z.array(PersonId),
  sections: z.array(BriefSection),
  citations: z.array(Citation),
  markdown: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  createdAt: z.coerce.date(),
});
export type Brief = z.infer<typeof Brief>;

export const OUTSIDE_OPT_IN = 'someone outside the opt-in';
