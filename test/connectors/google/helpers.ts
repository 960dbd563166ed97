/** Shared set-up of the Google connector tests: the team, a connector against the fake API, a read context. */
import pino from 'pino';
import { directoryFrom } from '../../../activities/connectors/files';
import type { GoogleSourceConfigInput } from '../../../activities/connectors/google';
import { createGoogleConnector, type GoogleConnector } from '../../../activities/connectors/google';
import type { ConnectorContext, StreamCursor, StreamPage } from '../../../activities/connectors/port';
import { Person } from '../../../schemas/entities';
import type { FakeGoogleApi } from '../../support/fake-google-api';

export const NOW = new Date('2025-02-01T00:00:00.000Z');

const person = (id: string, name: string, optedIn = true, managerId?: string) =>
  Person.parse({ id, name, optedIn, ...(managerId ? { managerId } : {}), identities: [{ provider: 'email', externalId: id }] });

export const ALICE = 'alice@acme.test';
export const BOB = 'bob@acme.test';
export const CARA = 'cara@acme.test';
export const DAN = 'dan@acme.test';
/** in the directory, not opted in */
export const OLIVER = 'oliver@acme.test';

export const TEAM = [
  person(ALICE, 'Alice Chen'),
  person(BOB, 'Bob Okafor', true, ALICE),
  person(CARA, 'Cara Diaz', true, ALICE),
  person(DAN, 'Dan Roe', true, BOB),
  person(OLIVER, 'Oliver Out', false),
];

export function context(over: Partial<ConnectorContext> = {}): ConnectorContext & { heartbeats: number } {
  const ctx = {
    sourceId: 'gw',
    directory: directoryFrom(TEAM),
    now: NOW,
    log: pino({ level: 'silent' }),
    heartbeats: 0,
    heartbeat() {
      ctx.heartbeats++;
    },
    ...over,
  };
  return ctx;
}

/** A connector against the fake, whose tokens name the subject they act as ("tok:<subject>"). */
export function connectorFor(api: FakeGoogleApi, config: GoogleSourceConfigInput): GoogleConnector & { subjects: string[] } {
  const subjects: string[] = [];
  const connector = createGoogleConnector(config, { kind: 'token', accessToken: async (subject) => (subjects.push(subject), `tok:${subject}`) }, { baseUrl: api.url });
  return Object.assign(connector, { subjects });
}

/** Reads a stream until `more` is false, from `cursor`; returns every page. */
export async function readAll(connector: GoogleConnector, stream: string, cursor: StreamCursor | null, ctx = context()): Promise<StreamPage[]> {
  const pages: StreamPage[] = [];
  let current = cursor;
  for (;;) {
    const page = await connector.readPage(stream, current, ctx);
    pages.push(page);
    current = page.cursor;
    if (!page.more) return pages;
    if (pages.length > 1000) throw new Error('more than 1000 pages');
  }
}
