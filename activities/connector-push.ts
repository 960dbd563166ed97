/**
 * Push upkeep of an API source: the provider's change notifications are kept alive, so a change reaches
 * `sync:<sourceId>` within seconds instead of at the next scheduled sync.
 *
 *   google     Calendar and Drive watch channels, replaced before they expire (renewChannels)
 *   microsoft  Graph subscriptions, one per resource the streams read, created / renewed / recreated (reconcile)
 *   slack      nothing to keep: the Events API subscription lives in the Slack app's settings
 *
 * It runs at the start of every sync pass of such a source and on a Temporal Schedule of its own
 * (`mycelium:push:<sourceId>`, temporalConfig.schedules.pushUpkeep), on the provider's task queue. Both calls are
 * idempotent. Without MYCELIUM_PUBLIC_URL there is nowhere for providers to deliver to: it says so once per call,
 * in the log, and sets nothing up.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CredentialsError, resolveCredentials } from './connectors/credentials';
import type { GoogleConnector } from './connectors/google';
import { renewChannels } from './connectors/google';
import { MicrosoftSubscriptions, type MicrosoftConnector } from './connectors/microsoft';
import { connectorFor, NoConnectorError } from './connectors/registry';
import type { ActivityDeps } from './deps';
import { SecretKeyError } from './memory/secrets';
import { providerEndpoints, servicePublicUrl } from './providers/endpoints';
import { providerFailure } from './providers/errors';
import { ConnectorFailureType } from './connector-sync';

export interface PushUpkeepResult {
  sourceId: string;
  /** why nothing was done, when nothing was */
  skipped?: 'not-a-push-source' | 'paused' | 'no-public-url';
  /** channels / subscriptions opened or created */
  opened: string[];
  /** renewed in place (Graph) */
  renewed: string[];
  /** stopped or replaced (Google) */
  stopped: string[];
}

export function createConnectorPushActivities(deps: ActivityDeps) {
  async function maintainPush({ sourceId }: { sourceId: string }): Promise<PushUpkeepResult> {
    const result: PushUpkeepResult = { sourceId, opened: [], renewed: [], stopped: [] };
    const source = await deps.sources.get(sourceId);
    if (!source) throw ApplicationFailure.nonRetryable(`source ${sourceId} is not registered`, ConnectorFailureType.NotFound);
    if (source.kind !== 'google' && source.kind !== 'microsoft') return { ...result, skipped: 'not-a-push-source' };
    if (source.status === 'paused') return { ...result, skipped: 'paused' };
    const webhooks = deps.webhooks;
    const publicUrl = servicePublicUrl(process.env);
    if (!publicUrl || !webhooks) {
      deps.log.info(
        { sourceId, kind: source.kind },
        publicUrl
          ? 'push notifications not set up: this worker has no webhook channel store'
          : 'push notifications not set up: MYCELIUM_PUBLIC_URL is not set (the source is kept fresh by its scheduled syncs)',
      );
      return { ...result, skipped: 'no-public-url' };
    }
    let connector;
    try {
      const credentials = await resolveCredentials(deps.sources, source);
      connector = connectorFor(deps.connectors, { id: source.id, kind: source.kind, config: source.config, ownerId: source.ownerId }, credentials, {
        endpoints: providerEndpoints(process.env),
      });
    } catch (error) {
      if (error instanceof SecretKeyError || error instanceof CredentialsError || error instanceof NoConnectorError) {
        throw ApplicationFailure.nonRetryable(error.message, ConnectorFailureType.Misconfigured);
      }
      throw ApplicationFailure.nonRetryable(`source ${source.id}: ${error instanceof Error ? error.message : String(error)}`, ConnectorFailureType.Misconfigured);
    }
    try {
      if (source.kind === 'google') {
        const google = connector as GoogleConnector;
        const renewed = await renewChannels({ apis: google.apis, config: google.config, sourceId, webhooks, publicUrl, now: deps.now });
        result.opened.push(...renewed.opened.map((c) => c.channelId));
        result.stopped.push(...renewed.stopped);
      } else {
        const microsoft = connector as MicrosoftConnector;
        const subscriptions = new MicrosoftSubscriptions({
          graph: microsoft.graph,
          channels: webhooks,
          sourceId,
          notificationUrl: `${publicUrl}/webhooks/microsoft`,
          lifecycleNotificationUrl: `${publicUrl}/webhooks/microsoft/lifecycle`,
          now: deps.now,
        });
        const reconciled = await subscriptions.reconcile(microsoft.subscriptionTargets());
        result.opened.push(...reconciled.created);
        result.renewed.push(...reconciled.renewed);
      }
    } catch (error) {
      throw providerFailure(source.kind, error);
    }
    if (result.opened.length + result.renewed.length + result.stopped.length > 0) {
      deps.log.info({ sourceId, kind: source.kind, opened: result.opened.length, renewed: result.renewed.length, stopped: result.stopped.length }, 'push channels kept alive');
    }
    return result;
  }

  return { maintainPush };
}
