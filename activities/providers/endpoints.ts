/**
 * Where each provider's API lives. The one place MYCELIUM_GOOGLE_BASE_URL / MYCELIUM_GRAPH_BASE_URL /
 * MYCELIUM_SLACK_BASE_URL (and the token endpoints, MYCELIUM_GOOGLE_TOKEN_URL / MYCELIUM_GRAPH_LOGIN_URL) are
 * read, for connectors and delivery alike: a proxy, a sovereign cloud or a test server
 * is one variable away, and the defaults are the real hosts.
 */
export interface ProviderEndpoints {
  /** googleapis' root URL (every Workspace API answers under it) */
  google: string;
  /** Microsoft Graph, without the version segment */
  graph: string;
  /** Slack, without `/api/` */
  slack: string;
  /** Google's OAuth token endpoint (refresh-token grants; service-account JWTs go to Google's own, fixed by the library) */
  googleToken: string;
  /** the Microsoft identity platform, before `/<tenant>/oauth2/v2.0/token` */
  microsoftLogin: string;
}

export const DEFAULT_ENDPOINTS: ProviderEndpoints = {
  google: 'https://www.googleapis.com',
  graph: 'https://graph.microsoft.com',
  slack: 'https://slack.com',
  googleToken: 'https://oauth2.googleapis.com/token',
  microsoftLogin: 'https://login.microsoftonline.com',
};

type Env = Record<string, string | undefined>;

function baseUrl(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL, not ${url.protocol}`);
  // no trailing slash: every caller appends its own path
  return raw.replace(/\/+$/, '');
}

export function providerEndpoints(env: Env = process.env): ProviderEndpoints {
  return {
    google: baseUrl(env, 'MYCELIUM_GOOGLE_BASE_URL', DEFAULT_ENDPOINTS.google),
    graph: baseUrl(env, 'MYCELIUM_GRAPH_BASE_URL', DEFAULT_ENDPOINTS.graph),
    slack: baseUrl(env, 'MYCELIUM_SLACK_BASE_URL', DEFAULT_ENDPOINTS.slack),
    googleToken: baseUrl(env, 'MYCELIUM_GOOGLE_TOKEN_URL', DEFAULT_ENDPOINTS.googleToken),
    microsoftLogin: baseUrl(env, 'MYCELIUM_GRAPH_LOGIN_URL', DEFAULT_ENDPOINTS.microsoftLogin),
  };
}

/**
 * The service's public base URL (MYCELIUM_PUBLIC_URL, e.g. https://mycelium.acme.com): where providers deliver push
 * notifications (/webhooks/…). Undefined when not set: push channels are then not set up, and sources are kept
 * fresh by their scheduled syncs alone. Google requires HTTPS on a verified domain; Graph requires HTTPS.
 */
export function servicePublicUrl(env: Env = process.env): string | undefined {
  const raw = env.MYCELIUM_PUBLIC_URL?.trim();
  if (!raw) return undefined;
  return baseUrl(env, 'MYCELIUM_PUBLIC_URL', raw);
}
