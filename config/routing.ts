/** Routing (`resolveStakeholders`): evidence weights, decay, audience bounds. */
export const routingConfig = {} as const;
export type RoutingConfig = typeof routingConfig;
