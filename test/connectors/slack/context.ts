/** What the Slack connector tests share: a directory, a connector context, and a whole-pass reader. */
import pino from 'pino';
import type { Person } from '../../../schemas/entities';
import { directoryFrom } from '../../../activities/connectors/files/directory';
import { toPerson, type PeopleEntry } from '../../../activities/connectors/files/people';
import type { Connector, ConnectorContext, StreamCursor, StreamPage } from '../../../activities/connectors/port';
import type { ParsedUnit } from '../../../schemas/entities';

export function people(entries: PeopleEntry[]): Person[] {
  return entries.map(toPerson);
}

export function context(directory: Person[], now: Date, sourceId = 'slack-test'): ConnectorContext & { heartbeats: number } {
  const ctx = {
    sourceId,
    directory: directoryFrom(directory),
    now,
    log: pino({ level: 'silent' }),
    heartbeats: 0,
    heartbeat: () => {
      ctx.heartbeats += 1;
    },
  };
  return ctx;
}

export interface Pass {
  pages: StreamPage[];
  units: ParsedUnit[];
  deleted: string[];
  cursor: StreamCursor;
}

/** Reads pages until the pass ends, as the pipeline would (committing each page's cursor). */
export async function readPass(connector: Connector, stream: string, cursor: StreamCursor | null, ctx: ConnectorContext, maxPages = 1000): Promise<Pass> {
  const pages: Pass['pages'] = [];
  let current = cursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await connector.readPage(stream, current, ctx);
    pages.push(page);
    current = page.cursor;
    if (!page.more) return { pages, units: pages.flatMap((p) => p.units), deleted: pages.flatMap((p) => p.deleted), cursor: current };
  }
  throw new Error(`the ${stream} pass did not end within ${maxPages} pages`);
}
