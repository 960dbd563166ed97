import type { Duration } from '@temporalio/common';
// The same parser Temporal uses for its own timeouts, so '30 minutes' means one thing everywhere.
import { msToNumber } from '@temporalio/common/lib/time';

export function durationMs(duration: Duration): number {
  return msToNumber(duration);
}
