/**
 * Meeting scrutiny for the brief of an upcoming meeting: could it be a thread (no decision to take, an agenda of
 * one-way updates), who is invited without a stake, and which stakeholder is missing. Pure and deterministic (the
 * brief's workflow and activities both call it); the cue words and list bounds live in config/mediums.ts.
 */
import { mediumsConfig, type MediumsConfig } from '../config/mediums';
import type { Stakeholder } from '../schemas/routing';
import { listOf } from './call-slot';
import type { MeetingFacts } from './medium-policy';

export interface MeetingAttendee {
  personId: string;
  name: string;
  organizer?: boolean;
  /** why this person has a stake in the meeting's topic (owns, decides, communicated on it), strongest first; empty = none known */
  stake: readonly string[];
}

export interface MeetingReviewInput {
  title: string;
  description?: string;
  agenda?: readonly string[];
  /** the decisions the meeting is meant to take (open decisions on its topic); unknown = read from the text */
  decisionsToTake?: readonly string[];
  attendees: readonly MeetingAttendee[];
  /** who should be there: people with role decide or consult count, inform is what the notes are for */
  stakeholders: readonly Stakeholder[];
}

export interface IncludedNote {
  personId: string;
  reason: string;
}

export interface MeetingReview {
  couldBeThread?: { reason: string };
  overIncluded: IncludedNote[];
  underIncluded: IncludedNote[];
  /** the facts the medium policy judges a meeting by (chooseMedium's `message.meeting`) */
  facts: MeetingFacts;
}

function cuesIn(text: string, cues: readonly string[]): string[] {
  const lower = text.toLowerCase();
  return cues.filter((cue) => {
    const escaped = cue.toLowerCase().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    // word boundaries by hand: cues like "1:1" and "q&a" start or end with a non-word character
    return new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, 'i').test(lower);
  });
}

const quoted = (words: readonly string[]) => words.map((w) => `"${w}"`).join(', ');

export function reviewMeeting(input: MeetingReviewInput, config: MediumsConfig = mediumsConfig): MeetingReview {
  const cfg = config.meetingReview;
  const text = [input.title, input.description ?? '', ...(input.agenda ?? [])].join('\n');
  const oneWay = cuesIn(text, cfg.oneWayCues);
  const discussion = cuesIn(text, cfg.discussionCues);
  const decisionWords = cuesIn(text, cfg.decisionCues);
  const questions = (text.match(/\?/g) ?? []).length;
  const decisions = input.decisionsToTake ?? [];
  const hasDecision = decisions.length > 0 || decisionWords.length > 0;
  const oneWayUpdates = oneWay.length > 0 && discussion.length === 0 && questions === 0;

  let couldBeThread: MeetingReview['couldBeThread'];
  if (!hasDecision && oneWayUpdates) {
    couldBeThread = {
      reason: `"${input.title}" has no decision to take and its agenda reads as one-way updates (${quoted(oneWay)}), so it could be a thread that ${input.attendees.length} attendees read when it suits them`,
    };
  }

  const invited = new Set(input.attendees.map((a) => a.personId));
  const overIncluded = input.attendees
    .filter((a) => !a.organizer && a.stake.length === 0)
    .slice(0, cfg.maxOverIncluded)
    .map((a) => ({
      personId: a.personId,
      reason: `${a.name} is invited but has no stake in it: no ownership, no decision and no communication on its topic`,
    }));

  const roleRank = { decide: 0, consult: 1, inform: 2 } as const;
  const underIncluded = input.stakeholders
    .filter((s) => s.role !== 'inform' && !invited.has(s.personId))
    // deciders first, then the strongest evidence; the id keeps equal scores in a fixed order
    .sort((a, b) => roleRank[a.role] - roleRank[b.role] || b.score - a.score || a.personId.localeCompare(b.personId))
    .slice(0, cfg.maxUnderIncluded)
    .map((s) => ({
      personId: s.personId,
      reason: `${s.name} ${s.role === 'decide' ? 'decides on' : 'should be consulted on'} this (${s.reasons[0]}) but is not invited${s.maySeeSource ? '' : `, and may not see its sources${s.shareVia.length > 0 ? ` (ask ${listOf(s.shareVia)} to share)` : ''}`}`,
    }));

  return {
    ...(couldBeThread ? { couldBeThread } : {}),
    overIncluded,
    underIncluded,
    facts: { attendees: input.attendees.length, decisionsToTake: Math.max(decisions.length, decisionWords.length > 0 ? 1 : 0), oneWayUpdates },
  };
}
