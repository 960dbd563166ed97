/**
 * Medium selection: the rules and weights of workflows/medium-policy.ts and workflows/meeting-review.ts. A team
 * changes how it is reached here; every choice the policy makes names the rule (and the facts) that made it.
 */
import type { Medium, MessageKind, Urgency } from '../schemas/routing';

export interface MediumsConfig {
  /** the order mediums are tried in when nothing else separates two candidates */
  tieBreak: readonly Medium[];
  /** a decision record is kept, not chatted: this medium */
  decisionRecord: Medium;
  audience: {
    /** an audience above this many people gets a channel post (when it needs an answer or is urgent) or the digest */
    channelPostAbove: number;
  };
  call: {
    /** a call with more people than this is a meeting, not a 5-minute call */
    maxParticipants: number;
    durationMinutes: number;
    stepMinutes: number;
    horizonDays: number;
    /** message kinds a call can settle */
    kinds: readonly MessageKind[];
    /** a blocker that needs discussion → call */
    blockerNeedingDiscussion: boolean;
    /** a decision that cannot be undone and needs discussion → call */
    irreversibleDecision: boolean;
    /** a high-complexity message that needs discussion → call */
    complexDiscussion: boolean;
    /** the thread that should have been a call: at least this many replies, between at most this many people, over at least this many hours */
    thread: { minReplies: number; maxParticipants: number; minHoursSpanned: number };
    /** a call that cannot start within this many hours is no faster than a message, per urgency */
    maxWaitHours: Record<Urgency, number>;
  };
  /** what makes a message fast (chat or email) rather than slow (digest) */
  fast: {
    urgencies: readonly Urgency[];
    /** kinds that wait for an answer */
    kindsNeedingAnswer: readonly MessageKind[];
    /** a deadline closer than this is treated as urgent */
    deadlineWithinHours: number;
  };
  length: {
    /** longer than this reads better as an email than as a chat message */
    chatMaxWords: number;
    /** an FYI longer than this is a doc rather than a digest entry */
    docAboveWords: number;
  };
  /** how what a person answered before moves the choice between fast mediums */
  history: {
    /** fewer messages sent through a medium than this say nothing about it */
    minSent: number;
    answerRateWeight: number;
    speedWeight: number;
    /** a median response of this many minutes halves the speed score */
    speedHalfLifeMinutes: number;
    /** history only overturns the default order when it is better by at least this much */
    margin: number;
  };
  preferences: {
    /** at or above this urgency the rule's medium wins over what a person prefers or avoids */
    urgencyOverridesPreferencesAt: Urgency;
  };
  /** working hours, quiet hours and do-not-disturb */
  timing: {
    /** these mediums wait for the person's working hours (and the end of quiet hours and do-not-disturb) */
    waitForWorkingHours: readonly Medium[];
    /** a critical message interrupts outside working hours and in quiet hours */
    criticalInterruptsAfterHours: boolean;
    /** a critical message breaks do-not-disturb */
    criticalBreaksDoNotDisturb: boolean;
  };
  attention: {
    /** mediums that spend one interruption of the person's daily attention budget */
    interrupting: readonly Medium[];
    /** what an interrupting medium becomes once the budget is spent */
    whenSpent: Medium;
    /** at or above this urgency the budget does not hold a message back */
    overriddenAt: Urgency;
  };
  /** when the thing judged is a meeting */
  meeting: {
    /** a one-way meeting with at least this many attendees becomes a channel thread; smaller ones the digest */
    threadMinAttendees: number;
  };
  meetingReview: {
    maxOverIncluded: number;
    maxUnderIncluded: number;
    /** words in a title/agenda that mark one-way updates */
    oneWayCues: readonly string[];
    /** words that mark a discussion (the meeting is more than a readout) */
    discussionCues: readonly string[];
    /** words that mark a decision to take */
    decisionCues: readonly string[];
  };
}

export const mediumsConfig: MediumsConfig = {
  tieBreak: ['chat_dm', 'email', 'chat_channel', 'call', 'doc', 'digest'],
  decisionRecord: 'doc',
  audience: { channelPostAbove: 8 },
  call: {
    maxParticipants: 4,
    durationMinutes: 5,
    stepMinutes: 15,
    horizonDays: 5,
    kinds: ['blocker', 'decision_needed', 'question'],
    blockerNeedingDiscussion: true,
    irreversibleDecision: true,
    complexDiscussion: true,
    thread: { minReplies: 10, maxParticipants: 4, minHoursSpanned: 24 },
    maxWaitHours: { critical: 4, high: 24, normal: 72, low: 120 },
  },
  fast: {
    urgencies: ['high', 'critical'],
    kindsNeedingAnswer: ['question', 'decision_needed', 'blocker'],
    deadlineWithinHours: 24,
  },
  length: { chatMaxWords: 120, docAboveWords: 800 },
  history: { minSent: 3, answerRateWeight: 1, speedWeight: 0.5, speedHalfLifeMinutes: 60, margin: 0.15 },
  preferences: { urgencyOverridesPreferencesAt: 'critical' },
  timing: {
    waitForWorkingHours: ['chat_dm', 'chat_channel', 'email'],
    criticalInterruptsAfterHours: true,
    criticalBreaksDoNotDisturb: false,
  },
  attention: { interrupting: ['chat_dm'], whenSpent: 'email', overriddenAt: 'critical' },
  meeting: { threadMinAttendees: 3 },
  meetingReview: {
    maxOverIncluded: 5,
    maxUnderIncluded: 5,
    oneWayCues: ['status', 'update', 'updates', 'fyi', 'demo', 'readout', 'read-out', 'report', 'recap', 'announcement', 'announcements', 'newsletter', 'all-hands', 'town hall', 'showcase', 'progress'],
    discussionCues: ['discuss', 'discussion', 'brainstorm', 'debate', 'workshop', 'design review', 'retro', 'retrospective', 'planning', 'trade-off', 'tradeoff', 'feedback', 'align', 'alignment', 'problem solving', 'q&a', 'open questions', 'kickoff', 'kick-off', '1:1', 'one-on-one', 'interview'],
    decisionCues: ['decide', 'decision', 'choose', 'pick', 'approve', 'approval', 'sign off', 'sign-off', 'agree on', 'vote', 'go/no-go', 'go / no-go', 'prioritise', 'prioritize'],
  },
};
