/**
 * The API connectors the service runs, by provider: what ActivityDeps.connectors holds unless a caller (a test)
 * injects its own. Each entry is a ConnectorFactory (activities/connectors/registry.ts); a provider with none makes
 * its sources fail as misconfigured, naming the provider.
 */
import type { ConnectorFactories } from './registry';

export const connectorFactories: ConnectorFactories = {
  // google: createGoogleConnector,
  // microsoft: createMicrosoftConnector,
  // slack: createSlackConnector,
};
