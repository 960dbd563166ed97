import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemIdFor, parseUnit, transcriptLocator } from '../../activities/connectors/files';
import { BAD, DAY, expectAbsent, json, quarantineReason, TEAM, teamContext, tempCopy } from './helpers';

const VTT = 'transcripts/standup-2025-01-13.vtt';
const MEETING = 'platform-team:standup@acme.test@2025-01-13T14:30:00.000Z';

describe('vtt transcripts', () => {
  it('turns voice-tagged cues into merged speaker turns, dropping people outside the opt-in', async () => {
    const unit = await parseUnit(await teamContext(), VTT);
    expect(unit.meetings).toEqual([]);
    expect(unit.items).toHaveLength(1);
    const item = unit.items[0]!;
    expect(item.segments).toEqual([
      // two consecutive Alice cues are one turn; "&amp;" is decoded
      { position: 0, text: 'Morning all. Quick round & then the launch. Bob, you first.', speakerId: 'alice@acme.test', startMs: 1000 },
      { position: 1, text: 'The migration finished overnight. No errors in the logs.', speakerId: 'bob@acme.test', startMs: 7500 },
      // 2: Carol's two cues (opted out) are one dropped turn
      { position: 3, text: 'Thanks. Dan is out today.', speakerId: 'alice@acme.test', startMs: 18500 }, // speaker given as an email
      // 4: Vera (unknown) dropped
      { position: 5, text: "I'll pair with Vera on the API.", speakerId: 'bob@acme.test', startMs: 24500 }, // "Name: text" cue
      { position: 6, text: 'Great,', speakerId: 'alice@acme.test', startMs: 27500 },
      { position: 7, text: 'on it.', speakerId: 'bob@acme.test', startMs: 27500 },
    ]);
    expect(item.body).toBe(
      [
        'Alice Chen: Morning all. Quick round & then the launch. Bob, you first.',
        'Bob Diaz: The migration finished overnight. No errors in the logs.',
        'Alice Chen: Thanks. Dan is out today.',
        "Bob Diaz: I'll pair with Vera on the API.",
        'Alice Chen: Great,',
        'Bob Diaz: on it.',
      ].join('\n'),
    );
  });

  it('never emits what an opted-out or unknown speaker said', async () => {
    const text = json(await parseUnit(await teamContext(), VTT));
    expectAbsent(text, ['CAROL-SECRET-TURN', 'CAROL-SECOND-CUE', 'mockups', 'VENDOR-SECRET-TURN', 'our API is ready', 'Carol Evans', 'carol@acme.test', 'vera@partner.test']);
  });

  it('links to the meeting and sets time, access and locator from the header', async () => {
    const item = (await parseUnit(await teamContext(), VTT)).items[0]!;
    expect(item).toMatchObject({
      id: itemIdFor('acme', VTT),
      externalId: VTT,
      kind: 'transcript',
      authorId: null,
      occurredAt: new Date('2025-01-13T14:31:00.000Z'),
      threadId: MEETING,
      locator: `${VTT}#t=1`,
      // speakers plus opted-in NOTE attendees
      access: ['alice@acme.test', 'bob@acme.test'],
      recipients: ['alice@acme.test', 'bob@acme.test'],
      meta: { meetingId: MEETING, speakers: ['alice@acme.test', 'bob@acme.test'], omittedTurns: 2, outsideOptInCount: 2 },
    });
    expect(transcriptLocator(VTT, 24500)).toBe(`${VTT}#t=24.5`);
  });

  it('shifts the recording time but not the offsets, and keeps the id', async () => {
    const base = (await parseUnit(await teamContext(), VTT)).items[0]!;
    const shifted = (await parseUnit(await teamContext({ timeShiftMs: 10 * DAY + 5 }), VTT)).items[0]!;
    expect(shifted.occurredAt.getTime() - base.occurredAt.getTime()).toBe(10 * DAY + 5);
    expect(shifted.id).toBe(base.id);
    expect(shifted.threadId).toBe(base.threadId);
    expect(shifted.segments).toEqual(base.segments);
  });

  it('adds opted-in NOTE attendees who did not speak to access', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(
        path.join(dir, 'call.vtt'),
        [
          'WEBVTT',
          '',
          'NOTE',
          'meeting: dan-1on1:dan-alice-1on1@acme.test',
          'recorded: 2025-01-15T16:01:00+00:00',
          'attendees: Dan Fox; alice@acme.test',
          '',
          '00:00:02.000 --> 00:00:03.000',
          '<v Alice Chen>Hi Dan.',
          '',
        ].join('\n'),
      );
      const item = (await parseUnit(await teamContext({ root: dir }), 'call.vtt')).items[0]!;
      expect(item.access).toEqual(['alice@acme.test', 'dan@acme.test']);
      expect(item.recipients).toEqual(['dan@acme.test', 'alice@acme.test']);
      expect(item.threadId).toBe('dan-1on1:dan-alice-1on1@acme.test');
      expect(item.occurredAt).toEqual(new Date('2025-01-15T16:01:00.000Z'));
      expect(item.locator).toBe('call.vtt#t=2');
    } finally {
      await cleanup();
    }
  });

  it('takes the time from a recurring meeting id when there is no NOTE recorded', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(
        path.join(dir, 'occurrence.vtt'),
        `WEBVTT\n\nNOTE meeting: ${MEETING}\n\n00:00:01.000 --> 00:00:02.000\n<v Bob Diaz>Short one.\n`,
      );
      const item = (await parseUnit(await teamContext({ root: dir, timeShiftMs: 60_000 }), 'occurrence.vtt')).items[0]!;
      expect(item.occurredAt).toEqual(new Date('2025-01-13T14:31:00.000Z'));
      expect(item.access).toEqual(['bob@acme.test']);
      expect(item.recipients).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('yields no item when nobody in the opt-in spoke', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    try {
      await writeFile(
        path.join(dir, 'carol-only.vtt'),
        'WEBVTT\n\nNOTE recorded: 2025-01-13T10:00:00Z\n\n00:00:01.000 --> 00:00:02.000\n<v Carol Evans>CAROL-ALONE private musing\n',
      );
      const unit = await parseUnit(await teamContext({ root: dir }), 'carol-only.vtt');
      expect(unit.items).toEqual([]);
      expectAbsent(json(unit), ['CAROL-ALONE']);
    } finally {
      await cleanup();
    }
  });

  it('quarantines non-WebVTT, truncated, binary and undated transcripts', async () => {
    const ctx = await teamContext({ root: BAD });
    expect(await quarantineReason(ctx, 'not-webvtt.vtt')).toBe('not a WebVTT file (missing WEBVTT header)');
    expect(await quarantineReason(ctx, 'truncated.vtt')).toBe(
      'truncated: the file ends inside a cue at line 8 column 25 (Must be exactly two digits)',
    );
    expect(await quarantineReason(ctx, 'truncated-cue.vtt')).toBe('truncated: the last cue (line 8) has timings but no text');
    expect(await quarantineReason(ctx, 'binary.vtt')).toBe('binary content (NUL byte at offset 8)');
    expect(await quarantineReason(ctx, 'no-recorded.vtt')).toBe(
      'no recording time: add a "NOTE recorded: <ISO date-time>" header (the meeting id carries none)',
    );
  });

  it('quarantines malformed header metadata', async () => {
    const { dir, cleanup } = await tempCopy(TEAM);
    const ctx = await teamContext({ root: dir });
    try {
      await writeFile(path.join(dir, 'a.vtt'), 'WEBVTT\n\nNOTE recorded: 13/01/2025\n\n00:00:01.000 --> 00:00:02.000\n<v Bob Diaz>x\n');
      expect(await quarantineReason(ctx, 'a.vtt')).toBe('NOTE recorded: "13/01/2025" is not an ISO date-time with a time zone');
      await writeFile(path.join(dir, 'b.vtt'), 'WEBVTT\n\nNOTE meeting: standup\n\n00:00:01.000 --> 00:00:02.000\n<v Bob Diaz>x\n');
      expect(await quarantineReason(ctx, 'b.vtt')).toBe('NOTE meeting: "standup" is not <calendarId>:<eventId>');
      await writeFile(path.join(dir, 'c.vtt'), 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Bob Diaz>x\n\n00:00:03.000 -> 00:00:04.000\n<v Bob Diaz>y\n\n00:00:05.000 --> 00:00:06.000\nz\n');
      // "->" is not a timing arrow: the line reads as a cue identifier
      expect(await quarantineReason(ctx, 'c.vtt')).toBe('invalid WebVTT at line 7: Cue identifier needs to be followed by timestamp');
    } finally {
      await cleanup();
    }
  });
});
