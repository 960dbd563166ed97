/** Moved to activities/providers/errors.ts (one provider-error layer for delivery and connectors); kept for the delivery adapters' imports. */
export * from '../providers/errors';
