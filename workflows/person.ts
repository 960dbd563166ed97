/**
 * personAgent — a person's own agent, one long-lived run per person (`person:<personId>`), started by the first
 * notification for them (signal-with-start, activities/person-requests.ts). Other workflows never message a person
 * directly: they record the notification and signal this agent, which decides when it goes out.
 *
 * Each notice is placed by the pure timing policy (workflows/attention.ts): out at once (urgent or fast, inside
 * working hours, outside quiet hours and do-not-disturb, within the day's attention budget), held until the next
 * allowed moment, or queued for the digest, which goes out at the person's digest time in their own timezone.
 * Waiting is a durable timer (condition with a timeout), so a digest due on Monday morning survives any restart.
 * Sends are activities that deliver exactly once (activities/notify-delivery.ts); the state carried across
 * continue-as-new is the queue, the day's budget, the digest count and bounded histories.
 */
import { ActivityFailure, allHandlersFinished, condition, continueAsNew, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NotifyDeliveryActivities } from '../activities/notify-delivery';
import type { PersonAgentActivities } from '../activities/person-agent';
import { personAgentConfig } from '../config/person-agent';
import { temporalConfig } from '../temporal.config';
import { routedActivities } from './activity-queues';
import { localDateKey, nextDigestAt, placeNotice, type AttentionSettings } from './attention';
import {
  digestKey,
  flushDigestUpdate,
  notifySignal,
  respondedSignal,
  settingsChangedSignal,
  stateQuery,
  type Answer,
  type DeliveredNotice,
  type FlushResult,
  type Notice,
  type PersonCarry,
  type PersonInput,
  type PersonState,
  type QueuedNotice,
} from './person-defs';

export * from './person-defs';

const { loadPersonAttention } = proxyActivities<PersonAgentActivities>(temporalConfig.activities.store);
// sends through the providers (Slack, e-mail, calendar invites, docs): the delivery role's work
const { deliverNotification, deliverDigest } = routedActivities<NotifyDeliveryActivities>('delivery', temporalConfig.activities.notifyDelivery);

const URGENCIES = new Set(['low', 'normal', 'high', 'critical']);
const CHANNELS = new Set(['slow', 'fast', 'fastest']);

function isNotice(n: unknown): n is Notice {
  const v = n as Partial<Notice> | null;
  return (
    typeof v?.notificationId === 'string' &&
    v.notificationId.length > 0 &&
    URGENCIES.has(String(v.urgency)) &&
    CHANNELS.has(String(v.channel)) &&
    typeof v.medium === 'string' &&
    (v.deliverAt === undefined || !Number.isNaN(Date.parse(v.deliverAt)))
  );
}

function keepLast<T>(list: T[], limit: number): T[] {
  return list.length > limit ? list.slice(list.length - limit) : list;
}

export async function personAgent(input: PersonInput): Promise<void> {
  const cfg = personAgentConfig;
  const { personId } = input;
  const { workflowId } = workflowInfo();
  const maxHistoryEvents = input.maxHistoryEvents ?? cfg.maxHistoryEvents;
  const carried: PersonCarry | undefined = input.carried;

  let queue: QueuedNotice[] = carried?.queue ?? [];
  let inbox: Notice[] = carried?.inbox ?? [];
  let settings: AttentionSettings | undefined = carried?.settings;
  let budget = carried?.budget ?? { date: '', used: 0 };
  let digests = carried?.digests ?? { date: '', count: 0 };
  let answers: Answer[] = carried?.answers ?? [];
  let delivered: DeliveredNotice[] = carried?.delivered ?? [];
  let digestDueAt: number | undefined = carried?.digestDueAt ? Date.parse(carried.digestDueAt) : undefined;
  const runs = (carried?.runs ?? 0) + 1;
  let settingsStale = settings === undefined;
  let flushAsked = 0;
  let flushDone = 0;
  let lastFlush: FlushResult = { notificationIds: [] };

  const known = (id: string): boolean => inbox.some((n) => n.notificationId === id) || queue.some((q) => q.notificationId === id) || delivered.some((d) => d.notificationId === id);
  const usedToday = (now: number): number => (settings && budget.date === localDateKey(now, settings.timezone) ? budget.used : 0);
  const digestItems = (): QueuedNotice[] => queue.filter((q) => q.placement === 'digest');

  const state = (): PersonState => {
    const now = Date.now();
    const answersByMedium: PersonState['answersByMedium'] = {};
    for (const a of answers) answersByMedium[a.medium] = (answersByMedium[a.medium] ?? 0) + 1;
    return {
      personId,
      workflowId,
      ...(settings ? { settings } : {}),
      queue,
      arriving: inbox,
      budgetLeft: settings ? Math.max(0, settings.budgetPerDay - usedToday(now)) : null,
      ...(digestDueAt !== undefined && digestItems().length > 0 ? { nextDigestAt: new Date(digestDueAt).toISOString() } : {}),
      answersByMedium,
      recentlyDelivered: delivered.slice(-20),
      runs,
    };
  };

  setHandler(notifySignal, (notice) => {
    if (!isNotice(notice)) {
      log.warn('ignoring a malformed notice', { personId, notice });
      return;
    }
    if (known(notice.notificationId)) return; // a repeated signal (a retried notifyStakeholders activity)
    inbox.push(notice);
  });
  setHandler(settingsChangedSignal, () => {
    settingsStale = true;
  });
  setHandler(respondedSignal, (answer) => {
    if (typeof answer?.notificationId !== 'string' || typeof answer.medium !== 'string') return;
    answers = keepLast([...answers, answer], cfg.responseHistoryLimit);
  });
  setHandler(stateQuery, state);
  setHandler(flushDigestUpdate, async () => {
    const mine = ++flushAsked;
    await condition(() => flushDone >= mine);
    return lastFlush;
  });

  const remember = (ids: string[], via: DeliveredNotice['via'], deliveryKey: string, at: number): void => {
    delivered = keepLast([...delivered, ...ids.map((notificationId) => ({ notificationId, via, deliveryKey, at: new Date(at).toISOString() }))], cfg.recentDeliveredLimit);
    queue = queue.filter((q) => !ids.includes(q.notificationId));
  };

  const toDigest = (notice: Notice, now: number, reason: string): void => {
    queue.push({ ...notice, receivedAt: new Date(now).toISOString(), placement: 'digest', reason });
    digestDueAt ??= nextDigestAt(now, settings!).getTime();
  };

  async function sendDigest(now: number): Promise<FlushResult> {
    const items = digestItems().slice(0, cfg.maxDigestItems);
    if (items.length === 0) return { notificationIds: [] };
    const date = localDateKey(now, settings!.timezone);
    digests = digests.date === date ? { date, count: digests.count + 1 } : { date, count: 1 };
    const key = digestKey(personId, date, digests.count);
    const ids = items.map((q) => q.notificationId);
    try {
      const outcome = await deliverDigest(personId, ids, key);
      remember(ids, 'digest', key, now);
      log.info('digest delivered', { personId, key, items: outcome.notificationIds.length });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // the items stay queued; the next digest tries again under its own key
      log.warn('digest delivery failed; its items wait for the next digest', { personId, key, error: error.message });
    }
    // what did not fit (or failed) waits for the next digest moment after this one
    digestDueAt = digestItems().length > 0 ? nextDigestAt(now + 1, settings!).getTime() : undefined;
    return { digestKey: key, notificationIds: ids };
  }

  async function place(notice: Notice, now: number): Promise<void> {
    const placement = placeNotice(notice, now, settings!, usedToday(now), cfg);
    if (placement.kind === 'digest') return toDigest(notice, now, placement.reason);
    if (placement.kind === 'hold') {
      queue.push({ ...notice, receivedAt: new Date(now).toISOString(), placement: 'held', until: placement.until.toISOString(), reason: placement.reason });
      return;
    }
    const date = localDateKey(now, settings!.timezone);
    budget = budget.date === date ? { date, used: budget.used + 1 } : { date, used: 1 };
    try {
      const outcome = await deliverNotification(notice.notificationId);
      remember([notice.notificationId], 'direct', outcome.deliveryKey, now);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('direct delivery failed; the item joins the digest', { personId, notificationId: notice.notificationId, error: error.message });
      toDigest(notice, now, 'sending it on its own failed: joins the digest');
    }
  }

  for (;;) {
    if (settingsStale) {
      settingsStale = false;
      settings = await loadPersonAttention(personId);
      // new quiet hours, do-not-disturb or digest time: held items are placed again, the digest moment recomputed
      const held = queue.filter((q) => q.placement === 'held');
      queue = queue.filter((q) => q.placement !== 'held');
      inbox = [...held.map(({ notificationId, urgency, medium, channel, deliverAt }) => ({ notificationId, urgency, medium, channel, ...(deliverAt ? { deliverAt } : {}) })), ...inbox];
      digestDueAt = digestItems().length > 0 ? nextDigestAt(Date.now(), settings).getTime() : undefined;
      continue;
    }

    const now = Date.now();
    // held items whose moment came are placed again (the budget may be spent by now, or a new day has begun)
    const due = queue.filter((q) => q.placement === 'held' && Date.parse(q.until!) <= now);
    if (due.length > 0) {
      queue = queue.filter((q) => !due.includes(q));
      inbox = [...due.map(({ notificationId, urgency, medium, channel }) => ({ notificationId, urgency, medium, channel })), ...inbox];
    }
    while (inbox.length > 0 && !settingsStale) await place(inbox.shift()!, now);
    if (settingsStale) continue;

    if (flushAsked > flushDone) {
      lastFlush = await sendDigest(Date.now());
      flushDone = flushAsked;
    } else if (digestDueAt !== undefined && digestDueAt <= now) {
      await sendDigest(now);
    }

    const info = workflowInfo();
    if ((info.continueAsNewSuggested || info.historyLength >= maxHistoryEvents) && flushAsked === flushDone) {
      await condition(allHandlersFinished);
      log.info('continuing as new', { personId, historyLength: info.historyLength, runs });
      return continueAsNew<typeof personAgent>({
        personId,
        maxHistoryEvents: input.maxHistoryEvents,
        carried: { queue, inbox, settings, budget, digests, answers, delivered, runs, ...(digestDueAt !== undefined ? { digestDueAt: new Date(digestDueAt).toISOString() } : {}) },
      });
    }

    const wakeAt = Math.min(digestDueAt ?? Infinity, ...queue.filter((q) => q.placement === 'held').map((q) => Date.parse(q.until!)));
    const woken = () => inbox.length > 0 || settingsStale || flushAsked > flushDone;
    if (Number.isFinite(wakeAt)) await condition(woken, Math.max(1, wakeAt - Date.now()));
    else await condition(woken);
  }
}
