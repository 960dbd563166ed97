/**
 * The embedded default finds its own earlier sends: a file named by the key, complete (written to a temp file and
 * renamed), is the proof a retry asks for (findSent), whichever of the two outbox channels wrote it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../activities/delivery/outbox';
import { OutboxChannel } from '../../activities/delivery/outbox-channel';
import type { DeliveryRequest } from '../../activities/delivery/port';
import { outboxChannels } from '../../activities/notify-delivery';

const alice = { personId: 'alice@acme.test', name: 'Alice Chen', email: 'alice@acme.test', timezone: 'UTC' };
const bob = { personId: 'bob@acme.test', name: 'Bob', email: 'bob@acme.test', timezone: 'UTC' };
const carol = { personId: 'carol@acme.test', name: 'Carol', email: 'carol@acme.test', timezone: 'UTC' };
const request: DeliveryRequest = { idempotencyKey: 'ntf-0123456789abcdef0123456789ab', medium: 'chat_dm', recipient: alice, subject: 'D-12', markdown: 'Ship Android first.' };

describe('FileOutbox.sentRef', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myc-outbox-find-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is undefined before the delivery and the delivery reference after it, also from another instance', async () => {
    const outbox = new FileOutbox(join(dir, 'not-yet-created'));
    expect(await outbox.sentRef('brief-1')).toBeUndefined();
    const [ref] = await outbox.deliver({ artifactId: 'brief-1', topic: 'Brief', recipients: ['alice@acme.test'], markdown: 'hello' });
    expect(await outbox.sentRef('brief-1')).toBe(ref);
    // a new worker process has nothing in memory: the file is the record
    expect(await new FileOutbox(join(dir, 'not-yet-created')).sentRef('brief-1')).toBe(ref);
    expect(await outbox.sentRef('brief-2')).toBeUndefined();
  });

  it('a temp file left by a writer killed before its rename does not count', async () => {
    const outbox = new FileOutbox(dir);
    await writeFile(join(dir, 'brief-1.md.4242.tmp'), 'half a mess', 'utf8');
    expect(await outbox.sentRef('brief-1')).toBeUndefined();
    await outbox.deliver({ artifactId: 'brief-1', topic: 'Brief', recipients: ['alice@acme.test'], markdown: 'hello' });
    expect(await readFile(join(dir, 'brief-1.md'), 'utf8')).toContain('hello');
    expect(await outbox.sentRef('brief-1')).toBe(`outbox:${join(dir, 'brief-1.md')}`);
  });

  it('an unsafe artifact id is refused by name, for the look-up as for the write', async () => {
    const outbox = new FileOutbox(dir);
    await expect(outbox.sentRef('../escape')).rejects.toThrow(/artifact id "\.\.\/escape" is not a safe file name/);
    await expect(outbox.deliver({ artifactId: 'a/b', topic: 't', recipients: [], markdown: 'm' })).rejects.toThrow(/"a\/b"/);
  });

  it('a folder that cannot be read is an error, not "never sent"', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x', 'utf8');
    // the outbox "folder" is a file: ENOTDIR must surface, or a retry would send again
    await expect(new FileOutbox(file).sentRef('brief-1')).rejects.toThrow(/ENOTDIR/);
  });
});

describe('outboxChannels (the resolver without any provider) finds its earlier send', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myc-outbox-channels-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('findSent is the file of the key, marked alreadySent; another key is not found', async () => {
    const channels = outboxChannels(new FileOutbox(dir));
    const channel = channels.forMedium('email', alice);
    expect(await channel.findSent(request)).toBeUndefined();
    const receipt = await channel.send(request);
    expect(receipt).toEqual({ ref: `outbox:${join(dir, `${request.idempotencyKey}.md`)}` });
    expect(await channel.findSent(request)).toEqual({ ref: receipt.ref, alreadySent: true });
    expect(await channel.findSent({ ...request, idempotencyKey: 'ntf-ffffffffffffffffffffffffffff' })).toBeUndefined();
  });

  it('byName names only the outbox, the channel the ledger records for it', () => {
    const channels = outboxChannels(new FileOutbox(dir));
    expect(channels.byName?.('outbox')).toBe(channels.forMedium('digest', alice));
    expect(channels.byName?.('slack')).toBeUndefined();
  });

  it('an outbox that cannot look up reports nothing found (it must be idempotent by artifact id itself)', async () => {
    const written: string[] = [];
    const channel = outboxChannels({ deliver: async (m) => (written.push(m.artifactId), [`memory:${m.artifactId}`]) }).forMedium('email', alice);
    await channel.send(request);
    expect(await channel.findSent(request)).toBeUndefined();
    expect(written).toEqual([request.idempotencyKey]);
  });
});

describe('OutboxChannel (the configured default) finds its earlier send', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'myc-outbox-channel-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('by the delivery file of the key, which a second instance (a restarted worker) finds too', async () => {
    const receipt = await new OutboxChannel({ dir }).send(request);
    const restarted = new OutboxChannel({ dir });
    expect(await restarted.findSent(request)).toEqual({ ref: receipt.ref, alreadySent: true });
    expect(await restarted.findSent({ ...request, idempotencyKey: `${request.idempotencyKey}x` })).toBeUndefined();
    expect(await readdir(dir)).toEqual([`delivery-${request.idempotencyKey}.md`]);
  });

  it('a call is one file naming everyone invited, the organizer first', async () => {
    const call: DeliveryRequest = {
      ...request,
      idempotencyKey: 'call-0123456789abcdef0123456789ab',
      medium: 'call',
      recipient: bob,
      call: { slot: { start: new Date('2026-03-02T10:00:00Z'), end: new Date('2026-03-02T10:05:00Z') }, organizer: alice, attendees: [carol, bob] },
    };
    const receipt = await new OutboxChannel({ dir }).send(call);
    expect(await readFile(receipt.ref.replace(/^outbox:/, ''), 'utf8')).toContain('to: ["alice@acme.test","carol@acme.test","bob@acme.test"]');
  });
});
