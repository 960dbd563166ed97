/**
 * Turns the context gathered for a meeting into a brief: sections of statements, each statement citing
 * the items it rests on, rendered as Markdown. Pure: the gathering and the persistence live in activities.
 */
import type { Brief, BriefSection, Citation, Item, Meeting, PersonId } from '../../schemas/entities';
import { OUTSIDE_OPT_IN } from '../../schemas/entities';

export interface Evidence {
  item: Item;
  /** the segment (turn, message) the quote comes from */
  position?: number;
  quote: string;
}

export interface MeetingContext {
  meeting: Meeting;
  recipients: PersonId[];
  previous?: Meeting;
  /** decisions and commitments from the last meeting of the series that were followed up since */
  seriesDecisions: { evidence: Evidence; followUp: Evidence }[];
  /** decisions from earlier meetings of the series, or by or for an attendee, with no follow-up found */
  openDecisions: { evidence: Evidence; madeAt: Date }[];
  /** action items owned by an attendee, past their due date and not done */
  overdueActions: { evidence: Evidence; ownerId: PersonId; what: string; dueAt: Date }[];
  /** questions to an attendee that got no answer */
  unanswered: { evidence: Evidence; askedOf: PersonId[] }[];
  /** relevant messages nobody replied to */
  missed: Evidence[];
  /** other relevant threads and documents */
  related: Evidence[];
}

export interface BriefIdentity {
  briefId: string;
  workflowId: string;
  runId: string;
  createdAt: Date;
}

export type NameOf = (personId: PersonId | null | undefined) => string;

export function composeBrief(context: MeetingContext, nameOf: NameOf, identity: BriefIdentity): Brief {
  const citations: Citation[] = [];
  const markerFor = new Map<string, number>();

  const cite = (evidence: Evidence): number => {
    const key = `${evidence.item.id}#${evidence.position ?? ''}`;
    const known = markerFor.get(key);
    if (known) return known;
    const marker = citations.length + 1;
    const speaker = evidence.item.segments.find((s) => s.position === evidence.position)?.speakerId;
    citations.push({
      marker,
      itemId: evidence.item.id,
      position: evidence.position,
      sourceId: evidence.item.sourceId,
      kind: evidence.item.kind,
      author: nameOf(speaker ?? evidence.item.authorId),
      occurredAt: evidence.item.occurredAt,
      locator: evidence.item.locator,
      quote: clip(evidence.quote, 280),
    });
    markerFor.set(key, marker);
    return marker;
  };

  const { meeting } = context;
  const sections: BriefSection[] = [];

  if (context.openDecisions.length > 0) {
    sections.push({
      key: 'decisions',
      heading: 'Decided earlier, never followed up',
      statements: context.openDecisions.map(({ evidence, madeAt }) => ({
        text: `${speakerOf(evidence, nameOf)} (${isoDay(madeAt)}): "${clip(evidence.quote, 220)}" — no follow-up found since`,
        citations: [cite(evidence)],
      })),
    });
  }

  if (context.previous && context.seriesDecisions.length > 0) {
    sections.push({
      key: 'series',
      heading: `Since the last "${context.previous.title}" (${isoDay(context.previous.startsAt)})`,
      statements: context.seriesDecisions.map(({ evidence, followUp }) => ({
        text: `${speakerOf(evidence, nameOf)}: "${clip(evidence.quote, 160)}" — followed up by ${nameOf(
          followUp.item.authorId,
        )} on ${isoDay(followUp.item.occurredAt)}`,
        citations: [cite(evidence), cite(followUp)],
      })),
    });
  }

  if (context.overdueActions.length > 0) {
    sections.push({
      key: 'actions',
      heading: 'Overdue action items',
      statements: context.overdueActions.map(({ evidence, ownerId, what, dueAt }) => ({
        text: `${nameOf(ownerId)}: ${clip(what, 160)} — due ${isoDay(dueAt)}, not done`,
        citations: [cite(evidence)],
      })),
    });
  }

  if (context.unanswered.length > 0) {
    sections.push({
      key: 'unanswered',
      heading: 'Questions still waiting for an answer',
      statements: context.unanswered.map(({ evidence, askedOf }) => ({
        text: `${speakerOf(evidence, nameOf)} asked ${askedOf.map((p) => nameOf(p)).join(', ')} on ${isoDay(
          evidence.item.occurredAt,
        )}: "${clip(evidence.quote, 200)}" — no reply yet`,
        citations: [cite(evidence)],
      })),
    });
  }

  if (context.missed.length > 0) {
    sections.push({
      key: 'missed',
      heading: 'The message everyone missed',
      statements: context.missed.map((evidence) => ({
        text: `${speakerOf(evidence, nameOf)} ${whereSaid(evidence.item)} on ${isoDay(evidence.item.occurredAt)}: "${clip(
          evidence.quote,
          240,
        )}" — nobody replied`,
        citations: [cite(evidence)],
      })),
    });
  }

  if (context.related.length > 0) {
    sections.push({
      key: 'related',
      heading: 'Related threads',
      statements: context.related.map((evidence) => ({
        text: `${titleOf(evidence.item)} — ${speakerOf(evidence, nameOf)}, ${isoDay(evidence.item.occurredAt)}: "${clip(
          evidence.quote,
          160,
        )}"`,
        citations: [cite(evidence)],
      })),
    });
  }

  const brief: Brief = {
    id: identity.briefId,
    meetingId: meeting.id,
    recipients: context.recipients,
    sections,
    citations,
    markdown: '',
    workflowId: identity.workflowId,
    runId: identity.runId,
    createdAt: identity.createdAt,
  };
  brief.markdown = renderMarkdown(brief, meeting, nameOf);
  return brief;
}

export function renderMarkdown(brief: Brief, meeting: Meeting, nameOf: NameOf): string {
  const lines: string[] = [];
  lines.push(`# Brief: ${meeting.title}`);
  lines.push('');
  lines.push(`**When:** ${meeting.startsAt.toISOString()} – ${meeting.endsAt.toISOString()}`);
  const attendees = meeting.attendeeIds.map((p) => nameOf(p));
  if (meeting.outsideOptInCount > 0) {
    attendees.push(`${meeting.outsideOptInCount} ${meeting.outsideOptInCount === 1 ? 'person' : 'people'} outside the opt-in`);
  }
  lines.push(`**Attendees:** ${attendees.join(', ') || 'none opted in'}`);
  lines.push('');
  if (brief.sections.length === 0) {
    lines.push('_Nothing relevant was found that every attendee may see._');
    lines.push('');
  }
  for (const section of brief.sections) {
    lines.push(`## ${section.heading}`);
    lines.push('');
    for (const statement of section.statements) {
      const refs = statement.citations.map((m) => `[${m}]`).join('');
      lines.push(`- ${statement.text}${refs ? ` ${refs}` : ''}`);
    }
    lines.push('');
  }
  if (brief.citations.length > 0) {
    lines.push('## Sources');
    lines.push('');
    for (const c of brief.citations) {
      const at = c.position === undefined ? '' : ` #${c.position}`;
      lines.push(`[${c.marker}] ${c.kind} by ${c.author ?? OUTSIDE_OPT_IN}, ${c.occurredAt.toISOString()} — ${c.locator}${at}`);
    }
    lines.push('');
  }
  lines.push(`_Workflow ${brief.workflowId} run ${brief.runId}_`);
  return lines.join('\n');
}

function speakerOf(evidence: Evidence, nameOf: NameOf): string {
  const segment = evidence.item.segments.find((s) => s.position === evidence.position);
  return nameOf(segment?.speakerId ?? evidence.item.authorId);
}

function whereSaid(item: Item): string {
  switch (item.kind) {
    case 'message':
      return typeof item.meta.channel === 'string' ? `wrote in #${item.meta.channel}` : 'wrote';
    case 'email':
      return `emailed "${item.title ?? '(no subject)'}"`;
    case 'transcript':
      return 'said';
    default:
      return 'wrote';
  }
}

function titleOf(item: Item): string {
  if (item.title) return item.title;
  if (item.kind === 'message' && typeof item.meta.channel === 'string') return `#${item.meta.channel}`;
  return item.kind;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
