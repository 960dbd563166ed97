/**
 * Which connector reads a source: one factory per provider, given by injection (ActivityDeps.connectors), so the
 * pipeline (activities/connector-sync.ts) never imports a concrete connector and tests can hand it their own.
 *
 * A factory builds a Connector for one source from its registered record, its decrypted credentials and the
 * provider endpoints (MYCELIUM_*_BASE_URL, read once in activities/providers/endpoints.ts). It validates the
 * source's `config` itself (calendars, mailboxes, channels…) and throws a clear error when it is wrong.
 */
import type { ProviderEndpoints } from '../providers/endpoints';
import type { CredentialsOf } from './credentials';
import type { Connector, ConnectorProvider } from './port';

export const CONNECTOR_PROVIDERS = ['google', 'microsoft', 'slack'] as const satisfies readonly ConnectorProvider[];

/** A registered API source as a factory sees it. */
export interface ApiSource {
  id: string;
  kind: ConnectorProvider;
  /** provider options given to `myc sources add` (`--config '{…}'`): the factory validates them */
  config: Record<string, unknown>;
  ownerId: string | null;
}

export interface ConnectorEnv {
  endpoints: ProviderEndpoints;
}

export type ConnectorFactory<P extends ConnectorProvider = ConnectorProvider> = (
  source: ApiSource & { kind: P },
  credentials: CredentialsOf<P>,
  env: ConnectorEnv,
) => Connector;

export type ConnectorFactories = { [P in ConnectorProvider]?: ConnectorFactory<P> };

export class NoConnectorError extends Error {
  override name = 'NoConnectorError';
}

export function isConnectorProvider(kind: string): kind is ConnectorProvider {
  return (CONNECTOR_PROVIDERS as readonly string[]).includes(kind);
}

/** The connector for a source; throws NoConnectorError when none is wired for its kind. */
export function connectorFor(
  factories: ConnectorFactories | undefined,
  source: ApiSource,
  credentials: CredentialsOf<ConnectorProvider>,
  env: ConnectorEnv,
): Connector {
  if (credentials.provider !== source.kind) throw new NoConnectorError(`source ${source.id} is a ${source.kind} source but was given ${credentials.provider} credentials`);
  const factory = factories?.[source.kind] as ConnectorFactory | undefined;
  if (!factory) throw new NoConnectorError(`no ${source.kind} connector is wired in this worker (source ${source.id})`);
  const connector = factory(source, credentials, env);
  if (connector.provider !== source.kind) throw new NoConnectorError(`the ${source.kind} factory built a ${connector.provider} connector`);
  return connector;
}
