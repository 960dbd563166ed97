/**
 * RFC 5322 / MIME for the e-mail adapters that send raw messages (Gmail): a multipart/alternative message with a
 * text/plain and a text/html part, and a deterministic Message-ID built from the idempotency key, so a later
 * search by that id finds a message we already sent. Bodies are base64 (any UTF-8 survives every relay);
 * non-ASCII header text is RFC 2047 encoded.
 */

export interface MimeMessage {
  from: { name?: string; email: string };
  to: { name?: string; email: string }[];
  subject: string;
  messageId: string;
  text: string;
  html: string;
  /** extra headers; names must be X- headers */
  headers?: Record<string, string>;
}

/** The Message-ID our sends carry: the same key always gives the same id. */
export function messageIdFor(idempotencyKey: string): string {
  return `<${idempotencyKey}@mycelium>`;
}

function encodeWord(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function address({ name, email }: { name?: string; email: string }): string {
  if (!/^[^\s<>@",]+@[^\s<>@",]+$/.test(email)) throw new Error(`"${email}" is not an e-mail address`);
  if (!name) return email;
  const display = /^[\x20-\x7e]*$/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : encodeWord(name);
  return `${display} <${email}>`;
}

function base64Lines(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function headerValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('header values must not contain line breaks');
  return value;
}

export function buildMimeMessage(message: MimeMessage): string {
  const boundary = `mycelium-${Buffer.from(message.messageId).toString('hex').slice(0, 40)}`;
  const extra = Object.entries(message.headers ?? {}).map(([name, value]) => {
    if (!/^X-[A-Za-z0-9-]+$/i.test(name)) throw new Error(`custom header "${name}" must be an X- header`);
    return `${name}: ${headerValue(value)}`;
  });
  const lines = [
    `From: ${address(message.from)}`,
    `To: ${message.to.map(address).join(', ')}`,
    `Subject: ${encodeWord(headerValue(message.subject))}`,
    `Message-ID: ${headerValue(message.messageId)}`,
    ...extra,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(message.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(message.html),
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n');
}

export function toBase64Url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
