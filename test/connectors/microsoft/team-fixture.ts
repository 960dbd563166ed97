/** A team with a private channel (Alice, Bob and Dev, who is outside the opt-in) and a standard one (with Carol). */
import type { FakeGraph } from '../../support/fake-graph-api';
import { AAD, ALICE, BOB, CAROL, DEV } from './setup';

const member = (name: string, email: string, userId: string) => ({
  '@odata.type': '#microsoft.graph.aadUserConversationMember',
  id: `MCMj${userId}`,
  roles: [],
  displayName: name,
  userId,
  email,
});

const chatMessage = (id: string, userId: string, name: string, html: string, over: Record<string, unknown> = {}) => ({
  id,
  replyToId: null,
  messageType: 'message',
  createdDateTime: '2026-03-01T09:00:00.000Z',
  lastModifiedDateTime: '2026-03-01T09:00:00.000Z',
  deletedDateTime: null,
  subject: null,
  body: { contentType: 'html', content: html },
  from: { application: null, device: null, user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: userId, displayName: name, userIdentityType: 'aadUser' } },
  mentions: [],
  webUrl: `https://teams.microsoft.com/l/message/19%3Aprivate%40thread.tacv2/${id}`,
  ...over,
});

export function seedTeam(fake: FakeGraph): void {
  fake.channels.set('T1', [
    {
      id: '19:private@thread.tacv2',
      displayName: 'mobile-release',
      membershipType: 'private',
      members: [member('Alice Chen', ALICE, AAD.alice), member('Bob Okafor', BOB, AAD.bob), member('Dev Null', DEV, AAD.dev)],
    },
    {
      id: '19:general@thread.tacv2',
      displayName: 'General',
      membershipType: 'standard',
      members: [member('Alice Chen', ALICE, AAD.alice), member('Bob Okafor', BOB, AAD.bob), member('Carol Diaz', CAROL, AAD.carol)],
    },
  ]);
  fake.delta('channel:T1/19:private@thread.tacv2').upsert(
    chatMessage('1700000000001', AAD.alice, 'Alice Chen', '<p>The <b>Android rollout</b> slips to Friday &amp; we tell sales.</p>', {
      mentions: [{ id: 0, mentionText: 'Dev Null', mentioned: { user: { id: AAD.dev, displayName: 'Dev Null' } } }],
    }),
  );
  fake.replies.set('T1/19:private@thread.tacv2/1700000000001', [
    chatMessage('1700000000002', AAD.bob, 'Bob Okafor', '<p>Agreed, Friday it is.</p>', { replyToId: '1700000000001', createdDateTime: '2026-03-01T09:05:00.000Z' }),
    chatMessage('1700000000003', AAD.dev, 'Dev Null', '<p>ok</p>', { replyToId: '1700000000001', createdDateTime: '2026-03-01T09:06:00.000Z' }),
    { ...chatMessage('1700000000004', AAD.bob, 'Bob Okafor', '', { replyToId: '1700000000001' }), messageType: 'systemEventMessage' },
  ]);
  fake.delta('channel:T1/19:general@thread.tacv2').upsert(chatMessage('1700000000010', AAD.carol, 'Carol Diaz', '<p>Lunch on Friday?</p>'));
}

