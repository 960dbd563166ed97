/**
 * The `doc` medium: a Markdown decision record, one file per delivery key (`<dir>/<slug>-<key>.md`), written
 * atomically (temp file + rename) so a crash never leaves half a record, and found again by its key.
 * Google Docs / SharePoint pages can replace this adapter behind the same port later.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Medium } from '../../schemas/routing';
import type { DeliveryChannel, DeliveryReceipt, DeliveryRequest } from './port';
import { ApplicationFailure } from '@temporalio/common';
import { DeliveryFailureType } from './provider-errors';

export interface DocChannelConfig {
  dir: string;
  now?: () => Date;
}

/** ascii, lowercase, dash-separated, at most 60 characters: readable and safe on every file system */
export function slugOf(subject: string): string {
  return (
    subject
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'decision'
  );
}

export class DocChannel implements DeliveryChannel {
  readonly name = 'doc';
  readonly mediums: readonly Medium[] = ['doc'];

  constructor(private readonly config: DocChannelConfig) {}

  async send(request: DeliveryRequest): Promise<DeliveryReceipt> {
    const earlier = await this.findSent(request);
    if (earlier) return earlier;
    await mkdir(this.config.dir, { recursive: true });
    const path = join(this.config.dir, `${slugOf(request.subject)}-${safeKey(request.idempotencyKey)}.md`);
    const recordedAt = (this.config.now ?? (() => new Date()))().toISOString();
    const content = [
      '---',
      `key: ${JSON.stringify(request.idempotencyKey)}`,
      `subject: ${JSON.stringify(request.subject)}`,
      `for: ${JSON.stringify(request.recipient.personId)}`,
      `recorded: ${JSON.stringify(recordedAt)}`,
      '---',
      '',
      `# ${request.subject}`,
      '',
      request.markdown.trimEnd(),
      '',
    ].join('\n');
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, content, 'utf8');
    await rename(temp, path);
    return { ref: `doc:${path}` };
  }

  async findSent(request: DeliveryRequest): Promise<DeliveryReceipt | undefined> {
    const suffix = `-${safeKey(request.idempotencyKey)}.md`;
    const names = await readdir(this.config.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    for (const name of names.filter((candidate) => candidate.endsWith(suffix)).sort()) {
      const path = join(this.config.dir, name);
      // the name could collide with a longer key ending the same way: the front matter decides
      const head = await readFile(path, 'utf8');
      if (head.includes(`\nkey: ${JSON.stringify(request.idempotencyKey)}\n`)) return { ref: `doc:${path}`, alreadySent: true };
    }
    return undefined;
  }
}

function safeKey(key: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) {
    throw ApplicationFailure.create({ type: DeliveryFailureType.Rejected, message: `doc: idempotency key "${key}" is not a safe file name`, nonRetryable: true });
  }
  return key;
}
