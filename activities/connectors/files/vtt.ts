/**
 * WebVTT transcripts (.vtt), parsed by webvtt-parser. One `transcript` Item per file whose
 * segments are speaker turns; turns of people outside the opt-in are dropped before anything
 * is stored (their positions stay unused) and reported as held back, by speaker (identity only).
 *
 * webvtt-parser discards NOTE blocks, so the header metadata the connector reads from them
 * (`meeting`, `recorded`, `attendees`) is picked out of the raw text here.
 */
import { createRequire } from 'node:module';
import webvtt from 'webvtt-parser';
import type { WebVTTCue, WebVTTNode } from 'webvtt-parser';
import type { Person } from '../../../schemas/entities';
import type { UnitContent } from './common';
import { accessList, finishItem, HeldBackTally, shifted, unique } from './common';
import { normalizeName, optedIn } from './directory';
import type { FilesContext } from './types';
import { QuarantineError } from './types';

// The parser's built-in entity table mis-decodes "&amp;" ("&;"); the full table it ships is correct.
const entities = createRequire(import.meta.url)('webvtt-parser/html-entities.json') as Record<string, string>;
const parser = new webvtt.WebVTTParser(entities);

/** `${relPath}#t=<seconds>`: where a turn starts in the recording. */
export function transcriptLocator(relPath: string, startMs: number): string {
  return `${relPath}#t=${startMs / 1000}`;
}

export interface TranscriptHeader {
  /** `${calendarId}:${eventId}` */
  meeting?: string;
  recorded?: Date;
  attendees: string[];
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const KEY_VALUE = /^\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$/;

/** Key/value lines of the header block and of the NOTE blocks before the first cue. */
export function readHeader(relPath: string, source: string): TranscriptHeader {
  const blocks: string[][] = [[]];
  for (const line of source.split(/\r\n|\r|\n/)) {
    if (line.trim() === '') blocks.push([]);
    else blocks[blocks.length - 1]?.push(line);
  }
  const pairs: [string, string][] = [];
  for (const [i, block] of blocks.filter((b) => b.length > 0).entries()) {
    if (block.slice(0, 2).some((l) => l.includes('-->'))) break; // the first cue ends the header
    let lines: string[];
    if (i === 0) lines = block.slice(1); // after the WEBVTT line
    else if (/^NOTE($|[ \t])/.test(block[0] ?? '')) lines = [(block[0] ?? '').slice(4), ...block.slice(1)];
    else continue;
    for (const line of lines) {
      const m = KEY_VALUE.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) pairs.push([m[1].toLowerCase(), m[2]]);
    }
  }

  const header: TranscriptHeader = { attendees: [] };
  for (const [key, value] of pairs) {
    if (key === 'meeting' && header.meeting === undefined) {
      const sep = value.indexOf(':');
      if (sep <= 0 || sep === value.length - 1) {
        throw new QuarantineError(relPath, `NOTE meeting: "${value}" is not <calendarId>:<eventId>`);
      }
      header.meeting = value;
    } else if (key === 'recorded' && header.recorded === undefined) {
      const d = new Date(value);
      if (!ISO_DATE_TIME.test(value) || Number.isNaN(d.getTime())) {
        throw new QuarantineError(relPath, `NOTE recorded: "${value}" is not an ISO date-time with a time zone`);
      }
      header.recorded = d;
    } else if (key === 'attendees') {
      header.attendees.push(...value.split(/[,;]/).map((a) => a.trim()).filter((a) => a.length > 0));
    }
  }
  return header;
}

function textOf(nodes: WebVTTNode[] | undefined): string {
  let out = '';
  for (const node of nodes ?? []) {
    if (node.type === 'text') out += String(node.value ?? '');
    else if (node.type === 'object' && node.name !== 'rt') out += textOf(node.children);
  }
  return out;
}

interface Fragment {
  speaker: string | undefined;
  text: string;
}

/** The speaker-attributed pieces of one cue: `<v Name>` spans, or a leading "Name: " without voice tags. */
function fragmentsOf(cue: WebVTTCue): Fragment[] {
  const children = cue.tree.children;
  const hasVoice = children.some((n) => n.type === 'object' && n.name === 'v');
  if (!hasVoice) {
    const whole = textOf(children);
    const m = /^\s*([^:\n<>]{1,80}?):\s+([\s\S]+)$/.exec(whole);
    if (m && m[1] && m[2] && /[A-Za-z]/.test(m[1])) return [{ speaker: m[1].trim(), text: m[2] }];
    return [{ speaker: undefined, text: whole }];
  }
  return children.map((n) =>
    n.type === 'object' && n.name === 'v'
      ? { speaker: String(n.value ?? '').trim() || undefined, text: textOf(n.children) }
      : { speaker: undefined, text: textOf([n]) },
  );
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();

interface Turn {
  speaker: string | undefined;
  key: string;
  startMs: number;
  texts: string[];
}

/** Consecutive pieces by the same speaker (the same person, however named) form one turn. */
function turnsOf(cues: WebVTTCue[], keyOf: (speaker: string) => string): Turn[] {
  const turns: Turn[] = [];
  for (const cue of cues) {
    const startMs = Math.round(cue.startTime * 1000);
    for (const fragment of fragmentsOf(cue)) {
      const text = clean(fragment.text);
      if (!text) continue;
      const key = fragment.speaker ? keyOf(fragment.speaker) : '';
      const last = turns[turns.length - 1];
      if (last && last.key === key) last.texts.push(text);
      else turns.push({ speaker: fragment.speaker, key, startMs, texts: [text] });
    }
  }
  return turns;
}

function resolve(ctx: FilesContext, nameOrEmail: string): Person | undefined {
  return nameOrEmail.includes('@') ? ctx.directory.byEmail(nameOrEmail) : ctx.directory.byName(nameOrEmail);
}

const nameTokens = (s: string): string[] =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);

/**
 * The one attendee email a speaker's display name points at ("Alice Chen" → alice@…, alice.chen@…,
 * achen@…), or undefined when none or several do: a transcript names speakers, its header lists
 * attendees by email, and a newcomer's directory may not know either yet.
 */
export function attendeeEmailFor(speaker: string, attendeeEmails: readonly string[]): string | undefined {
  const tokens = nameTokens(speaker);
  const [first, ...rest] = tokens;
  if (!first) return undefined;
  const last = rest[rest.length - 1];
  const forms = new Set([first, tokens.join(''), ...(last ? [`${first[0]}${last}`, `${first}${last[0]}`] : [])]);
  const matches = attendeeEmails.filter((email) => {
    const local = email.slice(0, email.indexOf('@'));
    return forms.has(nameTokens(local).join('')) || nameTokens(local).join(' ') === tokens.join(' ');
  });
  return matches.length === 1 ? matches[0] : undefined;
}

interface SpeakerIdentity {
  person?: Person;
  /** the email the speaker is known by: the directory's, or the attendee their name points at */
  email?: string;
}

/** The structural checks: a WebVTT signature, well-formed cues, and a complete last cue. */
function checkParse(relPath: string, source: string): WebVTTCue[] {
  const result = parser.parse(source, 'metadata');
  const lines = source.split(/\r\n|\r|\n/);
  let lastLine = lines.length;
  while (lastLine > 0 && (lines[lastLine - 1] ?? '').trim() === '') lastLine--;
  for (const error of result.errors) {
    if (/No valid signature/.test(error.message)) {
      throw new QuarantineError(relPath, 'not a WebVTT file (missing WEBVTT header)');
    }
    // "WEBVTT\nKind: captions" style headers: the parser recovers, and so do we
    if (/No blank line after the signature/.test(error.message)) continue;
    const where = `line ${error.line}${error.col ? ` column ${error.col}` : ''}`;
    if (error.line >= lastLine) {
      throw new QuarantineError(relPath, `truncated: the file ends inside a cue at ${where} (${error.message.replace(/\.$/, '')})`);
    }
    throw new QuarantineError(relPath, `invalid WebVTT at ${where}: ${error.message.replace(/\.$/, '')}`);
  }
  if ((lines[lastLine - 1] ?? '').includes('-->')) {
    throw new QuarantineError(relPath, `truncated: the last cue (line ${lastLine}) has timings but no text`);
  }
  return result.cues;
}

export function parseVtt(ctx: FilesContext, relPath: string, source: string): UnitContent {
  const cues = checkParse(relPath, source);
  const header = readHeader(relPath, source);

  let occurredAt = header.recorded;
  if (!occurredAt && header.meeting) {
    // a recurring occurrence's meeting id ends with "@<occurrence start>"
    const suffix = header.meeting.slice(header.meeting.lastIndexOf('@') + 1);
    if (ISO_DATE_TIME.test(suffix) || /^\d{4}-\d{2}-\d{2}$/.test(suffix)) occurredAt = new Date(suffix);
  }
  if (!occurredAt || Number.isNaN(occurredAt.getTime())) {
    throw new QuarantineError(relPath, 'no recording time: add a "NOTE recorded: <ISO date-time>" header (the meeting id carries none)');
  }

  const attendeeEmails = unique(header.attendees.filter((a) => a.includes('@')).map((a) => a.trim().toLowerCase()));
  const identities = new Map<string, SpeakerIdentity>();
  const identify = (speaker: string): SpeakerIdentity => {
    let identity = identities.get(speaker);
    if (!identity) {
      const person = resolve(ctx, speaker);
      const email = person?.id ?? (speaker.includes('@') ? speaker.trim().toLowerCase() : attendeeEmailFor(speaker, attendeeEmails));
      const viaEmail = person ?? (email ? ctx.directory.byEmail(email) : undefined);
      identity = viaEmail ? { person: viaEmail, email: viaEmail.id } : email ? { email } : {};
      identities.set(speaker, identity);
    }
    return identity;
  };

  const turns = turnsOf(cues, (speaker) => {
    const { person, email } = identify(speaker);
    return person ? `person:${person.id}` : email ? `email:${email}` : `name:${normalizeName(speaker)}`;
  });
  const kept: { position: number; person: Person; text: string; startMs: number }[] = [];
  const heldBack = new HeldBackTally();
  turns.forEach((turn, position) => {
    if (!turn.speaker) return; // nobody to attribute it to, so nobody to ask: not reported
    const identity = identify(turn.speaker);
    const person = optedIn(identity.person);
    if (person) kept.push({ position, person, text: turn.texts.join(' '), startMs: turn.startMs });
    else heldBack.add({ id: identity.email, name: turn.speaker });
  });
  if (kept.length === 0) return { heldBack: heldBack.authors };

  const attendees: string[] = [];
  let outsideOptInCount = 0;
  for (const a of unique(header.attendees)) {
    const person = optedIn(identify(a).person);
    if (person) attendees.push(person.id);
    else outsideOptInCount++;
  }
  const speakers = unique(kept.map((k) => k.person.id));
  const meetingId = header.meeting;
  const first = kept[0];

  const item = finishItem(ctx, relPath, {
    externalId: relPath,
    kind: 'transcript',
    title: undefined,
    body: kept.map((k) => `${k.person.name}: ${k.text}`).join('\n'),
    authorId: null,
    occurredAt: shifted(ctx, occurredAt),
    threadId: meetingId,
    locator: transcriptLocator(relPath, first?.startMs ?? 0),
    access: accessList([...speakers, ...attendees]),
    recipients: unique(attendees),
    meta: {
      ...(meetingId ? { meetingId } : {}),
      speakers,
      omittedTurns: turns.length - kept.length,
      outsideOptInCount,
    },
    segments: kept.map((k) => ({ position: k.position, text: k.text, speakerId: k.person.id, startMs: k.startMs })),
  });
  return { items: [item], heldBack: heldBack.authors };
}
