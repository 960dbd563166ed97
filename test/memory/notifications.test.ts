/**
 * NotificationStore (planned notifications with lineage, the delivery ledger) and PersonSettingsStore, on both
 * engines.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { NotificationStore, notificationKey, type PlannedNotification } from '../../activities/memory/notifications';
import { attentionSettingsOf, InvalidSettingsError, PersonSettingsStore } from '../../activities/memory/person-settings';
import { DB_FLAVORS, truncateAll, useTestDatabase } from '../support/db';

const ANA = 'ana@notify.test';

function planned(over: Partial<PlannedNotification> = {}): PlannedNotification {
  return {
    topicKey: 'decision:D-12',
    recipientId: ANA,
    role: 'decide',
    roleReasons: ['owns the follow-up of decision D-12'],
    medium: 'chat_dm',
    mediumReason: 'a decision is needed today: a direct message',
    channel: 'fast',
    urgency: 'high',
    subject: 'Pricing: decide by Friday',
    markdown: 'We need your call on pricing.',
    subjectKind: 'decision',
    subjectId: 'D-12',
    sourceItemIds: ['item-1', 'item-2', 'item-1'],
    workflowId: 'notify:decision:D-12',
    runId: 'run-1',
    ...over,
  };
}

describe.each(DB_FLAVORS)('notification store on %s', (flavor) => {
  const database = useTestDatabase(flavor);
  let notifications: NotificationStore;
  let settings: PersonSettingsStore;

  beforeEach(async () => {
    await truncateAll(database.db);
    notifications = new NotificationStore({ db: database.db });
    settings = new PersonSettingsStore({ db: database.db });
  });

  it('records a planned notification once, with its lineage, under a deterministic ascii key', async () => {
    const [first] = await notifications.recordPlanned([planned()]);
    expect(first!.created).toBe(true);
    expect(first!.id).toMatch(/^ntf-[0-9a-f]{28}$/);
    expect(first!.idempotencyKey.length).toBeLessThanOrEqual(64);
    expect(first!.id).toBe(notificationKey({ workflowId: 'notify:decision:D-12', recipientId: ANA, subject: 'Pricing: decide by Friday', markdown: 'We need your call on pricing.' }));

    // a retried activity (another run id even) records nothing twice
    const again = await notifications.recordPlanned([planned({ runId: 'run-2' })]);
    expect(again).toEqual([{ id: first!.id, idempotencyKey: first!.id, created: false }]);

    const stored = await notifications.get(first!.id);
    expect(stored).toMatchObject({ topicKey: 'decision:D-12', recipientId: ANA, role: 'decide', medium: 'chat_dm', channel: 'fast', status: 'planned', runId: 'run-1' });
    expect(stored!.roleReasons).toEqual(['owns the follow-up of decision D-12']);
    const { rows } = await database.db.query<{ item_id: string; artifact_type: string; run_id: string }>(
      `SELECT item_id, artifact_type, run_id FROM lineage WHERE artifact_id = $1 ORDER BY item_id`,
      [first!.id],
    );
    expect(rows).toEqual([
      { item_id: 'item-1', artifact_type: 'notification', run_id: 'run-1' },
      { item_id: 'item-2', artifact_type: 'notification', run_id: 'run-1' },
    ]);
  });

  it('keys differ by recipient and by content', async () => {
    const results = await notifications.recordPlanned([planned(), planned({ recipientId: 'dev@notify.test' }), planned({ markdown: 'Changed.' })]);
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
    expect(results.every((r) => r.created)).toBe(true);
    expect((await notifications.listFor(ANA)).length).toBe(2);
    expect((await notifications.listFor(ANA, { status: 'sent' })).length).toBe(0);
  });

  it('the ledger records before the send, reports an unconfirmed attempt, and confirms exactly once', async () => {
    const [n] = await notifications.recordPlanned([planned()]);
    const at = new Date('2025-01-06T09:00:00Z');
    const begin = { idempotencyKey: n!.id, kind: 'notification' as const, personId: ANA, medium: 'chat_dm', channelName: 'slack', notificationIds: [n!.id], at };
    const first = await notifications.beginDelivery(begin);
    expect(first.state).toBe('new');
    expect((await notifications.get(n!.id))!.status).toBe('sending');

    const retry = await notifications.beginDelivery(begin);
    expect(retry.state).toBe('sending');
    expect(retry.delivery.attempts).toBe(2);

    const confirmed = await notifications.confirmDelivery(n!.id, { ref: 'slack:D1/1.2', alreadySent: true }, new Date(at.getTime() + 1000));
    expect(confirmed).toMatchObject({ status: 'sent', providerRef: 'slack:D1/1.2', foundSent: true });
    const after = await notifications.beginDelivery(begin);
    expect(after.state).toBe('sent');
    expect(after.delivery.attempts).toBe(2);
    expect(await notifications.get(n!.id)).toMatchObject({ status: 'sent', providerRef: 'slack:D1/1.2', deliveryKey: n!.id });
    // a second confirmation changes nothing
    const twice = await notifications.confirmDelivery(n!.id, { ref: 'slack:other' }, new Date());
    expect(twice.providerRef).toBe('slack:D1/1.2');
  });

  it('counts how a person answered each medium, over their latest sends and answers, as reading them all would', async () => {
    const BEN = 'ben@notify.test';
    const mediums = ['chat_dm', 'email', 'digest'] as const;
    const recorded = await notifications.recordPlanned(
      [ANA, BEN].flatMap((recipientId) => Array.from({ length: 9 }, (_, i) => planned({ recipientId, medium: mediums[i % 3]!, subject: `update ${i}` }))),
    );
    const at = new Date('2025-01-06T09:00:00Z');
    for (const [i, n] of recorded.entries()) {
      if (i % 9 >= 7) continue; // the last two of each person stay planned
      const person = i < 9 ? ANA : BEN;
      await notifications.beginDelivery({ idempotencyKey: n.id, kind: 'notification', personId: person, medium: mediums[i % 3]!, channelName: 'outbox', notificationIds: [n.id], at });
      await notifications.confirmDelivery(n.id, { ref: `outbox:${n.id}` }, at);
      if (i % 2 === 0) await settings.recordResponse({ notificationId: n.id, personId: person, medium: mediums[i % 3]!, at: new Date(at.getTime() + i * 60_000) });
    }
    // an answer to a notification never sent counts for nothing
    await settings.recordResponse({ notificationId: recorded[8]!.id, personId: ANA, medium: 'digest', at });

    const fromEveryRow = async (person: string, limit: number) => {
      const [sent, answers] = await Promise.all([notifications.listFor(person, { status: 'sent', limit }), settings.responsesOf(person, limit)]);
      const answered = new Set(answers.map((r) => r.notificationId));
      const out = new Map<string, { sent: number; answered: number }>();
      for (const n of sent) {
        const h = out.get(n.medium) ?? { sent: 0, answered: 0 };
        out.set(n.medium, { sent: h.sent + 1, answered: h.answered + (answered.has(n.id) ? 1 : 0) });
      }
      return out;
    };
    for (const person of [ANA, BEN]) {
      for (const limit of [200, 4, 1]) {
        const counted = await notifications.mediumHistory(person, limit);
        expect(counted, `${person} at ${limit}`).toEqual(await fromEveryRow(person, limit));
      }
    }
    const ana = await notifications.mediumHistory(ANA, 200);
    expect([...ana.values()].reduce((n, h) => n + h.sent, 0)).toBe(7);
    expect([...ana.values()].reduce((n, h) => n + h.answered, 0)).toBe(4);
  });

  it('settings: validated patches, a field-named error, merged with the directory', async () => {
    expect(await settings.get(ANA)).toMatchObject({ quietHours: null, attentionBudget: null });
    const set = await settings.set(ANA, { quietHours: { start: '22:00', end: '07:00' }, attentionBudget: 3, preferredMediums: ['chat_dm'] });
    expect(set).toMatchObject({ quietHours: { start: '22:00', end: '07:00' }, attentionBudget: 3, preferredMediums: ['chat_dm'], digestTime: null });
    const patched = await settings.set(ANA, { digestTime: '08:30', quietHours: null });
    expect(patched).toMatchObject({ quietHours: null, attentionBudget: 3, digestTime: '08:30' });
    expect(await settings.get(ANA)).toEqual(patched);

    await expect(settings.set(ANA, { digestTime: '8:30' })).rejects.toSatisfy((e) => e instanceof InvalidSettingsError && e.issues[0]!.field === 'digestTime');
    await expect(settings.set(ANA, { quietHours: { start: '25:00', end: '07:00' } })).rejects.toSatisfy(
      (e) => e instanceof InvalidSettingsError && e.issues[0]!.field === 'quietHours.start',
    );
    await expect(settings.set(ANA, { avoidedMediums: ['chat_dm'] })).rejects.toSatisfy((e) => e instanceof InvalidSettingsError && e.issues[0]!.field === 'avoidedMediums');
    await expect(settings.set(ANA, { budget: 3 })).rejects.toBeInstanceOf(InvalidSettingsError);

    const attention = attentionSettingsOf({ timezone: 'Europe/Berlin', workingHours: { start: '09:30', end: '18:00' } }, { ...patched, digestTime: null });
    expect(attention).toMatchObject({ timezone: 'Europe/Berlin', budgetPerDay: 3, digestTime: '09:30' });
  });

  it('records responses once each', async () => {
    const at = new Date('2025-01-06T10:00:00Z');
    expect(await settings.recordResponse({ notificationId: 'ntf-1', personId: ANA, medium: 'chat_dm', at })).toEqual({ created: true });
    expect(await settings.recordResponse({ notificationId: 'ntf-1', personId: ANA, medium: 'chat_dm', at })).toEqual({ created: false });
    expect(await settings.responsesOf(ANA)).toMatchObject([{ notificationId: 'ntf-1', medium: 'chat_dm' }]);
  });
});
