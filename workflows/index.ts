// The workflow bundle's entry point: every workflow the worker serves.
export { ensureMeetingHasContext } from './meeting';
export { syncSource } from './sync';
export { followUpUnresolvedDecision } from './follow-up';
export { watchCalendar } from './calendar-watch';
export { requestScheduledSync } from './scheduled-sync';
export { personAgent } from './person';
export { notifyStakeholders } from './notify';
export { maintainSourcePush } from './push-upkeep';
export { reembedVectors } from './reembed';
