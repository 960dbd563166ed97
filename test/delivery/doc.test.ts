import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocChannel, slugOf } from '../../activities/delivery/doc';
import { OutboxChannel } from '../../activities/delivery/outbox-channel';
import type { DeliveryRequest } from '../../activities/delivery/port';
import { failureOf } from './wire-server';

const request: DeliveryRequest = {
  idempotencyKey: 'notify-d12-record',
  medium: 'doc',
  recipient: { personId: 'alice@acme.test', name: 'Alice Chen', email: 'alice@acme.test', timezone: 'UTC' },
  subject: 'Décision D-12: ship Android first!',
  markdown: 'Decided by Alice on 2026-03-02.\n\n- owner: Bob\n',
};

describe('DocChannel (Markdown decision records)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myc-doc-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('slugs are ascii, bounded and never empty', () => {
    expect(slugOf('Décision D-12: ship Android first!')).toBe('decision-d-12-ship-android-first');
    expect(slugOf('x'.repeat(100))).toHaveLength(60);
    expect(slugOf('¿?')).toBe('decision');
  });

  it('writes <slug>-<key>.md atomically with the key in its front matter, once', async () => {
    const channel = new DocChannel({ dir: join(dir, 'decisions'), now: () => new Date('2026-03-02T12:00:00Z') });
    expect(await channel.findSent(request)).toBeUndefined();
    const path = join(dir, 'decisions', 'decision-d-12-ship-android-first-notify-d12-record.md');
    expect(await channel.send(request)).toEqual({ ref: `doc:${path}` });
    expect(await readFile(path, 'utf8')).toBe(
      '---\nkey: "notify-d12-record"\nsubject: "Décision D-12: ship Android first!"\nfor: "alice@acme.test"\nrecorded: "2026-03-02T12:00:00.000Z"\n---\n\n# Décision D-12: ship Android first!\n\nDecided by Alice on 2026-03-02.\n\n- owner: Bob\n',
    );
    expect(await channel.findSent(request)).toEqual({ ref: `doc:${path}`, alreadySent: true });
    // a retry, even with a changed subject, finds the record instead of writing a second one
    expect(await channel.send({ ...request, subject: 'D-12 (edited)' })).toEqual({ ref: `doc:${path}`, alreadySent: true });
    expect(await readdir(join(dir, 'decisions'))).toEqual(['decision-d-12-ship-android-first-notify-d12-record.md']);
  });

  it('a key that only shares a suffix is a different record', async () => {
    const channel = new DocChannel({ dir });
    await channel.send({ ...request, idempotencyKey: 'x-notify-d12-record' });
    expect(await channel.findSent(request)).toBeUndefined();
  });

  it('an unsafe key is rejected', async () => {
    const failure = await failureOf(new DocChannel({ dir }).send({ ...request, idempotencyKey: '../escape' }));
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('OutboxChannel (the embedded default)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myc-outbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('serves every medium, marks the medium it would have been, and finds its earlier send', async () => {
    const echoed: string[] = [];
    const channel = new OutboxChannel({ dir, echo: (text) => echoed.push(text) });
    expect(channel.mediums).toEqual(['digest', 'doc', 'chat_dm', 'chat_channel', 'email', 'call']);
    const email = { ...request, medium: 'email' as const };
    expect(await channel.findSent(email)).toBeUndefined();
    const path = join(dir, 'delivery-notify-d12-record.md');
    expect(await channel.send(email)).toEqual({ ref: `outbox:${path}` });
    expect(await readFile(path, 'utf8')).toBe(`---\ntopic: "[email] Décision D-12: ship Android first!"\nto: ["alice@acme.test"]\n---\n\n${request.markdown}\n`);
    expect(await channel.findSent(email)).toEqual({ ref: `outbox:${path}`, alreadySent: true });
    await channel.send(email);
    expect(echoed).toHaveLength(1);
  });
});
