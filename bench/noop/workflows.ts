/**
 * P1's baseline: a workflow that does nothing but what Temporal must do for ensureMeetingHasContext's shape —
 * started by signal-with-start, two activity calls in sequence with the same activity options, a result.
 * Bundled on its own (bench/p1-orchestration.ts); never part of the app's workflows.
 */
import { defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import { temporalConfig } from '../../temporal.config';
import type { NoopActivities } from './activities';

export const noopSignal = defineSignal<[unknown]>('reschedule');

const { noopPrepare } = proxyActivities<NoopActivities>({ ...temporalConfig.activities.store, startToCloseTimeout: '2 minutes' });
const { noopDeliver } = proxyActivities<NoopActivities>(temporalConfig.activities.delivery);

export async function noopMeeting(input: { meetingId: string }): Promise<{ meetingId: string; briefId: string }> {
  setHandler(noopSignal, () => undefined);
  const { briefId } = await noopPrepare({ meetingId: input.meetingId });
  await noopDeliver({ briefId });
  return { meetingId: input.meetingId, briefId };
}
