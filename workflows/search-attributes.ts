import { defineSearchAttributeKey } from '@temporalio/common';
import { temporalConfig } from '../temporal.config';

const { searchAttributes } = temporalConfig;

/** Custom search attributes registered on the server by infra/, so the Web UI can filter runs. */
export const MeetingIdAttribute = defineSearchAttributeKey(searchAttributes.meetingId.name, 'KEYWORD');
export const AttendeesAttribute = defineSearchAttributeKey(searchAttributes.attendees.name, 'KEYWORD_LIST');
export const SourceIdAttribute = defineSearchAttributeKey(searchAttributes.sourceId.name, 'KEYWORD');
