/**
 * Where Mycelium's Temporal connections go, and how they authenticate: Temporal's environment-configuration
 * profiles (the TOML file the Temporal CLI reads too, loaded by the SDK's `@temporalio/envconfig`), with the
 * Temporal environment variables over them.
 *
 *   TEMPORAL_CONFIG_FILE   the profiles file (default: the Temporal CLI's, ~/.config/temporalio/temporal.toml)
 *   TEMPORAL_PROFILE       the profile to use (default: `default`, when the file has one)
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH /
 *   _CLIENT_KEY_PATH / _SERVER_CA_CERT_PATH / _SERVER_NAME (and their _DATA forms), TEMPORAL_GRPC_META_<NAME>
 *                          win over the profile's values, as in the Temporal CLI; an empty value counts as unset
 *
 * A profiles file is read only when TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE asks for one: a machine whose
 * Temporal CLI is set up for another cluster keeps the embedded default (`myc dev` starts its own dev server)
 * until Mycelium is pointed at a profile. An API key implies TLS (Temporal Cloud).
 *
 * The key and the certificates travel only in the connection options built here; `describeTemporalTarget` is
 * what logs and messages show (address, namespace, profile, "API key" — never the key itself).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfig, loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';

/** What a connection needs beyond the address: TLS (server CA, client certificate for mTLS), an API key, gRPC headers. */
export interface TemporalConnectionSecurity {
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** Options for `Connection.connect` and `NativeConnection.connect` alike. */
export interface TemporalConnectionOptions extends TemporalConnectionSecurity {
  address: string;
}

/** The Temporal server the environment names, if any, and how to reach it. */
export interface TemporalTarget {
  /** host:port (TEMPORAL_ADDRESS, else the profile's); undefined when neither names one */
  address?: string;
  /** TEMPORAL_NAMESPACE, else the profile's */
  namespace?: string;
  security: TemporalConnectionSecurity;
  /** the profile used, when a profiles file was read */
  profile?: string;
  /** the profiles file read, if any */
  configFile?: string;
}

export class TemporalConfigError extends Error {
  override readonly name = 'TemporalConfigError';
}

const DEFAULT_PROFILE = 'default';

/**
 * The Temporal target of an environment (default process.env): the selected profile with the Temporal variables
 * over it. Throws a TemporalConfigError naming the file and the profiles it has when the profile asked for is not
 * there, or when TEMPORAL_CONFIG_FILE names a file that does not exist.
 */
export function temporalTargetFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const vars = temporalVariables(env);
  const profileName = vars.TEMPORAL_PROFILE;
  const explicitFile = vars.TEMPORAL_CONFIG_FILE;
  const readFile = Boolean(explicitFile || profileName);
  const configFile = readFile ? (explicitFile ?? defaultConfigFile(env)) : undefined;
  if (explicitFile && !existsSync(explicitFile)) {
    throw new TemporalConfigError(`TEMPORAL_CONFIG_FILE=${explicitFile}: no such file (it should hold the Temporal profiles, [profile.<name>] tables)`);
  }
  if (profileName && configFile) assertProfileExists(profileName, configFile, vars);

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ disableFile: !readFile, overrideEnvVars: vars });
  } catch (error) {
    throw new TemporalConfigError(`could not read the Temporal profile ${profileName ?? DEFAULT_PROFILE}${configFile ? ` from ${configFile}` : ''}: ${messageOf(error)}`);
  }
  let connect: ReturnType<typeof toClientOptions>;
  try {
    // reads the certificate files the profile names
    connect = toClientOptions(profile);
  } catch (error) {
    throw new TemporalConfigError(`the TLS settings of the Temporal profile ${profileName ?? DEFAULT_PROFILE} cannot be used: ${messageOf(error)}`);
  }
  const { address, tls } = connect.connectionOptions;
  const { apiKey, grpcMeta: metadata } = profile;
  const security: TemporalConnectionSecurity = {
    ...(tls === undefined || tls === null ? {} : { tls }),
    ...(apiKey ? { apiKey } : {}),
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
  const used = readFile && configFile && existsSync(configFile) ? { configFile, profile: profileName ?? DEFAULT_PROFILE } : {};
  return {
    ...(address ? { address } : {}),
    ...(connect.namespace ? { namespace: connect.namespace } : {}),
    security,
    ...used,
  };
}

/** The options a connection to `address` is made with. */
export function temporalConnectionOptions(address: string, security: TemporalConnectionSecurity = {}): TemporalConnectionOptions {
  return { address, ...security };
}

/** For logs and messages: where, which namespace, from which profile, with what kind of credentials — no secret. */
export function describeTemporalTarget(target: { address?: string; namespace?: string; profile?: string; configFile?: string; security?: TemporalConnectionSecurity }): string {
  const parts: string[] = [target.address ?? '(no address)'];
  if (target.namespace) parts.push(`namespace ${target.namespace}`);
  if (target.profile) parts.push(`profile ${target.profile}${target.configFile ? ` of ${target.configFile}` : ''}`);
  const security = target.security ?? {};
  if (security.apiKey) parts.push('API key');
  if (security.tls && typeof security.tls === 'object' && security.tls.clientCertPair) parts.push('mTLS');
  else if (security.tls) parts.push('TLS');
  return parts.join(', ');
}

/**
 * The TEMPORAL_* variables envconfig reads, without empty ones: `TEMPORAL_ADDRESS=` means "not set" to
 * Mycelium (as it always has), where envconfig would take the empty string as the address. An empty
 * TEMPORAL_GRPC_META_<NAME> keeps its meaning (remove that header).
 */
function temporalVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.startsWith('TEMPORAL_GRPC_META_')) out[name] = value;
    else if (value.trim() !== '') out[name] = name.startsWith('TEMPORAL_') ? value.trim() : value;
  }
  return out;
}

function assertProfileExists(profileName: string, configFile: string, vars: Record<string, string>): void {
  if (!existsSync(configFile)) {
    throw new TemporalConfigError(`TEMPORAL_PROFILE=${profileName}, but there is no Temporal profiles file at ${configFile} (set TEMPORAL_CONFIG_FILE)`);
  }
  let names: string[];
  try {
    names = Object.keys(loadClientConfig({ configSource: { path: configFile }, overrideEnvVars: vars }).profiles);
  } catch (error) {
    throw new TemporalConfigError(`could not read the Temporal profiles file ${configFile}: ${messageOf(error)}`);
  }
  if (!names.includes(profileName)) {
    throw new TemporalConfigError(
      `Temporal profile "${profileName}" (TEMPORAL_PROFILE) is not in ${configFile}: ` +
        (names.length > 0 ? `it has ${names.map((n) => `"${n}"`).join(', ')}` : 'it has no [profile.<name>] tables'),
    );
  }
}

/** Where envconfig looks when TEMPORAL_CONFIG_FILE is unset (the Temporal CLI's file), for messages and the check above. */
function defaultConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME?.trim() || undefined;
  let dir: string | undefined;
  switch (os.platform()) {
    case 'win32':
      dir = env.APPDATA?.trim() || undefined;
      break;
    case 'darwin':
      dir = home && path.join(home, 'Library', 'Application Support');
      break;
    default: {
      const xdg = env.XDG_CONFIG_HOME?.trim();
      dir = xdg ? (path.isAbsolute(xdg) ? xdg : undefined) : home && path.join(home, '.config');
    }
  }
  return dir && path.join(dir, 'temporalio', 'temporal.toml');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
