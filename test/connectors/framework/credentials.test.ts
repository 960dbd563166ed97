/**
 * What `myc sources add` accepts as credentials, per provider: the stored shape, and errors that name what is
 * missing without ever repeating a secret.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentialsFromInput, CredentialsError } from '../../../activities/connectors/credentials';
import { addSource } from '../../../clients/sources';
import { InvalidInputError } from '../../../clients/registry/errors';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const serviceAccount = JSON.stringify({ type: 'service_account', client_email: 'reader@acme-proj.iam.gserviceaccount.com', private_key: privateKey, token_uri: 'https://oauth2.googleapis.com/token' });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialsError);
    return (error as Error).message;
  }
  throw new Error('expected a CredentialsError');
}

describe('credentialsFromInput', () => {
  it('Google: a service-account key acts as the --subject user; without one it says so', () => {
    expect(credentialsFromInput({ provider: 'google', fileText: serviceAccount, origin: 'key.json', subject: 'admin@acme.test' })).toMatchObject({
      provider: 'google',
      kind: 'service-account',
      clientEmail: 'reader@acme-proj.iam.gserviceaccount.com',
      subject: 'admin@acme.test',
    });
    const message = refusal(() => credentialsFromInput({ provider: 'google', fileText: serviceAccount, origin: 'key.json' }));
    expect(message).toMatch(/--subject/);
    expect(message).not.toContain('PRIVATE KEY');
  });

  it('Google: an authorized_user file is per-user OAuth; anything else is refused by its type', () => {
    const file = JSON.stringify({ type: 'authorized_user', client_id: 'cid', client_secret: 'csecret', refresh_token: '1//refresh' });
    expect(credentialsFromInput({ provider: 'google', fileText: file, origin: 'user.json' })).toEqual({ provider: 'google', kind: 'oauth', clientId: 'cid', clientSecret: 'csecret', refreshToken: '1//refresh' });
    expect(refusal(() => credentialsFromInput({ provider: 'google', fileText: '{"type":"external_account"}', origin: 'x.json' }))).toMatch(/"type" must be/);
    expect(refusal(() => credentialsFromInput({ provider: 'google', envText: 'ya29.raw-token', origin: 'the variable G' }))).toMatch(/JSON/);
  });

  it('Microsoft: a client secret from the environment with --tenant-id/--client-id, or a file with a refresh token', () => {
    expect(credentialsFromInput({ provider: 'microsoft', envText: 's3cr3t~value', origin: 'the variable M', tenantId: 'tenant-1', clientId: 'app-1' })).toEqual({
      provider: 'microsoft',
      kind: 'client-credentials',
      tenantId: 'tenant-1',
      clientId: 'app-1',
      clientSecret: 's3cr3t~value',
    });
    const delegated = JSON.stringify({ tenantId: 't', clientId: 'c', refreshToken: '0.AAA-refresh' });
    expect(credentialsFromInput({ provider: 'microsoft', fileText: delegated, origin: 'ms.json' })).toMatchObject({ kind: 'delegated', refreshToken: '0.AAA-refresh' });
    const message = refusal(() => credentialsFromInput({ provider: 'microsoft', envText: 's3cr3t~value', origin: 'the variable M' }));
    expect(message).toMatch(/tenantId/);
    expect(message).not.toContain('s3cr3t~value');
  });

  it('Slack: a bot token, bare or as {"token"}; something else is refused without echoing it', () => {
    expect(credentialsFromInput({ provider: 'slack', envText: 'xoxb-1-2-abc', origin: 'the variable S' })).toEqual({ provider: 'slack', kind: 'bot-token', token: 'xoxb-1-2-abc' });
    expect(credentialsFromInput({ provider: 'slack', fileText: '{"token":"xoxb-9"}', origin: 'slack.json' })).toMatchObject({ token: 'xoxb-9' });
    const message = refusal(() => credentialsFromInput({ provider: 'slack', envText: 'hunter2', origin: 'the variable S' }));
    expect(message).toMatch(/does not hold a Slack token/);
    expect(message).not.toContain('hunter2');
  });
});

describe('sources add', () => {
  it('takes the credentials from exactly one place', async () => {
    const both = { kind: 'slack' as const, sourceId: 's', credentialsFile: '/tmp/x', tokenEnv: 'X' };
    await expect(addSource({} as never, both, 'admin@acme.test')).rejects.toThrow(InvalidInputError);
    await expect(addSource({} as never, { kind: 'slack', sourceId: 's' }, 'admin@acme.test')).rejects.toThrow(/exactly one of --credentials-file/);
  });
});
