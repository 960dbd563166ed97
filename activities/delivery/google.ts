/**
 * What the Google adapters share: the API options (root URL from configuration, no retries inside the SDK —
 * Temporal owns retries) and the access-token provider. A token is asked for "as" a mailbox: a service account
 * with domain-wide delegation impersonates the sender (Gmail) or the organizer (Calendar); a static token or an
 * OAuth2 user client simply ignores it.
 */
import { JWT } from 'google-auth-library';

/** an OAuth access token acting as `subject` (an e-mail address) */
export type GoogleTokenProvider = (subject: string) => Promise<string>;

export interface GoogleApiConfig {
  accessToken: GoogleTokenProvider;
  /** default https://www.googleapis.com/ */
  baseUrl?: string;
}

export function googleApiOptions(config: GoogleApiConfig): { rootUrl: string; retry: false } {
  return { rootUrl: `${(config.baseUrl ?? 'https://www.googleapis.com').replace(/\/+$/, '')}/`, retry: false };
}

export async function authorizationAs(config: GoogleApiConfig, subject: string): Promise<{ headers: { Authorization: string } }> {
  return { headers: { Authorization: `Bearer ${await config.accessToken(subject)}` } };
}

/** The least the adapters need: send + search sent mail; create/read events; read free/busy. */
export const GOOGLE_SCOPES = {
  gmail: ['https://www.googleapis.com/auth/gmail.send', 'https://www.googleapis.com/auth/gmail.readonly'],
  calendar: ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.freebusy'],
} as const;

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
}

/**
 * Tokens of a service account with domain-wide delegation, one JWT client per impersonated mailbox (each caches
 * its token until shortly before expiry).
 */
export function serviceAccountTokens(key: ServiceAccountKey, scopes: readonly string[]): GoogleTokenProvider {
  const clients = new Map<string, JWT>();
  return async (subject) => {
    let client = clients.get(subject);
    if (!client) {
      client = new JWT({ email: key.client_email, key: key.private_key, scopes: [...scopes], subject });
      clients.set(subject, client);
    }
    const { token } = await client.getAccessToken();
    if (!token) throw new Error(`no access token for ${subject} from the service account ${key.client_email}`);
    return token;
  };
}
