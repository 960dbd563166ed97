import { defineSearchAttributeKey } from '@temporalio/common';
import { temporalConfig } from '../temporal.config';

const { searchAttributes } = temporalConfig;

/** Custom search attributes registered on the server by infra/, so the Web UI can filter runs. */
export const MeetingIdAttribute = defineSearchAttributeKey(searchAttributes.meetingId.name, 'KEYWORD');
export const AttendeesAttribute = defineSearchAttributeKey(searchAttributes.attendees.name, 'KEYWORD_LIST');
export const SourceIdAttribute = defineSearchAttributeKey(searchAttributes.sourceId.name, 'KEYWORD');
export const DecisionIdAttribute = defineSearchAttributeKey(searchAttributes.decisionId.name, 'KEYWORD');
/** everyone a run concerns (attendees, owner, decider): "every run about Ana" is one filter */
export const PersonIdsAttribute = defineSearchAttributeKey(searchAttributes.personIds.name, 'KEYWORD_LIST');
export const CalendarIdAttribute = defineSearchAttributeKey(searchAttributes.calendarId.name, 'KEYWORD');
export const ManagedByAttribute = defineSearchAttributeKey(searchAttributes.managedBy.name, 'KEYWORD');
