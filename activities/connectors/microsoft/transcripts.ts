/**
 * `transcripts:<user>`: Teams transcripts of the online meetings the user organized. The user's past calendar
 * (calendarView over a window that trails now) names the online meetings by join URL; each one is looked up
 * (/users/{id}/onlineMeetings?$filter=JoinWebUrl eq '…'), its transcripts listed, and each transcript's WebVTT
 * (/content?$format=text/vtt) goes through the files connector's VTT parser, with the meeting id
 * (`${calendarId}:${eventId}`, the same as the calendar stream's), the recording time and the attendees given to it
 * as the header NOTE it reads. Speakers outside the opt-in are dropped by that parser, as they are for files.
 *
 * A transcript appears after its meeting ends, so each pass re-reads the last TRANSCRIPT_OVERLAP_DAYS before where
 * the previous one stopped; transcripts are never swept (the window moves on, the transcripts stay).
 */
import type { ParsedUnit } from '../../../schemas/entities';
import { DAY_MS, finishItem } from '../files/common';
import { parseVtt } from '../files/vtt';
import { QuarantineError } from '../files/types';
import type { ConnectorContext, StreamCursor } from '../port';
import { unitPath } from '../port';
import { addressOf, filesContext, graphDate, noteHeldBack, OUTLOOK_PREFER, unitOf } from './common';
import { meetingIdOf, type GraphEvent } from './calendar';
import type { GraphPage, GraphReader } from './graph';

export const TRANSCRIPT_OVERLAP_DAYS = 2;

export interface GraphOnlineMeeting {
  id: string;
  subject?: string | null;
  joinWebUrl?: string | null;
}

export interface GraphCallTranscript {
  id: string;
  createdDateTime?: string;
  endDateTime?: string | null;
  meetingId?: string;
}

type TranscriptCursor = { from: string; to: string; next?: string; checkedUntil?: string };

/** The VTT with our header NOTE put after the WEBVTT block, where the parser reads meeting, recorded and attendees. */
export function withHeader(vtt: string, header: { meeting: string; recorded: string; attendees: string[] }): string {
  const text = vtt.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end);
  const rest = end === -1 ? '' : text.slice(end);
  const note = [`NOTE`, `meeting: ${header.meeting}`, `recorded: ${header.recorded}`, ...(header.attendees.length ? [`attendees: ${header.attendees.join(', ')}`] : [])].join('\n');
  return `${head}\n\n${note}${rest || '\n'}`;
}

export async function readTranscripts(
  graph: GraphReader,
  ctx: ConnectorContext,
  stream: string,
  user: string,
  stored: StreamCursor | null,
  lookbackDays: number,
): Promise<{ units: ParsedUnit[]; cursor: StreamCursor; more: boolean }> {
  const u = encodeURIComponent(user);
  let cursor = stored as TranscriptCursor | null;
  if (!cursor?.next) {
    const since = cursor?.checkedUntil ? new Date(cursor.checkedUntil).getTime() - TRANSCRIPT_OVERLAP_DAYS * DAY_MS : ctx.now.getTime() - lookbackDays * DAY_MS;
    cursor = { from: new Date(since).toISOString(), to: ctx.now.toISOString(), ...(cursor?.checkedUntil ? { checkedUntil: cursor.checkedUntil } : {}) };
  }
  const page = cursor.next
    ? await graph.get<GraphPage<GraphEvent>>(cursor.next, { prefer: OUTLOOK_PREFER })
    : await graph.get<GraphPage<GraphEvent>>(`/users/${u}/calendarView`, {
        query: { startDateTime: cursor.from, endDateTime: cursor.to, $select: 'id,subject,start,end,attendees,organizer,isOnlineMeeting,onlineMeeting', $top: 50 },
        prefer: OUTLOOK_PREFER,
      });

  const units: ParsedUnit[] = [];
  for (const event of page.value ?? []) {
    const joinUrl = event.onlineMeeting?.joinUrl;
    if (!joinUrl) continue;
    ctx.heartbeat();
    const meetings = await graph.get<GraphPage<GraphOnlineMeeting>>(`/users/${u}/onlineMeetings`, { query: { $filter: `JoinWebUrl eq '${joinUrl.replace(/'/g, "''")}'` } });
    for (const meeting of meetings.value ?? []) {
      const base = `/users/${u}/onlineMeetings/${encodeURIComponent(meeting.id)}/transcripts`;
      const transcripts = await graph.all<GraphCallTranscript>(base, undefined, () => ctx.heartbeat());
      for (const transcript of transcripts) {
        ctx.heartbeat();
        const vtt = await graph.text(`${base}/${encodeURIComponent(transcript.id)}/content`, { query: { $format: 'text/vtt' } });
        units.push(transcriptUnit(ctx, stream, user, event, joinUrl, transcript, vtt));
      }
    }
  }

  const next = page['@odata.nextLink'];
  if (next) return { units, cursor: { ...cursor, next }, more: true };
  return { units, cursor: { checkedUntil: cursor.to }, more: false };
}

function transcriptUnit(ctx: ConnectorContext, stream: string, user: string, event: GraphEvent, joinUrl: string, transcript: GraphCallTranscript, vtt: string): ParsedUnit {
  const path = unitPath(stream, transcript.id);
  const attendees = [addressOf(event.organizer), ...(event.attendees ?? []).filter((a) => a.type !== 'resource').map(addressOf)].filter((a): a is string => a !== undefined);
  const source = withHeader(vtt, {
    meeting: meetingIdOf(user, event.id),
    recorded: transcript.createdDateTime ?? graphDate(event.start)?.toISOString() ?? ctx.now.toISOString(),
    attendees: [...new Set(attendees)],
  });
  let content;
  try {
    content = parseVtt(filesContext(ctx), path, source);
  } catch (error) {
    if (error instanceof QuarantineError) {
      // Graph served something the parser refuses: nothing stored for it, the reason logged (no words of it)
      ctx.log.warn({ unit: path, reason: error.reason }, 'transcript refused');
      return unitOf(ctx, path, { transcript, vtt }, {});
    }
    throw error;
  }
  if (content.heldBack?.length) {
    noteHeldBack(ctx, path, content.heldBack);
    ctx.log.debug({ unit: path, heldBack: content.heldBack.length }, 'transcript turns held back (outside the opt-in)');
  }
  // a user finds the transcript from the meeting, not from our unit path
  const items = (content.items ?? []).map(({ id: _id, sourceId: _sourceId, contentHash: _hash, ...item }) =>
    finishItem(ctx, path, { ...item, locator: `${joinUrl}#t=${(item.segments[0]?.startMs ?? 0) / 1000}`, meta: { ...item.meta, transcriptId: transcript.id, joinUrl } }),
  );
  return unitOf(ctx, path, { transcript, vtt }, { items });
}
