/**
 * The embedded delivery channel: one Markdown file per artifact under the outbox folder, plus an
 * optional console echo. Writing is atomic (temp file + rename) and idempotent by artifact id, so a
 * retried delivery never duplicates or half-writes a message, and a file under the artifact's name is
 * proof that the whole message went out (sentRef), which is what the delivery ledger asks after a crash.
 */
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OutboxMessage {
  artifactId: string;
  topic: string;
  recipients: string[];
  markdown: string;
}

export interface Outbox {
  deliver(message: OutboxMessage): Promise<string[]>;
  /** the reference of an earlier delivery of this artifact, if it went out; an outbox without it cannot tell */
  sentRef?(artifactId: string): Promise<string | undefined>;
}

export class FileOutbox implements Outbox {
  constructor(
    private readonly dir: string,
    private readonly echo?: (text: string) => void,
  ) {}

  async deliver(message: OutboxMessage): Promise<string[]> {
    const path = this.pathOf(message.artifactId);
    await mkdir(this.dir, { recursive: true });
    const content = `---\ntopic: ${JSON.stringify(message.topic)}\nto: ${JSON.stringify(message.recipients)}\n---\n\n${message.markdown}\n`;
    if ((await readFile(path, 'utf8').catch(() => undefined)) !== content) {
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, content, 'utf8');
      await rename(temp, path);
      this.echo?.(message.markdown);
    }
    return [`outbox:${path}`];
  }

  async sentRef(artifactId: string): Promise<string | undefined> {
    const path = this.pathOf(artifactId);
    // the rename is the last step of a delivery: a temp file left by a killed writer never counts
    return access(path).then(
      () => `outbox:${path}`,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
  }

  private pathOf(artifactId: string): string {
    if (!/^[\w.-]+$/.test(artifactId)) throw new Error(`artifact id "${artifactId}" is not a safe file name`);
    return join(this.dir, `${artifactId}.md`);
  }
}
