import { describe, expect, it } from 'vitest';
import { composeBrief, type MeetingContext } from '../../activities/intelligence/brief';
import type { Item, Meeting } from '../../schemas/entities';
import { OUTSIDE_OPT_IN } from '../../schemas/entities';

const meeting: Meeting = {
  id: 'acme:sync@2026-03-10T10:00:00.000Z',
  calendarId: 'acme',
  eventId: 'sync@2026-03-10T10:00:00.000Z',
  seriesId: 'sync',
  title: 'Mobile release sync',
  description: 'Go/no-go for 2.0',
  startsAt: new Date('2026-03-10T10:00:00Z'),
  endsAt: new Date('2026-03-10T10:30:00Z'),
  organizerId: 'alice@acme.test',
  attendeeIds: ['alice@acme.test', 'bob@acme.test'],
  outsideOptInCount: 1,
  status: 'confirmed',
  sourceId: 'acme',
};
const previous: Meeting = { ...meeting, id: 'acme:sync@2026-03-03T10:00:00.000Z', startsAt: new Date('2026-03-03T10:00:00Z'), endsAt: new Date('2026-03-03T10:30:00Z') };

function item(partial: Partial<Item> & Pick<Item, 'id' | 'kind' | 'body'>): Item {
  return {
    sourceId: 'acme',
    externalId: partial.id,
    authorId: null,
    occurredAt: new Date('2026-03-04T12:00:00Z'),
    locator: `file:${partial.id}`,
    access: ['alice@acme.test', 'bob@acme.test'],
    recipients: [],
    meta: {},
    segments: [],
    contentHash: 'h',
    ...partial,
  };
}

const transcript = item({
  id: 'tr1',
  kind: 'transcript',
  body: '',
  segments: [
    { position: 0, text: 'Morning all.', speakerId: 'alice@acme.test' },
    { position: 7, text: "We agreed to freeze the API on Friday.", speakerId: 'bob@acme.test' },
  ],
});
const question = item({ id: 'q1', kind: 'message', authorId: 'alice@acme.test', recipients: ['bob@acme.test'], body: 'Bob, can you confirm the signing keys rotated?', meta: { channel: 'mobile' } });
const missed = item({ id: 'm1', kind: 'email', authorId: 'carol@acme.test', title: 'Vendor moves API deadline', body: 'The vendor moves the deadline to March 12.' });

const context: MeetingContext = {
  meeting,
  recipients: meeting.attendeeIds,
  previous,
  openDecisions: [{ evidence: { item: transcript, position: 7, quote: 'We agreed to freeze the API on Friday.' }, madeAt: new Date('2026-03-03T10:00:00Z') }],
  overdueActions: [],
  seriesDecisions: [
    { evidence: { item: transcript, position: 0, quote: 'Morning all.' }, followUp: { item: question, quote: question.body } },
  ],
  unanswered: [{ evidence: { item: question, quote: 'Bob, can you confirm the signing keys rotated?' }, askedOf: ['bob@acme.test'] }],
  missed: [{ item: missed, quote: missed.body }],
  related: [{ item: transcript, position: 7, quote: 'duplicate of the decision' }],
};

const names: Record<string, string> = { 'alice@acme.test': 'Alice Chen', 'bob@acme.test': 'Bob Diaz' };
const nameOf = (id: string | null | undefined) => (id && names[id]) || OUTSIDE_OPT_IN;
const identity = { briefId: 'brief_1', workflowId: 'meeting:x', runId: 'run-1', createdAt: new Date('2026-03-10T09:30:00Z') };

describe('composeBrief', () => {
  const brief = composeBrief(context, nameOf, identity);

  it('cites each piece of evidence once, pointing at the exact item and turn', () => {
    expect(brief.citations.map((c) => [c.marker, c.itemId, c.position])).toEqual([
      [1, 'tr1', 7],
      [2, 'tr1', 0],
      [3, 'q1', undefined],
      [4, 'm1', undefined],
    ]);
  });

  it('gives every statement the markers of its sources, and the same marker for the same source', () => {
    const statements = brief.sections.flatMap((s) => s.statements);
    expect(statements.map((s) => s.citations)).toEqual([[1], [2, 3], [3], [4], [1]]);
    expect(brief.markdown).toContain('Bob Diaz (2026-03-03): "We agreed to freeze the API on Friday." — no follow-up found since [1]');
    expect(brief.markdown).toContain('followed up by Alice Chen on 2026-03-04 [2][3]');
    expect(brief.markdown).toMatch(/Alice Chen asked Bob Diaz on 2026-03-04: .*no reply yet \[3\]/);
  });

  it('names the speaker of a turn, and never names someone outside the opt-in', () => {
    expect(brief.citations[0]?.author).toBe('Bob Diaz');
    expect(brief.citations[3]?.author).toBe(OUTSIDE_OPT_IN);
    expect(brief.markdown).not.toContain('carol');
    expect(brief.markdown).toContain('1 person outside the opt-in');
  });

  it('lists the sources with their locators and the run that made the brief', () => {
    expect(brief.markdown).toContain('[4] email by someone outside the opt-in, 2026-03-04T12:00:00.000Z — file:m1');
    expect(brief.markdown).toContain('_Workflow meeting:x run run-1_');
  });

  it('says so when there is nothing to report', () => {
    const empty = composeBrief({ ...context, previous: undefined, seriesDecisions: [], openDecisions: [], overdueActions: [], unanswered: [], missed: [], related: [] }, nameOf, identity);
    expect(empty.citations).toEqual([]);
    expect(empty.markdown).toContain('Nothing relevant was found');
  });
});
