/**
 * `mycelium/client`: what another service needs to work with Mycelium.
 * - `MyceliumClient`: the HTTP API, typed from the operation registry (`client.ops.search(...)`).
 * - Temporal helpers: start, signal and query Mycelium's workflows by business id.
 */
export { MyceliumClient, type MyceliumClientOptions, type MyceliumOps, type OperationInput, type OperationName, type OperationOutput } from './http';
export { ensureMeetingHasContext, followUpStatus, meetingStatus, prepareBriefNow, requestSync, type MeetingToPrepare, type TemporalOptions } from './temporal';
export { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError, UnavailableError, UserError } from '../registry/errors';
export type { MeetingStatus } from '../../workflows/meeting-defs';
