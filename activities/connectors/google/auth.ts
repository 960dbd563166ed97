/**
 * Access tokens per impersonated subject. A token request the identity provider refuses (`invalid_grant`: a revoked
 * refresh token, a service account without domain-wide delegation for the scopes, a suspended subject) is re-thrown
 * as the shared layer's TokenRequestError carrying the OAuth `error` field, so the error layer classifies it by that field: the
 * google-auth-library's GaxiosError is a different class copy from the one googleapis throws.
 */
import { JWT, OAuth2Client } from 'google-auth-library';
import { TokenRequestError } from '../../providers/errors';
import type { GoogleCredentials, GoogleTokenProvider } from './config';

interface TokenFailureShape {
  status?: number;
  response?: { status?: number; data?: unknown };
}

function tokenError(error: unknown, subject: string): Error {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as TokenFailureShape;
  const status = shape.response?.status ?? shape.status;
  if (typeof status !== 'number') return error instanceof Error ? error : new Error(String(error));
  const data = shape.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  const code = typeof data?.error === 'string' ? data.error : undefined;
  const description = typeof data?.error_description === 'string' ? `: ${data.error_description}` : '';
  return new TokenRequestError(status, new Headers(), `token request as ${subject} refused (${status}${code ? ` ${code}` : ''})${description}`, code);
}

/** The scopes each stream needs, least privilege (the README lists them too). */
export const GOOGLE_READ_SCOPES = {
  calendar: ['https://www.googleapis.com/auth/calendar.events.readonly'],
  gmail: ['https://www.googleapis.com/auth/gmail.readonly'],
  drive: ['https://www.googleapis.com/auth/drive.readonly'],
  directory: ['https://www.googleapis.com/auth/admin.directory.user.readonly', 'https://www.googleapis.com/auth/admin.directory.group.readonly'],
} as const;

const withSubjectErrors =
  (fetchToken: (subject: string) => Promise<string | null | undefined>): GoogleTokenProvider =>
  async (subject) => {
    let token: string | null | undefined;
    try {
      token = await fetchToken(subject);
    } catch (error) {
      throw tokenError(error, subject);
    }
    if (!token) throw new TokenRequestError(401, new Headers(), `no access token for ${subject}`);
    return token;
  };

/** A token provider for the credentials, asking for `scopes` (the union the source's streams need). */
export function tokenProvider(credentials: GoogleCredentials, scopes: readonly string[]): GoogleTokenProvider {
  switch (credentials.kind) {
    case 'token':
      return credentials.accessToken;
    case 'service-account': {
      // one JWT client per impersonated subject: each caches its token until shortly before expiry
      const clients = new Map<string, JWT>();
      return withSubjectErrors(async (subject) => {
        let client = clients.get(subject);
        if (!client) {
          client = new JWT({ email: credentials.key.client_email, key: credentials.key.private_key, scopes: [...scopes], subject });
          clients.set(subject, client);
        }
        return (await client.getAccessToken()).token;
      });
    }
    case 'oauth': {
      // one user's grant: the subject is whoever granted it, whatever stream asks
      const client = new OAuth2Client({
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        ...(credentials.tokenUrl ? { endpoints: { oauth2TokenUrl: credentials.tokenUrl } } : {}),
      });
      client.setCredentials({ refresh_token: credentials.refreshToken });
      return withSubjectErrors(async () => (await client.getAccessToken()).token);
    }
  }
}
