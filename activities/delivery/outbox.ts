/**
 * The embedded delivery channel: one Markdown file per artifact under the outbox folder, plus an
 * optional console echo. Writing is atomic (temp file + rename) and idempotent by artifact id, so a
 * retried delivery never duplicates or half-writes a message.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OutboxMessage {
  artifactId: string;
  topic: string;
  recipients: string[];
  markdown: string;
}

export interface Outbox {
  deliver(message: OutboxMessage): Promise<string[]>;
}

export class FileOutbox implements Outbox {
  constructor(
    private readonly dir: string,
    private readonly echo?: (text: string) => void,
  ) {}

  async deliver(message: OutboxMessage): Promise<string[]> {
    if (!/^[\w.-]+$/.test(message.artifactId)) throw new Error(`artifact id "${message.artifactId}" is not a safe file name`);
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${message.artifactId}.md`);
    const content = `---\ntopic: ${JSON.stringify(message.topic)}\nto: ${JSON.stringify(message.recipients)}\n---\n\n${message.markdown}\n`;
    if ((await readFile(path, 'utf8').catch(() => undefined)) !== content) {
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, content, 'utf8');
      await rename(temp, path);
      this.echo?.(message.markdown);
    }
    return [`outbox:${path}`];
  }
}
