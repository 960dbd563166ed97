/**
 * QMSum → files → the normal files path, and back: cited segments map to the QMSum turns they
 * cover, also when the connector merged turns (consecutive cues of one speaker).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryFrom, parseUnit } from '../../activities/connectors/files';
import { citedTurns, peopleOf, transcriptPathOf, TURN_MS, turnsBySegment, writeMeetingFiles, writtenTurnsOf } from '../../clients/eval/files';
import type { QmsumMeeting } from '../../clients/eval/qmsum';
import { askAll, prepare, type Prepared } from '../../clients/eval/run';

const CHAIR = 'Hon. Jo <Smith> (Chair, Lib.)';
const meeting: QmsumMeeting = {
  name: 'Tiny001',
  turns: [
    { speaker: 'Project Manager', content: 'We should fix the budget for the remote .' },
    { speaker: 'Marketing', content: '   ' }, // no text: not written, so turns 0 and 2 merge
    { speaker: 'Project Manager', content: 'And the timeline too .' },
    { speaker: CHAIR, content: 'Agreed & noted --> next <item>' },
    { speaker: 'Marketing', content: 'The budget is twelve euros per remote , at most .' },
    { speaker: 'Project Manager', content: 'Okay .' },
  ],
  queries: [{ query: 'What did the group discuss about the budget?', spans: [[0, 4]], ces: new Set([0, 4]) }],
};

describe('QMSum meetings as files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'myc-eval-files-'));
    await writeMeetingFiles(dir, [meeting]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes people.json with every distinct speaker opted in, and one cue per turn with text', async () => {
    const people = JSON.parse(await readFile(path.join(dir, 'people.json'), 'utf8')) as { people: { email: string; name: string; optedIn: boolean }[] };
    expect(people.people.map((p) => p.name)).toEqual(['Project Manager', 'Marketing', 'Hon. Jo Smith (Chair, Lib.)']);
    expect(people.people.every((p) => p.optedIn && p.email.endsWith('@qmsum.example'))).toBe(true);
    const vtt = await readFile(path.join(dir, transcriptPathOf(meeting)), 'utf8');
    expect(vtt.startsWith('WEBVTT\n')).toBe(true);
    expect(vtt).toContain('NOTE meeting: qmsum:Tiny001');
    expect(vtt.match(/-->/g)?.length).toBe(5); // 5 cues (the empty turn is left out); the "-->" in the text is escaped
    expect(vtt).toContain('00:00:03.000 --> 00:00:03.900');
  });

  it('round trip through parseUnit: merged same-speaker turns, escaped text, speakers resolved', async () => {
    const ctx = { sourceId: 'q', root: dir, timeShiftMs: 0, maxFileBytes: 1 << 20, directory: directoryFrom([]), now: new Date(), horizonDays: 30 };
    const people = (await parseUnit(ctx, 'people.json')).people;
    const unit = await parseUnit({ ...ctx, directory: directoryFrom(people) }, transcriptPathOf(meeting));
    const item = unit.items[0];
    expect(item?.kind).toBe('transcript');
    const segments = item?.segments ?? [];
    expect(segments.map((s) => s.startMs)).toEqual([0, 3 * TURN_MS, 4 * TURN_MS, 5 * TURN_MS]);
    expect(segments[0]?.text).toBe('We should fix the budget for the remote . And the timeline too .');
    expect(segments[1]?.text).toBe('Agreed & noted --> next <item>');
    const { emailOf } = peopleOf([meeting]);
    expect(segments.map((s) => s.speakerId)).toEqual([emailOf('Project Manager'), emailOf(CHAIR), emailOf('Marketing'), emailOf('Project Manager')]);

    const bySegment = turnsBySegment(segments, writtenTurnsOf(meeting));
    expect([...bySegment.values()]).toEqual([[0, 2], [3], [4], [5]]);
    const pos = (turn: number) => segments.find((s) => s.startMs === turn * TURN_MS)?.position ?? -1;
    // a merged segment stands for all its turns, in turn order; at most k distinct turns
    expect(citedTurns([{ position: pos(4) }, { position: pos(0) }, { position: pos(5) }], bySegment, 10)).toEqual([4, 0, 2, 5]);
    expect(citedTurns([{ position: pos(4) }, { position: pos(0) }, { position: pos(5) }], bySegment, 2)).toEqual([4, 0]);
    expect(citedTurns([{ position: pos(0) }, { position: pos(0) }], bySegment, 10)).toEqual([0, 2]);
  });

  describe('ingested into PGlite and asked through answer()', () => {
    let prepared: Prepared;
    beforeAll(async () => {
      prepared = await prepare([meeting]);
    }, 60_000);
    afterAll(async () => {
      await prepared?.close();
    });

    it('stores the transcript through the files path and cites QMSum turn indices', async () => {
      const [pm] = prepared.meetings;
      expect(pm?.bySegment.get(0)).toEqual([0, 2]);
      const { results } = await askAll(prepared, 3);
      expect(results).toHaveLength(1);
      const r = results[0];
      expect(r?.meeting).toBe('Tiny001');
      // "budget" is in the merged turn (0 + 2) and in turn 4
      expect(r?.cited_turns.slice().sort((a, b) => a - b)).toEqual([0, 2, 4]);
      expect(r?.baseline_turns.slice().sort((a, b) => a - b)).toEqual([0, 4]);
    });
  });
});
