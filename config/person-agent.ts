/** Person agents (`person:<personId>`): digest time, quiet hours, attention budget defaults. */
export const personAgentConfig = {} as const;
export type PersonAgentConfig = typeof personAgentConfig;
