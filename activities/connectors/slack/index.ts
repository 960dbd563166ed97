/**
 * The Slack connector for the sync framework:
 *   createSlackConnector(config: SlackSourceConfigInput, options?: { fetch? }): Connector  (provider 'slack')
 *   SlackSourceConfig: the zod schema of a Slack source's configuration (its token comes from the sealed credentials)
 */
import type { Connector } from '../port';
import { SlackConnector } from './connector';
import type { SlackSourceConfigInput } from './config';

export { SlackSourceConfig, parseSlackSourceConfig, type SlackSourceConfigInput, DEFAULT_SLACK_BASE_URL, DEFAULT_RECHECK_DAYS, SLACK_BASE_URL_ENV } from './config';
export { SlackConnector } from './connector';
export { slackWorkspaceOf } from './client';
export { USERS_STREAM } from './people';
export { CHANNELS_STREAM, threadPath } from './threads';
export type { ChannelsPage } from './channels';

/** Validates the configuration (a clear error naming the bad field) and builds the connector. */
export function createSlackConnector(config: SlackSourceConfigInput, options: { fetch?: typeof globalThis.fetch } = {}): Connector & SlackConnector {
  return new SlackConnector(config, options);
}
