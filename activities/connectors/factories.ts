/**
 * The API connectors the service runs, by provider: what ActivityDeps.connectors holds unless a caller (a test)
 * injects its own. Each entry is a ConnectorFactory (activities/connectors/registry.ts) that adapts the framework's
 * pieces to one connector's own:
 *   - the sealed credentials (credentials.ts) → the connector's credentials type (token providers built here);
 *   - the provider endpoints (MYCELIUM_*_BASE_URL and the token endpoints) → the connector's base URLs;
 *   - the source's `config` → validated by the connector's zod schema; a bad one throws ConnectorConfigError naming
 *     the field, which the pipeline turns into the non-retryable SourceMisconfigured.
 * Secrets never go into a config: a config that carries one is refused, so it cannot sit unencrypted in `sources`.
 */
import type { z } from 'zod';
import { formatIssue } from './files/common';
import { createGoogleConnector, GoogleSourceConfig, type GoogleConnector, type GoogleCredentials } from './google';
import { createMicrosoftConnector, MicrosoftSourceConfig, refreshTokenTokens, type MicrosoftConnector, type MicrosoftCredentials } from './microsoft';
import type { CredentialsOf } from './credentials';
import type { ApiSource, ConnectorEnv, ConnectorFactories, ConnectorFactory } from './registry';
import { createSlackConnector, SlackSourceConfig, type SlackConnector } from './slack';

/** A source's `config` the connector refuses; the message names every bad field. */
export class ConnectorConfigError extends Error {
  override name = 'ConnectorConfigError';
}

function parseConfig<S extends z.ZodType>(schema: S, provider: string, config: unknown): z.output<S> {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  throw new ConnectorConfigError(`${provider} source configuration: ${parsed.error.issues.map((issue) => formatIssue(issue)).join('; ')}`);
}

/** Secrets belong in the credentials (encrypted at rest), never in the stored config. */
function refuseSecrets(provider: string, config: Record<string, unknown>, keys: readonly string[]): void {
  const found = keys.filter((key) => config[key] !== undefined);
  if (found.length > 0) {
    throw new ConnectorConfigError(
      `${provider} source configuration: ${found.join(', ')}: a secret does not go in the configuration; put it in the credentials file given to \`myc sources add\``,
    );
  }
}

// ---- Slack

export const slackFactory: ConnectorFactory<'slack'> = (source, credentials, env): SlackConnector => {
  refuseSecrets('slack', source.config, ['token', 'signingSecret']);
  // the schema needs the token; it is checked with the config and kept only in the connector's client
  const config = parseConfig(SlackSourceConfig, 'slack', { ...source.config, token: credentials.token });
  return createSlackConnector({ ...config, baseUrl: config.baseUrl ?? env.endpoints.slack });
};

// ---- Google

export function googleCredentials(credentials: CredentialsOf<'google'>, env: ConnectorEnv): GoogleCredentials {
  switch (credentials.kind) {
    case 'service-account':
      return { kind: 'service-account', key: { client_email: credentials.clientEmail, private_key: credentials.privateKey } };
    case 'oauth':
      return { kind: 'oauth', clientId: credentials.clientId, clientSecret: credentials.clientSecret, refreshToken: credentials.refreshToken, tokenUrl: env.endpoints.googleToken };
  }
}

export const googleFactory: ConnectorFactory<'google'> = (source, credentials, env): GoogleConnector => {
  const config = parseConfig(GoogleSourceConfig, 'google', withGoogleDefaults(source, credentials));
  return createGoogleConnector(config, googleCredentials(credentials, env), { baseUrl: env.endpoints.google });
};

/** A service account acts as its `subject` (given to `sources add --subject`) wherever the config names no one else. */
function withGoogleDefaults(source: ApiSource, credentials: CredentialsOf<'google'>): Record<string, unknown> {
  if (credentials.kind !== 'service-account' || source.config.actAs !== undefined) return source.config;
  return { ...source.config, actAs: credentials.subject };
}

// ---- Microsoft

export function microsoftCredentials(credentials: CredentialsOf<'microsoft'>, env: ConnectorEnv): MicrosoftCredentials {
  switch (credentials.kind) {
    case 'client-credentials':
      return { kind: 'client-credentials', tenantId: credentials.tenantId, clientId: credentials.clientId, clientSecret: credentials.clientSecret, loginUrl: env.endpoints.microsoftLogin };
    case 'delegated':
      return {
        kind: 'token',
        accessToken: refreshTokenTokens({
          tenantId: credentials.tenantId,
          clientId: credentials.clientId,
          refreshToken: credentials.refreshToken,
          loginUrl: env.endpoints.microsoftLogin,
          ...(credentials.clientSecret ? { clientSecret: credentials.clientSecret } : {}),
        }),
      };
  }
}

export const microsoftFactory: ConnectorFactory<'microsoft'> = (source, credentials, env): MicrosoftConnector => {
  const config = parseConfig(MicrosoftSourceConfig, 'microsoft', source.config);
  return createMicrosoftConnector(config, microsoftCredentials(credentials, env), { baseUrl: env.endpoints.graph });
};

export const connectorFactories: ConnectorFactories = {
  google: googleFactory,
  microsoft: microsoftFactory,
  slack: slackFactory,
};
