/**
 * A small connector for the framework's tests: it implements the port (activities/connectors/port.ts) over the real
 * Slack Web API client, reading `conversations.history` of the channels in its config from a local server that
 * speaks Slack's wire format. One unit per message (`channel:<id>/<ts>`). It is not the Slack connector (another
 * branch writes that): it is just enough of one to drive the pipeline — full listings page by page, incremental
 * reads from the newest `ts` seen, delete events, and a listing the server can ask to restart (like Google's 410).
 *
 * Its cursor: `{ mode: 'full', next?, newest? }` while listing, `{ mode: 'incremental', oldest }` after.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { z } from 'zod';
import { itemIdFor, stableHash } from '../../../activities/connectors/files/ids';
import type { Connector, ConnectorContext, StreamCursor, StreamPage } from '../../../activities/connectors/port';
import { unitPath } from '../../../activities/connectors/port';
import type { ConnectorFactory } from '../../../activities/connectors/registry';
import type { ParsedUnit } from '../../../schemas/entities';

const Config = z.object({ channels: z.array(z.string().min(1)).min(1), pageSize: z.number().int().positive().default(2), members: z.array(z.string()) });

interface HistoryMessage {
  ts: string;
  text?: string;
  user?: string;
  subtype?: string;
  deleted_ts?: string;
}

interface HistoryResponse {
  messages?: HistoryMessage[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
  /** test servers only: the incremental window expired, list the channel again (as Google answers 410) */
  reset?: boolean;
}

export const channelConnector: ConnectorFactory<'slack'> = (source, credentials, env) => {
  const config = Config.parse(source.config);
  const client = new WebClient(credentials.token, {
    slackApiUrl: `${env.endpoints.slack}/api/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });

  const unitOf = (channel: string, stream: string, m: HistoryMessage): ParsedUnit => {
    const externalId = `${channel}/${m.ts}`;
    const author = m.user ? `${m.user.toLowerCase()}@team.test` : null;
    const item = {
      id: itemIdFor(source.id, externalId),
      sourceId: source.id,
      externalId,
      kind: 'message' as const,
      body: m.text ?? '',
      authorId: author,
      occurredAt: new Date(Number(m.ts) * 1000),
      threadId: `${channel}/${m.ts}`,
      locator: `https://slack.test/archives/${channel}/p${m.ts.replace('.', '')}`,
      access: config.members,
      recipients: [],
      meta: { channel },
      segments: [],
    };
    const contentHash = stableHash(item);
    return { path: unitPath(stream, m.ts), fileHash: contentHash, people: [], items: [{ ...item, contentHash }], meetings: [] };
  };

  return {
    provider: 'slack',
    streams: () => config.channels.map((c) => `channel:${c}`),
    async readPage(stream: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
      const channel = stream.slice('channel:'.length);
      const newestOf = (messages: HistoryMessage[], before?: string): string | undefined =>
        [...messages.map((m) => m.ts), ...(before ? [before] : [])].sort((a, b) => Number(b) - Number(a))[0];

      if (cursor?.mode === 'incremental') {
        const page = (await client.conversations.history({ channel, oldest: String(cursor.oldest), limit: config.pageSize })) as HistoryResponse;
        ctx.heartbeat({ channel });
        if (!page.reset) {
          const messages = page.messages ?? [];
          const live = messages.filter((m) => m.subtype !== 'message_deleted');
          const deleted = messages.filter((m) => m.subtype === 'message_deleted').map((m) => unitPath(stream, m.deleted_ts ?? m.ts));
          return {
            units: live.map((m) => unitOf(channel, stream, m)),
            deleted,
            cursor: { mode: 'incremental', oldest: newestOf(messages, String(cursor.oldest)) },
            more: false,
            full: false,
          };
        }
        cursor = null; // the window expired: list everything again, and let the sweep remove what is gone
      }
      const next = typeof cursor?.next === 'string' ? cursor.next : undefined;
      const page = (await client.conversations.history({ channel, limit: config.pageSize, ...(next ? { cursor: next } : {}) })) as HistoryResponse;
      ctx.heartbeat({ channel, next });
      const messages = page.messages ?? [];
      const newest = newestOf(messages, typeof cursor?.newest === 'string' ? cursor.newest : undefined);
      const following = page.has_more ? page.response_metadata?.next_cursor : undefined;
      return {
        units: messages.map((m) => unitOf(channel, stream, m)),
        deleted: [],
        cursor: following ? { mode: 'full', next: following, ...(newest ? { newest } : {}) } : { mode: 'incremental', oldest: newest ?? '0' },
        more: Boolean(following),
        full: true,
      };
    },
  } satisfies Connector;
};
