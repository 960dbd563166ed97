/** Shared set-up of the Microsoft connector tests: the team, its directory, a context, a connector on the fake. */
import pino from 'pino';
import { directoryFrom } from '../../../activities/connectors/files/directory';
import { createMicrosoftConnector, type MicrosoftSourceConfig } from '../../../activities/connectors/microsoft';
import type { ConnectorContext, StreamCursor, StreamPage } from '../../../activities/connectors/port';
import { Person } from '../../../schemas/entities';
import type { FakeGraph } from '../../support/fake-graph-api';

export const NOW = new Date('2026-03-02T12:00:00.000Z');
export const ALICE = 'alice@contoso.test';
export const BOB = 'bob@contoso.test';
export const CAROL = 'carol@contoso.test';
/** in the directory, not opted in */
export const DEV = 'dev@contoso.test';

export const AAD = { alice: '11111111-0000-0000-0000-00000000a11c', bob: '22222222-0000-0000-0000-0000000000b0', carol: '33333333-0000-0000-0000-00000000ca01', dev: '44444444-0000-0000-0000-000000000dee' };

export const people: Person[] = [
  Person.parse({ id: ALICE, name: 'Alice Chen', optedIn: true, timezone: 'Europe/Paris', identities: [{ provider: 'email', externalId: ALICE }] }),
  Person.parse({ id: BOB, name: 'Bob Okafor', optedIn: true }),
  Person.parse({ id: CAROL, name: 'Carol Diaz', optedIn: true }),
  Person.parse({ id: DEV, name: 'Dev Null', optedIn: false }),
];

export function context(): ConnectorContext {
  return { sourceId: 'm365', directory: directoryFrom(people), now: NOW, log: pino({ level: 'silent' }), heartbeat: () => undefined };
}

export function connectorFor(fake: FakeGraph, config: Partial<MicrosoftSourceConfig> = {}) {
  return createMicrosoftConnector(
    { users: [ALICE], baseUrl: fake.url, pageSize: 2, ...config },
    { kind: 'client-credentials', tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: 'app-secret', loginUrl: fake.url },
  );
}

/** Reads a stream's pass to its end, as the pipeline does (each page's cursor feeds the next read). */
export async function readPass(
  connector: { readPage(s: string, c: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> },
  stream: string,
  cursor: StreamCursor | null,
): Promise<{ pages: StreamPage[]; cursor: StreamCursor }> {
  const pages: StreamPage[] = [];
  let current = cursor;
  for (let i = 0; i < 50; i++) {
    const page = await connector.readPage(stream, current, context());
    pages.push(page);
    current = page.cursor;
    if (!page.more) return { pages, cursor: current };
  }
  throw new Error(`${stream}: the pass did not end in 50 pages`);
}

export const addr = (address: string, name = address) => ({ emailAddress: { address, name } });
