/**
 * Small builders for the memory tests: valid entities with only what a test cares about spelled out.
 */
import { createHash } from 'node:crypto';
import type { Item, Meeting, ParsedUnit, Person } from '../../schemas/entities';

export const ANA = 'ana@acme.test';
export const BEN = 'ben@acme.test';
export const CY = 'cy@acme.test';

export const BASE_TIME = new Date('2026-03-02T10:00:00Z');

export function at(offsetHours: number): Date {
  return new Date(BASE_TIME.getTime() + offsetHours * 3_600_000);
}

export function person(id: string, overrides: Partial<Person> = {}): Person {
  return {
    id,
    name: id.split('@')[0] ?? id,
    timezone: 'UTC',
    workingHours: { start: '09:00', end: '17:00' },
    optedIn: true,
    identities: [],
    ...overrides,
  };
}

/** An item whose contentHash follows its content (unless the test sets one). */
export function item(id: string, overrides: Partial<Item> = {}): Item {
  const base: Omit<Item, 'contentHash'> = {
    id,
    sourceId: 'src',
    externalId: id,
    kind: 'message',
    body: `body of ${id}`,
    authorId: ANA,
    occurredAt: BASE_TIME,
    locator: `file:///data/${id}`,
    access: [ANA, BEN],
    recipients: [],
    meta: {},
    segments: [],
    ...overrides,
  };
  return { ...base, contentHash: overrides.contentHash ?? hashOf(base) };
}

function hashOf(content: Omit<Item, 'contentHash'>): string {
  return createHash('sha256')
    .update(JSON.stringify([content.title ?? '', content.body, content.segments]))
    .digest('hex');
}

export function meeting(id: string, overrides: Partial<Meeting> = {}): Meeting {
  return {
    id,
    calendarId: 'cal',
    eventId: id,
    title: `Meeting ${id}`,
    description: '',
    startsAt: BASE_TIME,
    endsAt: at(1),
    organizerId: ANA,
    attendeeIds: [ANA, BEN],
    outsideOptInCount: 0,
    status: 'confirmed',
    sourceId: 'src',
    ...overrides,
  };
}

export function unit(path: string, content: Partial<Omit<ParsedUnit, 'path'>> = {}): ParsedUnit {
  return { path, fileHash: `hash-of-${path}-${JSON.stringify(content).length}`, people: [], items: [], meetings: [], ...content };
}
