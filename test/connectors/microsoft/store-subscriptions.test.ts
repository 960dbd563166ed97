/**
 * Through the real store (PGlite): a private Teams channel's message is found by its members' search only; and the
 * Graph subscriptions of a source are created, renewed, reauthorized and recreated with the exact requests Graph
 * expects, their clientState registered in the webhook channel store the webhook endpoint verifies against.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../../activities/intelligence/embeddings/local';
import { MemoryStore } from '../../../activities/memory/store';
import { chooseVectorIndex } from '../../../activities/memory/vector-index';
import { MicrosoftSubscriptions } from '../../../activities/connectors/microsoft';
import { WebhookStore } from '../../../activities/memory/webhooks';
import { GraphReader } from '../../../activities/connectors/microsoft/graph';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { startFakeGraph, type FakeGraph } from '../../support/fake-graph-api';
import { ALICE, BOB, CAROL, connectorFor, people, readPass } from './setup';
import { seedTeam } from './team-fixture';

let database: TestDatabase;
let fake: FakeGraph;
beforeAll(async () => {
  database = await createTestDatabase('pglite', { migrate: true });
  fake = await startFakeGraph();
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await database?.dispose();
});

describe('a private Teams channel in the store', () => {
  it("is not found by a non-member's search, and is found by a member's", async () => {
    seedTeam(fake);
    const embedder = new LocalHashingEmbedder();
    const store = new MemoryStore({ db: database.db, vectors: await chooseVectorIndex(database.db, embedder.dimensions, { info: () => undefined }), embedder });
    await store.upsertPeople(people);
    const connector = connectorFor(fake, { users: [], teams: [{ teamId: 'T1' }] });
    const { pages } = await readPass(connector, 'teams:T1/*', null);
    for (const unit of pages.flatMap((p) => p.units)) await store.storeUnit('m365', unit);

    const found = async (visibleTo: string) => {
      const hits = await store.searchText('android rollout friday', { visibleTo: [visibleTo] }, 10);
      const items = await store.getItems(hits.map((h) => h.itemId));
      return items.map((i) => i.body);
    };
    expect(await found(CAROL)).not.toContain('The Android rollout slips to Friday & we tell sales.');
    expect(await found(BOB)).toContain('The Android rollout slips to Friday & we tell sales.');
    expect(await found(ALICE)).toContain('The Android rollout slips to Friday & we tell sales.');
    // Carol still finds her own channel
    expect((await store.getItems((await store.searchText('lunch friday', { visibleTo: [CAROL] }, 10)).map((h) => h.itemId))).map((i) => i.body)).toEqual(['Lunch on Friday?']);
  });
});

describe('Graph change notification subscriptions', () => {
  it('creates, renews before expiry, renews on reauthorizationRequired, and recreates a removed one', async () => {
    let now = new Date('2026-03-02T12:00:00.000Z');
    const channels = new WebhookStore({ db: database.db });
    const graph = GraphReader.create({ kind: 'client-credentials', tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: 'app-secret', loginUrl: fake.url }, fake.url);
    const subscriptions = new MicrosoftSubscriptions({
      graph,
      channels,
      sourceId: 'm365-subs',
      notificationUrl: 'https://myc.contoso.test/webhooks/microsoft',
      lifecycleNotificationUrl: 'https://myc.contoso.test/webhooks/microsoft/lifecycle',
      now: () => now,
    });
    const targets = connectorFor(fake, { teams: [{ teamId: 'T1', channelIds: ['19:private@thread.tacv2'] }] }).subscriptionTargets();
    expect(targets.map((t) => [t.resource, t.lifetimeMinutes])).toEqual([
      [`users/${encodeURIComponent(ALICE)}/events`, 4230],
      [`users/${encodeURIComponent(ALICE)}/messages`, 4230],
      [`teams/T1/channels/${encodeURIComponent('19:private@thread.tacv2')}/messages`, 60],
    ]);
    fake.requests.length = 0;

    expect(await subscriptions.reconcile(targets)).toEqual({ created: ['sub-1', 'sub-2', 'sub-3'], renewed: [] });
    const posts = fake.requestsTo('/v1.0/subscriptions', 'POST');
    expect(posts).toHaveLength(3);
    const first = JSON.parse(posts[0]!.body) as Record<string, string>;
    expect(first).toEqual({
      changeType: 'created,updated,deleted',
      notificationUrl: 'https://myc.contoso.test/webhooks/microsoft',
      lifecycleNotificationUrl: 'https://myc.contoso.test/webhooks/microsoft/lifecycle',
      resource: `users/${encodeURIComponent(ALICE)}/events`,
      expirationDateTime: '2026-03-05T10:29:00.000Z',
      clientState: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(posts[0]?.authorization).toMatch(/^Bearer fake-token-\d+$/);
    // the webhook endpoint will accept that clientState for that subscription, and nothing else
    expect(await channels.verify('microsoft', 'sub-1', first.clientState)).toMatchObject({ sourceId: 'm365-subs', resourceId: first.resource });
    expect(await channels.verify('microsoft', 'sub-1', 'forged')).toBeUndefined();

    // nothing is due yet
    fake.requests.length = 0;
    expect(await subscriptions.reconcile(targets)).toEqual({ created: [], renewed: [] });
    expect(fake.requests).toEqual([]);

    // 45 minutes on, the Teams subscription (one hour) is within its last third: renewed
    now = new Date('2026-03-02T12:45:00.000Z');
    expect(await subscriptions.reconcile(targets)).toEqual({ created: [], renewed: ['sub-3'] });
    const [patch] = fake.requestsTo('/v1.0/subscriptions/sub-3', 'PATCH');
    expect(JSON.parse(patch!.body)).toEqual({ expirationDateTime: '2026-03-02T13:44:00.000Z' });
    expect((await channels.get('microsoft', 'sub-3'))?.expiresAt).toEqual(new Date('2026-03-02T13:44:00.000Z'));

    // lifecycle events, as the webhook records them
    await channels.setStatus('microsoft', 'sub-1', 'reauthorization_required');
    await channels.setStatus('microsoft', 'sub-2', 'removed');
    fake.requests.length = 0;
    expect(await subscriptions.reconcile(targets)).toEqual({ created: ['sub-4'], renewed: ['sub-1'] });
    expect(fake.requests.map((r) => [r.method, r.path])).toEqual([
      ['PATCH', '/v1.0/subscriptions/sub-1'],
      ['POST', '/v1.0/subscriptions'],
    ]);
    expect((await channels.get('microsoft', 'sub-1'))?.status).toBe('active');
    expect(JSON.parse(fake.requests[1]!.body)).toMatchObject({ resource: `users/${encodeURIComponent(ALICE)}/messages` });

    // Graph forgot a subscription: the renewal's 404 becomes a new subscription
    fake.subscriptions.delete('sub-3');
    now = new Date('2026-03-02T13:30:00.000Z');
    expect(await subscriptions.reconcile(targets)).toEqual({ created: ['sub-5'], renewed: [] });
    expect(fake.requestsTo('/v1.0/subscriptions/sub-3', 'PATCH')).toHaveLength(1); // refused with 404, then a new one
  });
});
