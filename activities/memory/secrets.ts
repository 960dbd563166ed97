/**
 * Secrets at rest: AES-256-GCM (node:crypto) under a key from MYCELIUM_SECRET_KEY (32 bytes, base64 or hex).
 * The key is never stored; its id (a hash prefix) is, so a secret sealed under another key is refused with a
 * message that says so instead of a bare "unable to authenticate data". The source id is the additional
 * authenticated data: a ciphertext copied to another source's row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const SECRET_KEY_ENV = 'MYCELIUM_SECRET_KEY';

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

export interface SealedSecret {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

/** The 32-byte key from its text form: 64 hex digits, or base64 / base64url of 32 bytes. */
export function parseSecretKey(text: string | undefined, name = SECRET_KEY_ENV): Buffer {
  const raw = text?.trim();
  if (!raw) {
    throw new SecretKeyError(
      `${name} is not set: API sources keep their credentials encrypted with it. Make one with ` +
        `\`openssl rand -base64 32\` and give the service the same value on every start.`,
    );
  }
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : undefined;
  if (!key || key.length !== 32) {
    throw new SecretKeyError(`${name} must be 32 bytes, as 64 hex digits or base64 (\`openssl rand -base64 32\`); it decodes to ${key ? `${key.length} bytes` : 'neither'}`);
  }
  return key;
}

export class SecretBox {
  readonly #key: Buffer;
  readonly keyId: string;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecretKeyError(`an AES-256 key is 32 bytes, not ${key.length}`);
    this.#key = key;
    this.keyId = createHash('sha256').update('mycelium-secret-key-id').update(key).digest('hex').slice(0, 16);
  }

  static fromEnv(env: Record<string, string | undefined> = process.env): SecretBox {
    return new SecretBox(parseSecretKey(env[SECRET_KEY_ENV]));
  }

  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.keyId, iv, ciphertext, authTag: cipher.getAuthTag() };
  }

  open(sealed: SealedSecret, context: string): string {
    if (sealed.keyId !== this.keyId) {
      throw new SecretKeyError(`the secret of ${context} was encrypted with another ${SECRET_KEY_ENV} (key id ${sealed.keyId}, this one is ${this.keyId}): start with that key, or add the source's credentials again`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.authTag);
    try {
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`the secret of ${context} does not authenticate: it was altered, or moved from another source`);
    }
  }
}
