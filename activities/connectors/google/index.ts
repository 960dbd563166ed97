/**
 * The Google Workspace connector (provider 'google'): streams
 *   calendar:<calendarId>   Calendar v3 events → meetings + event items (calendar.ts)
 *   gmail:<mailbox>         Gmail threads → email items (gmail.ts)
 *   drive                   Drive Docs → doc items, Meet transcripts → transcript items (drive.ts)
 *   directory               Admin SDK users → people with managers (directory.ts)
 * read page by page through googleapis; push channels for Calendar and Drive in channels.ts.
 *
 *   const connector = createGoogleConnector(GoogleSourceConfig.parse(source.config), credentials, { baseUrl });
 *   await connector.readPage('gmail:alice@acme.com', cursor, ctx);
 */
import type { Connector, ConnectorContext, StreamCursor, StreamPage } from '../port';
import { googleApis, type GoogleApis } from './apis';
import { GOOGLE_READ_SCOPES, tokenProvider } from './auth';
import { calendarStream, readCalendarPage } from './calendar';
import type { GoogleCredentials, GoogleSourceConfigInput } from './config';
import { GoogleSourceConfig } from './config';
import type { GoogleReadContext } from './context';
import { DIRECTORY_STREAM, readDirectoryPage } from './directory';
import { DRIVE_STREAM, readDrivePage } from './drive';
import { gmailStream, readGmailPage } from './gmail';
import { orgDirectory, type OrgDirectory } from './org';

export { GoogleSourceConfig, isUserCalendar } from './config';
export type { GoogleCredentials, GoogleSourceConfigInput, GoogleTokenProvider, ServiceAccountKey } from './config';
export { GOOGLE_READ_SCOPES } from './auth';
export { googleSourceFailure } from './errors';
export { channelPrefix, channelsToRenew, CHANNEL_TTL_MS, renewChannels, RENEW_BEFORE_MS, watchableStreams } from './channels';
export type { ChannelDeps, ChannelPlan, RenewedChannels } from './channels';
export { GOOGLE_CONNECTOR_VERSION } from './context';

export interface GoogleConnectorOptions {
  /** API root (MYCELIUM_GOOGLE_BASE_URL); default https://www.googleapis.com/ */
  baseUrl?: string;
}

export interface GoogleConnector extends Connector {
  readonly provider: 'google';
  readonly config: GoogleSourceConfig;
  /** the googleapis clients (for renewChannels) */
  readonly apis: GoogleApis;
}

/** The scopes the configured streams need (and no more). */
export function scopesFor(config: GoogleSourceConfig): string[] {
  return [
    ...(config.calendars.length ? GOOGLE_READ_SCOPES.calendar : []),
    ...(config.mailboxes.length ? GOOGLE_READ_SCOPES.gmail : []),
    ...(config.drive ? GOOGLE_READ_SCOPES.drive : []),
    ...(config.directory ? GOOGLE_READ_SCOPES.directory : []),
  ];
}

/**
 * A connector for one Google source. `config` is checked (a bad one throws a ZodError naming the field);
 * `credentials` stay inside the token provider and never reach a page, a cursor or a log.
 */
export function createGoogleConnector(config: GoogleSourceConfigInput, credentials: GoogleCredentials, options: GoogleConnectorOptions = {}): GoogleConnector {
  const parsed = GoogleSourceConfig.parse(config);
  const apis = googleApis(tokenProvider(credentials, scopesFor(parsed)), options.baseUrl);
  const org: OrgDirectory = orgDirectory(apis, parsed.directory, parsed.actAs);
  const folderNames = new Map<string, Promise<string | undefined>>();
  const calendars = new Map(parsed.calendars.map((id) => [calendarStream(id), id]));
  const mailboxes = new Map(parsed.mailboxes.map((m) => [gmailStream(m), m]));
  const streams = [
    ...(parsed.directory ? [DIRECTORY_STREAM] : []), // people first: the other streams resolve addresses through them
    ...calendars.keys(),
    ...mailboxes.keys(),
    ...(parsed.drive ? [DRIVE_STREAM] : []),
  ];

  const readStreamPage = async (rc: GoogleReadContext, stream: string, cursor: StreamCursor | null): Promise<StreamPage> => {
    const calendarId = calendars.get(stream);
    if (calendarId !== undefined) return readCalendarPage(rc, calendarId, cursor);
    const mailbox = mailboxes.get(stream);
    if (mailbox !== undefined) return readGmailPage(rc, mailbox, cursor);
    if (stream === DRIVE_STREAM && parsed.drive) return readDrivePage(rc, cursor);
    if (stream === DIRECTORY_STREAM && parsed.directory) return readDirectoryPage(rc, cursor);
    throw new Error(`google source ${rc.ctx.sourceId} has no stream "${stream}" (it reads: ${streams.join(', ')})`);
  };

  return {
    provider: 'google',
    config: parsed,
    apis,
    streams: () => [...streams],
    async readPage(stream: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<StreamPage> {
      const rc: GoogleReadContext = { apis, config: parsed, ctx, org, folderNames, heldBack: [] };
      const page = await readStreamPage(rc, stream, cursor);
      return { ...page, heldBack: rc.heldBack };
    },
  };
}
