/**
 * What the Slack connector reads, stored as the pipeline stores it (MemoryStore.storeUnit per unit, removeUnit per
 * deleted path, on PGlite): a private channel's message is found by its members' searches and by nobody else's,
 * and a message deleted at the source disappears from search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHashingEmbedder } from '../../../activities/intelligence/embeddings/local';
import { createSlackConnector } from '../../../activities/connectors/slack';
import type { StreamCursor } from '../../../activities/connectors/port';
import { MemoryStore } from '../../../activities/memory/store';
import { chooseVectorIndex } from '../../../activities/memory/vector-index';
import { type FakeSlackApi, startFakeSlackApi } from '../../support/fake-slack-api';
import { useTestDatabase } from '../../support/db';
import { context, people, readPass } from './context';

const DIRECTORY = people([
  { email: 'ana@acme.test', name: 'Ana Lima', optedIn: true, slackId: 'UANA' },
  { email: 'bob@acme.test', name: 'Bob Stone', optedIn: true, slackId: 'UBOB' },
  { email: 'erin@acme.test', name: 'Erin Park', optedIn: true, slackId: 'UERI' },
]);
const SOURCE = 'slack-store';

describe('Slack items in the store', () => {
  const database = useTestDatabase('pglite');
  let slack: FakeSlackApi;
  let store: MemoryStore;
  const now = new Date((1_700_000_000 + 3600) * 1000);

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    for (const id of ['UANA', 'UBOB', 'UERI']) slack.addUser({ id, name: id.toLowerCase() });
    slack.addConversation({ id: 'G1', name: 'acquisition', kind: 'private', members: ['UANA', 'UBOB'] });
    slack.addConversation({ id: 'C1', name: 'general', kind: 'public', members: ['UANA', 'UBOB', 'UERI'] });
    slack.post('G1', { user: 'UANA', text: 'The Zephyr acquisition closes on March 3rd' });
    slack.post('C1', { user: 'UERI', text: 'Lunch order for the offsite' });
    const embedder = new LocalHashingEmbedder();
    store = new MemoryStore({ db: database.db, vectors: await chooseVectorIndex(database.db, embedder.dimensions, { info: () => undefined }), embedder });
    await store.upsertPeople(DIRECTORY);
    await store.upsertSource({ id: SOURCE, kind: 'slack', config: {} });
  });

  afterAll(async () => {
    await slack?.close();
  });

  /** one pass, stored as the pipeline does: units, then deletions, then the cursor */
  async function syncPass(cursor: StreamCursor | null): Promise<StreamCursor> {
    const reader = createSlackConnector({ token: slack.token, baseUrl: slack.url, recheckDays: 1 });
    const pass = await readPass(reader, 'channels', cursor, context(DIRECTORY, now, SOURCE));
    for (const page of pass.pages) {
      for (const unit of page.units) await store.storeUnit(SOURCE, unit);
      for (const path of page.deleted) await store.removeUnit(SOURCE, path);
    }
    return pass.cursor;
  }

  const found = async (query: string, person: string): Promise<number> => (await store.searchText(query, { visibleTo: [person] }, 10)).length;

  it('finds a private channel’s message for its members only', async () => {
    await syncPass(null);
    expect(await found('Zephyr acquisition', 'ana@acme.test')).toBe(1);
    expect(await found('Zephyr acquisition', 'bob@acme.test')).toBe(1);
    // Erin is in the directory, opted in, and in #general — but not in the private channel
    expect(await found('Zephyr acquisition', 'erin@acme.test')).toBe(0);
    expect(await found('lunch offsite', 'erin@acme.test')).toBe(1);
  });

  it('forgets a message deleted at the source, and a member who left loses access', async () => {
    const cursor = await syncPass(null);
    const lunch = slack.conversation('C1').messages[0]!;
    slack.remove('C1', lunch.ts);
    slack.conversation('G1').members = ['UANA'];
    await syncPass(cursor);
    expect(await found('lunch offsite', 'erin@acme.test')).toBe(0);
    expect(await found('lunch offsite', 'ana@acme.test')).toBe(0);
    expect(await found('Zephyr acquisition', 'bob@acme.test')).toBe(0);
    expect(await found('Zephyr acquisition', 'ana@acme.test')).toBe(1);
  });
});
