/**
 * Person agents (`person:<personId>`): how each person's agent spends their attention when they have said nothing
 * (their own settings, `myc me settings set`, win), and how long one run's history may grow.
 */
export const personAgentConfig = {
  /** interruptions (items delivered at once, outside the digest) per local day */
  defaultAttentionBudget: 6,
  /** these urgencies interrupt (inside working hours, outside quiet hours and do-not-disturb, within the budget) */
  interruptingUrgencies: ['high', 'critical'],
  /** items on these channels interrupt too, whatever their urgency; slow-channel items wait for the digest */
  interruptingChannels: ['fast', 'fastest'],
  /** the medium a digest is delivered through (the delivery channels decide which provider carries it) */
  digestMedium: 'digest',
  /** at most this many items in one digest; the rest wait for the next one */
  maxDigestItems: 50,
  /** the working time of someone the directory does not describe */
  defaultCalendar: { timezone: 'UTC', workingHours: { start: '09:00', end: '17:00' } },
  /** answers kept in the agent's state (per person, newest last) */
  responseHistoryLimit: 50,
  /** delivered notification ids remembered, so a repeated `notify` signal is recognised */
  recentDeliveredLimit: 200,
  /** continue-as-new once a run's history reaches this many events (or when the server suggests it) */
  maxHistoryEvents: 2_000,
} as const;
export type PersonAgentConfig = typeof personAgentConfig;
