/**
 * The coordination policy a team can change: who needs to know (routing), which medium each message deserves,
 * and how each person's agent spends their attention. Plain data, imported by workflows (deterministic) and
 * activities alike; every choice the policy makes cites the rule that made it.
 */
import { mediumsConfig } from './config/mediums';
import { personAgentConfig } from './config/person-agent';
import { routingConfig } from './config/routing';

export const policyConfig = {
  routing: routingConfig,
  mediums: mediumsConfig,
  personAgent: personAgentConfig,
} as const;

export type PolicyConfig = typeof policyConfig;
