/**
 * The Slack connector: streams `users` and `channels` read through the Web API with a bot token. Every SDK error
 * leaves as a Temporal failure (errors.ts); the connector never retries, stores or logs a secret.
 */
import type { WebClient } from '@slack/web-api';
import type { Connector, ConnectorContext, StreamCursor } from '../port';
import { readChannelsPage, type ChannelsPage } from './channels';
import { slackWebClient } from './client';
import { parseSlackSourceConfig, SLACK_BASE_URL_ENV, type SlackSourceConfig, type SlackSourceConfigInput } from './config';
import { providerFailure } from '../../providers/errors';
import { listAllUsers, readUsersPage, slackPeople, type Member, type SlackPeople, USERS_STREAM } from './people';
import { CHANNELS_STREAM } from './threads';

/** how long a listed workspace (users.list) is trusted for email lookups */
const USERS_TTL_MS = 10 * 60 * 1000;

export class SlackConnector implements Connector {
  readonly provider = 'slack' as const;
  readonly config: SlackSourceConfig;
  readonly #client: WebClient;
  #users: { at: number; members: Member[] } | undefined;

  constructor(config: SlackSourceConfigInput, options: { fetch?: typeof globalThis.fetch } = {}) {
    this.config = parseSlackSourceConfig(config);
    // the source's own baseUrl, else the deployment's (a proxy, a test server), else slack.com
    const baseUrl = this.config.baseUrl ?? (process.env[SLACK_BASE_URL_ENV] || undefined);
    this.#client = slackWebClient({ token: this.config.token, ...(baseUrl ? { baseUrl } : {}), ...options });
  }

  /** users first: it teaches the directory the Slack ids the channels stream resolves authors by */
  streams(): string[] {
    return [USERS_STREAM, CHANNELS_STREAM];
  }

  async readPage(stream: string, cursor: StreamCursor | null, ctx: ConnectorContext): Promise<ChannelsPage> {
    try {
      if (stream === USERS_STREAM) return { ...(await readUsersPage(this.#client, this.config.pageSize, cursor, ctx)), heldBack: [] };
      if (stream === CHANNELS_STREAM) {
        return await readChannelsPage({ client: this.#client, config: this.config, people: (c, ids) => this.#people(c, ids) }, cursor, ctx);
      }
    } catch (error) {
      throw providerFailure('slack', error);
    }
    throw new Error(`the Slack connector has no stream "${stream}" (it reads ${this.streams().join(', ')})`);
  }

  /** The directory alone when it knows every id by Slack id; else with the workspace's profile emails. */
  async #people(ctx: ConnectorContext, userIds: Iterable<string>): Promise<SlackPeople> {
    const unknown = [...userIds].some((id) => !ctx.directory.bySlackId(id));
    if (!unknown) return slackPeople(ctx.directory, []);
    const now = ctx.now.getTime();
    if (!this.#users || now - this.#users.at > USERS_TTL_MS || now < this.#users.at) {
      this.#users = { at: now, members: await listAllUsers(this.#client, this.config.pageSize, ctx) };
    }
    return slackPeople(ctx.directory, this.#users.members);
  }
}
