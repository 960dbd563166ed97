/**
 * QMSum meetings as the NORMAL files a user would have, and their ingestion through the
 * normal files path (listUnits + parseUnit + MemoryStore.storeUnit):
 *
 *   people.json        every distinct speaker as an opted-in person with a synthetic email
 *   <meeting>.vtt      one cue per QMSum turn, the speaker as the voice tag, cue i starting at
 *                      i seconds (turns with no text are left out, as a recorder would)
 *
 * The connector merges consecutive cues of one speaker into one turn (segment) that starts at
 * the first cue, so a cited segment maps back to the QMSum turns it covers through startMs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { directoryFrom, listUnits, normalizeName, parseUnit, QuarantineError } from '../../activities/connectors/files';
import type { Item, Segment } from '../../schemas/entities';
import type { MemoryStore } from '../../activities/memory/store';
import type { QmsumMeeting } from './qmsum';

/** Cue i starts at i * TURN_MS. */
export const TURN_MS = 1000;
const CUE_MS = 900;
export const EMAIL_DOMAIN = 'qmsum.example';
/** Meetings are "recorded" a day apart from this date, in file order. */
const FIRST_RECORDING = Date.UTC(2024, 0, 1, 9, 0, 0);

export interface PeopleEntry {
  email: string;
  name: string;
  optedIn: true;
}

/** The speakers of all meetings, one person per distinct (normalized) name, with stable emails. */
export function peopleOf(meetings: readonly QmsumMeeting[]): { people: PeopleEntry[]; emailOf: (speaker: string) => string } {
  const byKey = new Map<string, PeopleEntry>();
  const used = new Set<string>();
  for (const m of meetings) {
    for (const t of m.turns) {
      const name = voiceName(t.speaker);
      const key = normalizeName(name);
      if (byKey.has(key)) continue;
      const slug = key.replace(/[^a-z0-9]+/g, '.').replace(/^\.+|\.+$/g, '') || 'speaker';
      let local = slug;
      for (let n = 2; used.has(local); n++) local = `${slug}.${n}`;
      used.add(local);
      byKey.set(key, { email: `${local}@${EMAIL_DOMAIN}`, name, optedIn: true });
    }
  }
  const emailOf = (speaker: string): string => {
    const entry = byKey.get(normalizeName(voiceName(speaker)));
    if (!entry) throw new Error(`unknown speaker ${speaker}`);
    return entry.email;
  };
  return { people: [...byKey.values()], emailOf };
}

/** A speaker label usable inside `<v …>` (no angle brackets, no line breaks). */
export function voiceName(speaker: string): string {
  return speaker.replace(/[<>&\r\n]/g, ' ').replace(/\s+/g, ' ').trim() || 'Unknown speaker';
}

/** Cue text: one line, with the characters WebVTT reserves escaped. */
function cueText(content: string): string {
  return content
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function timestamp(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const milli = ms % 1000;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(milli, 3)}`;
}

export const meetingIdOf = (m: QmsumMeeting): string => `qmsum:${m.name}`;
export const transcriptPathOf = (m: QmsumMeeting): string => `transcripts/${m.name}.vtt`;

/** The WebVTT file of one meeting. */
export function transcriptVtt(m: QmsumMeeting, emailOf: (speaker: string) => string, recordedAt: Date): string {
  const attendees = [...new Set(m.turns.map((t) => emailOf(t.speaker)))];
  const lines = ['WEBVTT', '', `NOTE meeting: ${meetingIdOf(m)}`, '', `NOTE recorded: ${recordedAt.toISOString()}`, '', `NOTE attendees: ${attendees.join(', ')}`, ''];
  m.turns.forEach((t, i) => {
    const text = cueText(t.content);
    if (!text) return;
    lines.push(`${timestamp(i * TURN_MS)} --> ${timestamp(i * TURN_MS + CUE_MS)}`, `<v ${voiceName(t.speaker)}>${text}</v>`, '');
  });
  return lines.join('\n');
}

/** Writes people.json and one .vtt per meeting under `root`. */
export async function writeMeetingFiles(root: string, meetings: readonly QmsumMeeting[]): Promise<void> {
  const { people, emailOf } = peopleOf(meetings);
  await mkdir(path.join(root, 'transcripts'), { recursive: true });
  await writeFile(path.join(root, 'people.json'), `${JSON.stringify({ people }, null, 2)}\n`);
  for (const [i, m] of meetings.entries()) {
    await writeFile(path.join(root, transcriptPathOf(m)), transcriptVtt(m, emailOf, new Date(FIRST_RECORDING + i * 86_400_000)));
  }
}

/** Ingests a folder the way a sync does: people first, the directory refreshed after them; a quarantined file is an error here. */
export async function ingestFolder(store: MemoryStore, root: string, sourceId: string, now = new Date()): Promise<{ units: number; items: Item[] }> {
  const { units } = await listUnits(root);
  let directory = directoryFrom(await store.listPeople());
  const items: Item[] = [];
  for (const unit of units) {
    let parsed;
    try {
      parsed = await parseUnit(
        { sourceId, root, timeShiftMs: 0, maxFileBytes: 64 * 1024 * 1024, directory, now, horizonDays: 30 },
        unit.path,
      );
    } catch (error) {
      if (error instanceof QuarantineError) throw new Error(`${unit.path} was quarantined: ${error.reason}`);
      throw error;
    }
    await store.storeUnit(sourceId, parsed);
    items.push(...parsed.items);
    if (parsed.people.length > 0) directory = directoryFrom(await store.listPeople());
  }
  return { units: units.length, items };
}

/**
 * The QMSum turn indices each segment of a transcript covers: from its start turn (startMs /
 * TURN_MS) up to, not including, the next segment's start turn, restricted to the turns that
 * were written as cues. Keyed by segment position.
 */
export function turnsBySegment(segments: readonly Segment[], writtenTurns: readonly number[]): Map<number, number[]> {
  const starts = [...segments]
    .filter((s) => s.startMs !== undefined)
    .sort((a, b) => (a.startMs ?? 0) - (b.startMs ?? 0))
    .map((s) => ({ position: s.position, turn: Math.round((s.startMs ?? 0) / TURN_MS) }));
  const written = [...writtenTurns].sort((a, b) => a - b);
  const out = new Map<number, number[]>();
  starts.forEach((s, i) => {
    const next = starts[i + 1]?.turn ?? Number.POSITIVE_INFINITY;
    out.set(s.position, written.filter((t) => t >= s.turn && t < next));
  });
  return out;
}

/** The turns a meeting's cues were written for (turns with text). */
export function writtenTurnsOf(m: QmsumMeeting): number[] {
  return m.turns.flatMap((t, i) => (cueText(t.content) ? [i] : []));
}

/**
 * Cited segments → QMSum turns: each segment expands to the turns it covers (in turn order),
 * and the first k distinct turns are kept.
 */
export function citedTurns(cited: readonly { position: number }[], bySegment: ReadonlyMap<number, readonly number[]>, k: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const c of cited) {
    for (const t of bySegment.get(c.position) ?? []) {
      if (out.length >= k) return out;
      if (seen.has(t)) continue;
      seen.add(t);
      out.push(t);
    }
  }
  return out;
}
