/** The no-op activities of P1's baseline workflow: return at once, touch nothing. */
export const noopActivities = {
  async noopPrepare({ meetingId }: { meetingId: string }): Promise<{ briefId: string }> {
    return { briefId: `noop-${meetingId}` };
  },
  async noopDeliver({ briefId }: { briefId: string }): Promise<{ delivered: string[] }> {
    return { delivered: [briefId] };
  },
};
export type NoopActivities = typeof noopActivities;
