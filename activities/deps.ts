import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Outbox } from './delivery/outbox';
import type { Extractor } from './intelligence/extraction/port';
import type { CoordinationGraph, ProjectHistory } from './memory/coordination';
import type { DecisionStore } from './memory/decisions';
import type { FollowUpStore } from './memory/follow-ups';
import type { MemoryStore } from './memory/store';
import type { NotificationStore } from './memory/notifications';
import type { PersonSettingsStore } from './memory/person-settings';
import type { ChannelResolver } from './notify-delivery';
import type { ConnectorFactories } from './connectors/registry';
import type { SourceRegistry } from './memory/sources';
import type { WebhookStore } from './memory/webhooks';

/** Everything activities touch in the outside world. Tests build this with real stores and servers. */
export interface ActivityDeps {
  store: MemoryStore;
  /** decisions, action items and questions extracted from the items */
  decisions: DecisionStore;
  followUps: FollowUpStore;
  extractor: Extractor;
  outbox: Outbox;
  /** planned notifications and the delivery ledger (exactly-once sends) */
  notifications: NotificationStore;
  /** what each person set about their attention, and what they answered */
  personSettings: PersonSettingsStore;
  /** who communicates with whom, and who decided what: what routing reads */
  coordination: { graph: CoordinationGraph; history: ProjectHistory };
  /** API sources: status, owner, per-stream cursors and encrypted credentials */
  sources: SourceRegistry;
  /** the API connectors this worker can run, by provider (none: API sources fail as misconfigured) */
  connectors?: ConnectorFactories;
  /** push channels (Google watch channels, Graph subscriptions) and their secrets: what push upkeep renews */
  webhooks?: WebhookStore;
  /** the channel per medium and recipient; default: every medium to the outbox */
  delivery?: ChannelResolver;
  /** to signal-with-start the workflows that activities decide should exist */
  temporal: { client: Client; taskQueue: string };
  log: Logger;
  now: () => Date;
}
