/**
 * Meeting scrutiny: could the meeting be a thread, who is invited without a stake, which stakeholder is missing —
 * and the facts it hands the medium policy lead to the same verdict there.
 */
import { describe, expect, it } from 'vitest';
import { mediumsConfig } from '../../config/mediums';
import type { Stakeholder } from '../../schemas/routing';
import { reviewMeeting, type MeetingAttendee, type MeetingReviewInput } from '../../workflows/meeting-review';
import { chooseMedium } from '../../workflows/medium-policy';

const attendee = (personId: string, stake: string[] = [], organizer = false): MeetingAttendee => ({
  personId,
  name: personId.charAt(0).toUpperCase() + personId.slice(1),
  stake,
  ...(organizer ? { organizer } : {}),
});
const stakeholder = (personId: string, role: Stakeholder['role'], reason: string, score = 0.5, over: Partial<Stakeholder> = {}): Stakeholder => ({
  personId,
  name: personId.charAt(0).toUpperCase() + personId.slice(1),
  role,
  score,
  reasons: [reason],
  maySeeSource: true,
  shareVia: [],
  ...over,
});

/** the seed's meeting that should have been a thread: a weekly status readout for 9 people */
const weeklyStatus: MeetingReviewInput = {
  title: 'Weekly status readout',
  description: 'Each team gives its status update.',
  agenda: ['Mobile: status', 'Backend: status', 'Design: demo of the new onboarding'],
  attendees: [
    attendee('alice', ['organizes the weekly readout'], true),
    attendee('bob', ['owns the mobile release']),
    attendee('chen', ['owns the backend migration']),
    attendee('dana', ['presents the onboarding demo']),
    attendee('eve', ['replied in 3 of the 4 threads on onboarding this month']),
    attendee('farid'),
    attendee('gus'),
    attendee('hana', ['decided D-12 on the release train']),
    attendee('ivan'),
  ],
  stakeholders: [],
};

describe('reviewMeeting', () => {
  it('a weekly status readout with no decision could be a thread (the seed’s example)', () => {
    const review = reviewMeeting(weeklyStatus);
    expect(review.couldBeThread?.reason).toMatch(/"Weekly status readout" has no decision to take and its agenda reads as one-way updates \("status", "update", "demo", "readout"\), so it could be a thread that 9 attendees read/);
    expect(review.facts).toEqual({ attendees: 9, decisionsToTake: 0, oneWayUpdates: true });
    // the same facts make the medium policy say "a thread, not a meeting"
    const choice = chooseMedium({
      message: { kind: 'fyi', urgency: 'normal', audienceSize: 9, words: 40, complexity: 'low', needsDiscussion: false, reversible: true, meeting: review.facts },
      recipient: { personId: 'alice', timezone: 'Europe/Berlin', workingHours: { start: '09:00', end: '17:00' }, reachable: { chat: true, email: true, calendar: true } },
      now: '2024-06-04T08:00:00Z',
    });
    expect(choice.medium).toBe('chat_channel');
  });

  it('a meeting with a decision to take is not a thread, even with status items', () => {
    const review = reviewMeeting({ ...weeklyStatus, decisionsToTake: ['D-14: ship on Thursday or wait for QA?'] });
    expect(review.couldBeThread).toBeUndefined();
    expect(review.facts.decisionsToTake).toBe(1);
  });

  it('decision words in the agenda count as a decision to take', () => {
    const review = reviewMeeting({ ...weeklyStatus, agenda: ['Status', 'Decide the launch date'] });
    expect(review.couldBeThread).toBeUndefined();
  });

  it('a discussion is not one-way updates', () => {
    expect(reviewMeeting({ ...weeklyStatus, title: 'Status and brainstorm', agenda: [] }).couldBeThread).toBeUndefined();
    expect(reviewMeeting({ ...weeklyStatus, agenda: ['Status', 'What blocks the release?'] }).couldBeThread).toBeUndefined();
  });

  it('a meeting with no one-way cues at all is not judged a thread', () => {
    const review = reviewMeeting({ title: 'Pricing', attendees: [attendee('alice', ['owns pricing'], true)], stakeholders: [] });
    expect(review.couldBeThread).toBeUndefined();
    expect(review.facts.oneWayUpdates).toBe(false);
  });

  it('names who is invited without a stake, never the organizer', () => {
    const review = reviewMeeting({ ...weeklyStatus, attendees: [attendee('alice', [], true), ...weeklyStatus.attendees.slice(1)] });
    expect(review.overIncluded.map((o) => o.personId)).toEqual(['farid', 'gus', 'ivan']);
    expect(review.overIncluded[0]!.reason).toBe('Farid is invited but has no stake in it: no ownership, no decision and no communication on its topic');
  });

  it('names the deciders and consultees who are not invited, deciders first, with the evidence', () => {
    const review = reviewMeeting({
      ...weeklyStatus,
      stakeholders: [
        stakeholder('bob', 'decide', 'owns the mobile release', 1),
        stakeholder('jon', 'consult', 'replied in 4 threads on the release train', 0.9),
        stakeholder('kim', 'decide', 'owns the follow-up of decision D-12', 0.6),
        stakeholder('lea', 'inform', 'manager of the owner', 0.8),
      ],
    });
    expect(review.underIncluded).toEqual([
      { personId: 'kim', reason: 'Kim decides on this (owns the follow-up of decision D-12) but is not invited' },
      { personId: 'jon', reason: 'Jon should be consulted on this (replied in 4 threads on the release train) but is not invited' },
    ]);
  });

  it('says when a missing stakeholder may not see the sources, and who could share them', () => {
    const review = reviewMeeting({
      ...weeklyStatus,
      stakeholders: [stakeholder('dev', 'consult', 'owns the iOS build', 0.7, { maySeeSource: false, shareVia: ['alice'] })],
    });
    expect(review.underIncluded[0]!.reason).toMatch(/Dev should be consulted on this \(owns the iOS build\) but is not invited, and may not see its sources \(ask alice to share\)/);
  });

  it('keeps both lists bounded by the configuration', () => {
    const many = Array.from({ length: 12 }, (_, i) => attendee(`p${String(i).padStart(2, '0')}`));
    const missing = Array.from({ length: 12 }, (_, i) => stakeholder(`s${String(i).padStart(2, '0')}`, 'consult', 'commented on the topic', i / 12));
    const review = reviewMeeting({ title: 'Status', attendees: [attendee('org', [], true), ...many], stakeholders: missing });
    expect(review.overIncluded).toHaveLength(mediumsConfig.meetingReview.maxOverIncluded);
    expect(review.underIncluded).toHaveLength(mediumsConfig.meetingReview.maxUnderIncluded);
    // the strongest evidence first
    expect(review.underIncluded[0]!.personId).toBe('s11');
    const tight = reviewMeeting({ title: 'Status', attendees: many, stakeholders: missing }, { ...mediumsConfig, meetingReview: { ...mediumsConfig.meetingReview, maxOverIncluded: 2, maxUnderIncluded: 1 } });
    expect(tight.overIncluded).toHaveLength(2);
    expect(tight.underIncluded).toHaveLength(1);
  });

  it('a team can teach it its own words for a readout', () => {
    const input: MeetingReviewInput = { title: 'Friday show-and-tell', attendees: [attendee('alice', ['runs it'], true)], stakeholders: [] };
    expect(reviewMeeting(input).couldBeThread).toBeUndefined();
    const taught = reviewMeeting(input, { ...mediumsConfig, meetingReview: { ...mediumsConfig.meetingReview, oneWayCues: ['show-and-tell'] } });
    expect(taught.couldBeThread?.reason).toMatch(/"show-and-tell"/);
  });
});
