/** Medium selection: the rules and weights of workflows/medium-policy.ts (owned by the medium policy). */
export const mediumsConfig = {} as const;
export type MediumsConfig = typeof mediumsConfig;
