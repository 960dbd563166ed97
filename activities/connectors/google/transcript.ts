/**
 * Meet transcripts, which Meet writes as Google Docs ("<meeting> (<date time zone>) - Transcript" in the organizer's
 * "Meet Recordings" folder). Exported as text they read:
 *
 *   Weekly sync (2025-01-28 10:02 GMT+1) - Transcript
 *   Attendees
 *   Alice Chen, Bob Okafor, Dana Kim
 *   Transcript
 *   This editable transcript was computer generated and might contain errors. …
 *   00:00:00
 *   Alice Chen: Good morning. Let us settle the launch plan.
 *   Bob Okafor: We decided to ship Android first.
 *   00:05:00
 *   …
 *   Meeting ended after 00:32:10 👋
 *
 * The text is turned into WebVTT (one voice-tagged cue per turn, at the latest timestamp marker: Meet writes one
 * every few minutes, so a turn's time is that of the marker before it) and read by the files connector's
 * transcript parser, so speakers resolve, opt-in holds back and segments come out exactly as for a .vtt file.
 */
const TIMESTAMP = /^(\d{1,2}):(\d{2}):(\d{2})$/;
const TURN = /^([^:\n]{1,80}?):\s+(.+)$/;
const ENDED = /^Meeting ended after\b/i;
const TITLE_TIME = /\((\d{4}-\d{2}-\d{2}) (\d{1,2}):(\d{2}) (?:GMT|UTC)([+-]\d{1,2})?(?::?(\d{2}))?\)/;

export interface MeetTranscript {
  attendees: string[];
  turns: { speaker: string; text: string; startMs: number }[];
}

/** Whether a Doc's name is Meet's transcript naming ("… - Transcript"). */
export function isTranscriptName(name: string): boolean {
  return /\s-\sTranscript$/i.test(name.trim());
}

/** The meeting start a Meet title carries, "(2025-01-28 10:02 GMT+1)", as an instant. */
export function titleTime(name: string): Date | undefined {
  const m = TITLE_TIME.exec(name);
  if (!m) return undefined;
  const [, day, hh, mm, offH, offM] = m;
  const sign = offH?.startsWith('-') ? '-' : '+';
  const hours = Math.abs(Number(offH ?? 0));
  const iso = `${day}T${hh!.padStart(2, '0')}:${mm}:00${sign}${String(hours).padStart(2, '0')}:${(offM ?? '00').padStart(2, '0')}`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The turns of a Meet transcript's text; undefined when the text is not one (no "Transcript" heading or no turns). */
export function parseMeetTranscript(text: string): MeetTranscript | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).map((l) => l.trim());
  const heading = lines.findIndex((l, i) => i > 0 && /^transcript$/i.test(l));
  if (heading === -1) return undefined;
  const attendeesAt = lines.findIndex((l) => /^attendees$/i.test(l));
  const attendeeLine = attendeesAt !== -1 && attendeesAt < heading ? lines.slice(attendeesAt + 1, heading).find((l) => l.length > 0) : undefined;
  const attendees = (attendeeLine ?? '').split(',').map((a) => a.trim()).filter((a) => a.length > 0);

  const turns: MeetTranscript['turns'] = [];
  let at = 0;
  for (const line of lines.slice(heading + 1)) {
    if (!line) continue;
    if (ENDED.test(line)) break;
    const ts = TIMESTAMP.exec(line);
    if (ts) {
      at = (Number(ts[1]) * 3600 + Number(ts[2]) * 60 + Number(ts[3])) * 1000;
      continue;
    }
    const turn = TURN.exec(line);
    if (turn && /\p{L}/u.test(turn[1]!)) turns.push({ speaker: turn[1]!.trim(), text: turn[2]!.trim(), startMs: at });
    else if (turns.length > 0) turns[turns.length - 1]!.text += ` ${line}`; // a wrapped line of the turn before
    // text before the first turn is Meet's disclaimer
  }
  return turns.length > 0 ? { attendees, turns } : undefined;
}

const vttTime = (ms: number): string => {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const milli = ms % 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(milli).padStart(3, '0')}`;
};
const escapeCue = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeVoice = (s: string): string => s.replace(/[<>&]/g, ' ').trim();

/** The transcript as WebVTT with the header notes the files connector reads (recorded, attendees). */
export function toWebVtt(transcript: MeetTranscript, recorded: Date): string {
  const header = ['WEBVTT', '', 'NOTE', `recorded: ${recorded.toISOString()}`];
  if (transcript.attendees.length > 0) header.push(`attendees: ${transcript.attendees.map((a) => a.replace(/[,;\n]/g, ' ')).join(', ')}`);
  const cues = transcript.turns.map(
    (turn, i) => `${i + 1}\n${vttTime(turn.startMs)} --> ${vttTime(turn.startMs + 1000)}\n<v ${escapeVoice(turn.speaker)}>${escapeCue(turn.text)}</v>`,
  );
  return `${header.join('\n')}\n\n${cues.join('\n\n')}\n`;
}
