/**
 * Declarative settings for everything that runs on Temporal: where, how long, how often, how hard to retry.
 * Plain data, imported by workflows (deterministic) and by workers and clients alike.
 */
export const temporalConfig = {
  namespace: 'default',
  taskQueue: 'mycelium',
  /** the dev server started by infra/ when TEMPORAL_ADDRESS is unset */
  devServer: { port: 7233, uiPort: 8233, cliVersion: 'v1.5.1' },
  searchAttributes: {
    meetingId: { name: 'MyceliumMeetingId', type: 'Keyword' },
    attendees: { name: 'MyceliumAttendees', type: 'KeywordList' },
    sourceId: { name: 'MyceliumSourceId', type: 'Keyword' },
    decisionId: { name: 'MyceliumDecisionId', type: 'Keyword' },
    personIds: { name: 'MyceliumPersonIds', type: 'KeywordList' },
    calendarId: { name: 'MyceliumCalendarId', type: 'Keyword' },
    /** on Temporal Schedules we created (so reconciliation never touches anyone else's) */
    managedBy: { name: 'MyceliumManagedBy', type: 'Keyword' },
  },
  notify: {
    /** a decision is announced to its stakeholders when it is this recent; older ones (a backfill) are only remembered */
    announceDecisionsWithin: '14 days',
  },
  meetings: {
    /** a brief is prepared this long before the meeting starts */
    briefLeadTime: '30 minutes',
    /** meetings further out than this are not watched yet */
    horizon: '14 days',
  },
  /** Temporal Schedules that `myc schedules apply` (and the service at start) reconciles: one per source / calendar */
  schedules: {
    syncSources: { every: '5 minutes' },
    watchCalendars: { every: '15 minutes' },
    /**
     * Google watch channels and Graph subscriptions of each Google / Microsoft source are renewed on this schedule
     * too (beside every sync pass): well inside the shortest renewal margin (Teams subscriptions live an hour and
     * are renewed in their last 20 minutes)
     */
    pushUpkeep: { every: '10 minutes' },
  },
  /** followUpUnresolvedDecision: working days in the owner's timezone and hours (workflows/cadence.ts) */
  followUp: {
    nudgeAfter: { workingDays: 2 },
    escalateAfter: { workingDays: 5 },
    closeStaleAfter: { workingDays: 14 },
    /** the working time used when neither the owner nor the decider is in the directory */
    defaultCalendar: { timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' } },
    /** continue-as-new once a run's history reaches this many events (or when the server suggests it) */
    maxHistoryEvents: 2_000,
  },
  sync: {
    /** files per ingest activity call */
    batchSize: 25,
    /** sync requests (webhooks, `myc sources sync`) are merged: a pass starts after this much quiet… */
    debounce: { quiet: '5 seconds', max: '60 seconds' },
    /** …and a run that keeps being asked for more passes continues as new after this many */
    maxPassesPerRun: 20,
  },
  /**
   * API connectors (Google Workspace, Microsoft 365, Slack). Each provider has a task queue of its own,
   * `<taskQueue>-<provider>` (mycelium-google, mycelium-microsoft, mycelium-slack): a provider that is down or rate
   * limiting holds its own queue's slots only, never another provider's, nor the main queue's.
   */
  connectors: {
    /** the providers with a queue each; how hard each queue's workers work is in workers/scaling.ts (connector-<provider>) */
    queues: { google: {}, microsoft: {}, slack: {} },
    /** a pass reads at most this many pages of a source before it yields (the next pass continues from the cursor) */
    maxPagesPerPass: 200,
  },
  activities: {
    /** one page of an API connector: read (provider requests, heartbeats between them), store, commit the cursor */
    connectorPage: {
      startToCloseTimeout: '5 minutes',
      heartbeatTimeout: '1 minute',
      // bounded: rate limits wait out their Retry-After (nextRetryDelay) between attempts; refused credentials are
      // not retried at all (SourceAuthFailed is non-retryable) — the workflow pauses the source instead
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
    },
    /** renewing a source's push channels (provider requests): bounded; a failure leaves the scheduled syncs working */
    pushUpkeep: {
      startToCloseTimeout: '2 minutes',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4 },
    },
    /** reading and writing our own stores: fast, retried a few times */
    store: {
      startToCloseTimeout: '1 minute',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
    },
    /** reading connectors: slower, heartbeats per file, retried with backoff (rate limits set their own delay) */
    connector: {
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout: '1 minute',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
    },
    /** extracting decisions, actions and questions: an LLM call per item may be slow; heartbeats per item */
    extraction: {
      startToCloseTimeout: '10 minutes',
      heartbeatTimeout: '2 minutes',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
    },
    /** delivering to people: idempotent by artifact id */
    delivery: {
      startToCloseTimeout: '1 minute',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
    },
    /**
     * a person agent's sends through a provider (deliverNotification, deliverDigest): exactly once by the delivery
     * ledger; they heartbeat while the provider works, so a worker that died mid-send is noticed within the heartbeat
     * timeout and the retry (which asks the provider before sending again) does not wait for the whole start-to-close
     */
    notifyDelivery: {
      startToCloseTimeout: '2 minutes',
      heartbeatTimeout: '15 seconds',
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
    },
  },
} as const;

export type TemporalConfig = typeof temporalConfig;

export type ConnectorQueueProvider = keyof typeof temporalConfig.connectors.queues;

/**
 * The activity groups that run on a task queue of their own instead of the main one, each polled by one worker role
 * (workers/scaling.ts): every provider's connector, the files connector, the CPU-bound intelligence work (extraction,
 * re-embedding) and the sends. Workflows name the group (workflows/activity-queues.ts), never the queue.
 */
export type ActivityQueueGroup = ConnectorQueueProvider | 'files' | 'intelligence' | 'delivery';

/**
 * The task queue of an activity group, beside the main one (`mycelium` → `mycelium-delivery`). Named from the queue
 * the workflow runs on, so a deployment (or a test) with another main queue gets its own set of group queues.
 */
export function activityTaskQueue(baseTaskQueue: string, group: ActivityQueueGroup): string {
  return `${baseTaskQueue}-${group}`;
}
