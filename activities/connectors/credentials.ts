/**
 * A source's credentials: what `myc sources add` accepts (a credentials file or an environment variable, read on
 * the service's side), the one JSON shape they are sealed in (activities/memory/sources.ts), and their resolution
 * for a connector at sync time. Only activities see them; workflows carry the source id alone.
 *
 *   google     a service-account key with domain-wide delegation (the key file from the Cloud console, plus the
 *              user to act as: `subject`), or per-user OAuth (an `authorized_user` file: client id/secret and a
 *              refresh token)
 *   microsoft  app-only client credentials (tenant, client id, client secret), or delegated (the same plus a
 *              refresh token)
 *   slack      a bot token (xoxb-…), and optionally the app's signing secret (Events API): {"token", "signingSecret"}
 */
import { z } from 'zod';
import type { ConnectorProvider } from './port';
import type { SourceRegistry } from '../memory/sources';

export const GoogleServiceAccount = z.object({
  provider: z.literal('google'),
  kind: z.literal('service-account'),
  clientEmail: z.email(),
  privateKey: z.string().min(1),
  /** the Workspace user the service account acts as (domain-wide delegation) */
  subject: z.email(),
  tokenUri: z.url().optional(),
});
export const GoogleOAuth = z.object({
  provider: z.literal('google'),
  kind: z.literal('oauth'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
});
export const MicrosoftClientCredentials = z.object({
  provider: z.literal('microsoft'),
  kind: z.literal('client-credentials'),
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});
export const MicrosoftDelegated = z.object({
  provider: z.literal('microsoft'),
  kind: z.literal('delegated'),
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  /** public clients have none */
  clientSecret: z.string().min(1).optional(),
  refreshToken: z.string().min(1),
});
export const SlackBotToken = z.object({
  provider: z.literal('slack'),
  kind: z.literal('bot-token'),
  token: z.string().min(1),
  /** the app's signing secret, which verifies its Events API requests (else MYCELIUM_SLACK_SIGNING_SECRET) */
  signingSecret: z.string().min(1).optional(),
});

export const SourceCredentials = z.union([GoogleServiceAccount, GoogleOAuth, MicrosoftClientCredentials, MicrosoftDelegated, SlackBotToken]);
export type SourceCredentials = z.infer<typeof SourceCredentials>;
export type CredentialsOf<P extends ConnectorProvider> = Extract<SourceCredentials, { provider: P }>;

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/** What `sources add` was given; every value is read on the service's side. */
export interface CredentialsInput {
  provider: ConnectorProvider;
  /** the text of --credentials-file */
  fileText?: string;
  /** the value of the variable --token-env names */
  envText?: string;
  /** where they came from, for messages (never the value) */
  origin: string;
  /** google service account: the user to act as */
  subject?: string;
  /** microsoft, when the secret alone is given (--token-env holding the client secret) */
  tenantId?: string;
  clientId?: string;
}

const GoogleServiceAccountFile = z.object({
  type: z.literal('service_account'),
  client_email: z.email(),
  private_key: z.string().min(1),
  token_uri: z.url().optional(),
});
const GoogleAuthorizedUserFile = z.object({
  type: z.literal('authorized_user'),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  refresh_token: z.string().min(1),
});
const MicrosoftFile = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  refreshToken: z.string().min(1).optional(),
});

function issues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CredentialsError(`${origin} is not JSON`);
  }
}

/** The credentials `sources add` stores, from a file's or a variable's text; errors name what is missing, never a value. */
export function credentialsFromInput(input: CredentialsInput): SourceCredentials {
  const text = (input.fileText ?? input.envText)?.trim();
  if (!text) throw new CredentialsError(`${input.origin} is empty`);
  const looksJson = text.startsWith('{');
  switch (input.provider) {
    case 'slack': {
      const token = looksJson
        ? z.object({ token: z.string().min(1), signingSecret: z.string().min(1).optional() }).safeParse(parseJson(text, input.origin))
        : { success: true as const, data: { token: text, signingSecret: undefined } };
      if (!token.success) throw new CredentialsError(`${input.origin}: a Slack credentials file holds {"token": "xoxb-…", "signingSecret": "…"} (${issues(token.error)})`);
      if (!/^xox[a-z]-/.test(token.data.token)) throw new CredentialsError(`${input.origin} does not hold a Slack token (xoxb-…)`);
      const { signingSecret } = token.data;
      return { provider: 'slack', kind: 'bot-token', token: token.data.token, ...(signingSecret ? { signingSecret } : {}) };
    }
    case 'google': {
      if (!looksJson) throw new CredentialsError(`${input.origin}: Google needs a service-account key or an authorized_user file (JSON)`);
      const json = parseJson(text, input.origin);
      const type = (json as { type?: unknown }).type;
      if (type === 'service_account') {
        const file = GoogleServiceAccountFile.safeParse(json);
        if (!file.success) throw new CredentialsError(`${input.origin} is not a usable service-account key (${issues(file.error)})`);
        if (!input.subject) throw new CredentialsError('a Google service account acts as a Workspace user through domain-wide delegation: give --subject <admin or user email>');
        const subject = z.email().safeParse(input.subject);
        if (!subject.success) throw new CredentialsError(`--subject must be an e-mail address`);
        return {
          provider: 'google',
          kind: 'service-account',
          clientEmail: file.data.client_email,
          privateKey: file.data.private_key,
          subject: subject.data,
          ...(file.data.token_uri ? { tokenUri: file.data.token_uri } : {}),
        };
      }
      if (type === 'authorized_user') {
        const file = GoogleAuthorizedUserFile.safeParse(json);
        if (!file.success) throw new CredentialsError(`${input.origin} is not a usable authorized_user file (${issues(file.error)})`);
        return { provider: 'google', kind: 'oauth', clientId: file.data.client_id, clientSecret: file.data.client_secret, refreshToken: file.data.refresh_token };
      }
      throw new CredentialsError(`${input.origin}: "type" must be "service_account" or "authorized_user"`);
    }
    case 'microsoft': {
      const raw = looksJson ? parseJson(text, input.origin) : { tenantId: input.tenantId, clientId: input.clientId, clientSecret: text };
      const merged = { tenantId: input.tenantId, clientId: input.clientId, ...(raw as object) };
      const file = MicrosoftFile.safeParse(merged);
      if (!file.success) {
        throw new CredentialsError(`${input.origin}: Microsoft needs tenantId and clientId (in the file, or --tenant-id / --client-id) with a clientSecret and/or a refreshToken (${issues(file.error)})`);
      }
      const { tenantId, clientId, clientSecret, refreshToken } = file.data;
      if (refreshToken) return { provider: 'microsoft', kind: 'delegated', tenantId, clientId, refreshToken, ...(clientSecret ? { clientSecret } : {}) };
      if (!clientSecret) throw new CredentialsError(`${input.origin}: Microsoft needs a clientSecret (app-only) or a refreshToken (delegated)`);
      return { provider: 'microsoft', kind: 'client-credentials', tenantId, clientId, clientSecret };
    }
  }
}

/** The credentials of a registered source, decrypted; a clear error when there are none or they do not fit its kind. */
export async function resolveCredentials(sources: Pick<SourceRegistry, 'secret'>, source: { id: string; kind: string }): Promise<SourceCredentials> {
  const text = await sources.secret(source.id);
  if (text === undefined) throw new CredentialsError(`source ${source.id} has no credentials: add them with \`myc sources add ${source.kind} ${source.id} --credentials-file …\``);
  const parsed = SourceCredentials.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CredentialsError(`source ${source.id}: its stored credentials are not in a known shape`);
  if (parsed.data.provider !== source.kind) throw new CredentialsError(`source ${source.id} is a ${source.kind} source but holds ${parsed.data.provider} credentials`);
  return parsed.data;
}
