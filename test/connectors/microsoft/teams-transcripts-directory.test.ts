/**
 * Teams channels (a private channel's access list is its members), transcripts through the VTT parser, the
 * directory with managers and groups, and Graph errors classified for the framework.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGraph, graphError, type FakeGraph } from '../../support/fake-graph-api';
import { failureOf } from '../../delivery/wire-server';
import { AAD, addr, ALICE, BOB, CAROL, connectorFor, DEV, readPass } from './setup';
import { seedTeam } from './team-fixture';

describe('teams:<teamId>/<channelId>', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
    seedTeam(fake);
  });
  afterEach(() => fake.close());

  it("gives a private channel's thread the channel's opted-in members as access, replies included, outsiders left out", async () => {
    const connector = connectorFor(fake, { users: [], teams: [{ teamId: 'T1', channelIds: ['19:private@thread.tacv2'] }] });
    const stream = 'teams:T1/19:private@thread.tacv2';
    expect(connector.streams()).toEqual([stream]);
    const { pages, cursor } = await readPass(connector, stream, null);
    // members and replies come two per page here: their nextLinks are followed
    expect(fake.requestsTo(/./).filter((r) => r.path.startsWith('/v1.0')).map((r) => [r.path, r.query.get('$skiptoken')])).toEqual([
      ['/v1.0/teams/T1/channels/19:private@thread.tacv2/messages/delta', null],
      ['/v1.0/teams/T1/channels/19:private@thread.tacv2', null],
      ['/v1.0/teams/T1/channels/19:private@thread.tacv2/members', null],
      ['/v1.0/teams/T1/channels/19:private@thread.tacv2/members', '2'],
      ['/v1.0/teams/T1/channels/19:private@thread.tacv2/messages/1700000000001/replies', null],
      ['/v1.0/teams/T1/channels/19:private@thread.tacv2/messages/1700000000001/replies', '2'],
    ]);
    const [unit] = pages[0]!.units;
    expect(unit?.path).toBe(`${stream}/1700000000001`);
    expect(unit?.items.map((i) => [i.authorId, i.body, i.access, i.threadId])).toEqual([
      [ALICE, 'The Android rollout slips to Friday & we tell sales.', [ALICE, BOB], 'teams:19:private@thread.tacv2:1700000000001'],
      [BOB, 'Agreed, Friday it is.', [ALICE, BOB], 'teams:19:private@thread.tacv2:1700000000001'],
    ]);
    expect(unit?.items[0]?.meta).toMatchObject({ membershipType: 'private', channel: 'mobile-release', isReply: false });
    expect(JSON.stringify(unit)).not.toContain('Dev Null');

    fake.delta('channel:T1/19:private@thread.tacv2').remove('1700000000001');
    const next = await readPass(connector, stream, cursor);
    expect(next.pages[0]).toMatchObject({ deleted: [`${stream}/1700000000001`], full: false, units: [] });
  });

  it('reads every channel of a team when channelIds is omitted, each with its own access list', async () => {
    const connector = connectorFor(fake, { users: [], teams: [{ teamId: 'T1' }] });
    const stream = 'teams:T1/*';
    const { pages } = await readPass(connector, stream, null);
    const items = pages.flatMap((p) => p.units).flatMap((u) => u.items.map((i) => [u.path, i.access]));
    expect(items).toEqual([
      [`${stream}/19:private@thread.tacv2/1700000000001`, [ALICE, BOB]],
      [`${stream}/19:private@thread.tacv2/1700000000001`, [ALICE, BOB]],
      [`${stream}/19:general@thread.tacv2/1700000000010`, [ALICE, BOB, CAROL]],
    ]);
    expect(pages.at(-1)).toMatchObject({ more: false, full: true });
  });
});

const VTT = `WEBVTT

00:00:00.000 --> 00:00:04.000
<v Alice Chen>We ship the Android build on Friday.</v>

00:00:04.000 --> 00:00:07.500
<v Dev Null>Sounds risky to me.</v>

00:00:07.500 --> 00:00:11.000
<v Bob Okafor>I will tell sales today.</v>
`;

describe('transcripts:<user>', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
  });
  afterEach(() => fake.close());

  it("finds the user's online meetings by join URL and parses each transcript's VTT with speakers, linked to the meeting", async () => {
    const joinUrl = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_N2Q@thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d&o='x'";
    fake.delta(`calendar:${ALICE}`).upsert(
      { id: 'AAMkEv1', subject: 'Release sync', start: { dateTime: '2026-03-01T10:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-01T10:30:00.0000000', timeZone: 'UTC' }, organizer: addr(ALICE), attendees: [{ type: 'required', ...addr(BOB) }, { type: 'required', ...addr(DEV) }], isOnlineMeeting: true, onlineMeeting: { joinUrl } },
      { id: 'AAMkEv2', subject: 'Lunch', start: { dateTime: '2026-03-01T12:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-01T13:00:00.0000000', timeZone: 'UTC' }, organizer: addr(ALICE), attendees: [], isOnlineMeeting: false, onlineMeeting: null },
    );
    fake.onlineMeetings.set(ALICE, [{ id: 'MSoxMjM0', joinWebUrl: joinUrl, subject: 'Release sync', transcripts: [{ id: 'MSMjMCMjTR1', createdDateTime: '2026-03-01T10:31:00.1234567Z', vtt: VTT }] }]);
    const connector = connectorFor(fake, { transcripts: true, calendar: false, mail: false });
    const stream = `transcripts:${ALICE}`;
    const { pages, cursor } = await readPass(connector, stream, null);

    const view = fake.requestsTo(`/v1.0/users/${ALICE}/calendarView`)[0]!;
    expect([view.query.get('startDateTime'), view.query.get('endDateTime')]).toEqual(['2026-01-31T12:00:00.000Z', '2026-03-02T12:00:00.000Z']);
    expect(fake.requestsTo(`/v1.0/users/${ALICE}/onlineMeetings`).map((r) => r.query.get('$filter'))).toEqual([`JoinWebUrl eq '${joinUrl.replace(/'/g, "''")}'`]);
    const content = fake.requestsTo(`/v1.0/users/${ALICE}/onlineMeetings/MSoxMjM0/transcripts/MSMjMCMjTR1/content`);
    expect(content.map((r) => r.query.get('$format'))).toEqual(['text/vtt']);

    const [unit] = pages.flatMap((p) => p.units);
    expect(unit?.path).toBe(`${stream}/MSMjMCMjTR1`);
    const [item] = unit!.items;
    expect(item).toMatchObject({
      kind: 'transcript',
      threadId: `${ALICE}:AAMkEv1`,
      occurredAt: new Date('2026-03-01T10:31:00.123Z'),
      access: [ALICE, BOB],
      body: 'Alice Chen: We ship the Android build on Friday.\nBob Okafor: I will tell sales today.',
      locator: `${joinUrl}#t=0`,
    });
    expect(item?.segments.map((s) => [s.speakerId, s.startMs])).toEqual([
      [ALICE, 0],
      [BOB, 7500],
    ]);
    expect(item?.meta).toMatchObject({ meetingId: `${ALICE}:AAMkEv1`, speakers: [ALICE, BOB], omittedTurns: 1, outsideOptInCount: 1 });
    expect(cursor).toEqual({ checkedUntil: '2026-03-02T12:00:00.000Z' });
  });
});

describe('directory', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
  });
  afterEach(() => fake.close());

  it('reads groups then users with $expand=manager; keeps opt-ins, never grants one', async () => {
    fake.groups = [
      { id: 'g-1', displayName: 'Platform', members: [AAD.alice, AAD.bob] },
      { id: 'g-2', displayName: 'All staff', members: [AAD.alice, AAD.bob, AAD.carol] },
    ];
    fake.users = [
      { id: AAD.alice, displayName: 'Alice Chen', mail: ALICE, userPrincipalName: ALICE, jobTitle: 'Engineering manager', department: 'Engineering', accountEnabled: true },
      { id: AAD.bob, displayName: 'Bob Okafor', mail: BOB, userPrincipalName: 'bob.okafor@contoso.test', jobTitle: 'Engineer', accountEnabled: true, manager: { '@odata.type': '#microsoft.graph.user', id: AAD.alice, mail: ALICE, userPrincipalName: ALICE } },
      { id: 'new-1', displayName: 'Nia New', mail: 'nia@contoso.test', userPrincipalName: 'nia@contoso.test', accountEnabled: true, manager: { id: AAD.alice, mail: ALICE } },
    ];
    const connector = connectorFor(fake, { users: [], directory: true });
    const { pages } = await readPass(connector, 'directory', null);
    const usersRequest = fake.requestsTo('/v1.0/users')[0]!;
    expect(usersRequest.query.get('$expand')).toBe('manager($select=id,mail,userPrincipalName)');
    expect(usersRequest.query.get('$select')).toBe('id,displayName,mail,userPrincipalName,jobTitle,department,accountEnabled');
    // All staff has three members: two pages
    expect(fake.requestsTo(/^\/v1\.0\/groups\/.+\/members\/microsoft\.graph\.user$/).map((r) => [r.path, r.query.get('$skiptoken')])).toEqual([
      ['/v1.0/groups/g-1/members/microsoft.graph.user', null],
      ['/v1.0/groups/g-2/members/microsoft.graph.user', null],
      ['/v1.0/groups/g-2/members/microsoft.graph.user', '2'],
    ]);
    const people = pages.flatMap((p) => p.units.flatMap((u) => u.people));
    expect(people.map((p) => [p.id, p.managerId, p.team, p.optedIn, p.title])).toEqual([
      [ALICE, undefined, 'Engineering', true, 'Engineering manager'],
      [BOB, ALICE, 'All staff', true, 'Engineer'],
      ['nia@contoso.test', ALICE, undefined, false, undefined],
    ]);
    expect(people[0]?.timezone).toBe('Europe/Paris'); // kept from the existing directory
    expect(people[1]?.identities).toEqual([
      { provider: 'email', externalId: BOB },
      { provider: 'email', externalId: 'bob.okafor@contoso.test' },
      { provider: 'microsoft', externalId: AAD.bob },
    ]);
    expect(pages.every((p) => p.full)).toBe(true);
  });
});

describe('Graph errors', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFakeGraph();
  });
  afterEach(() => fake.close());

  it('429 and 503 with Retry-After become retryable failures with that delay', async () => {
    const connector = connectorFor(fake);
    fake.fail('GET', /calendarView\/delta$/, graphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': '7' }));
    const throttled = await failureOf(connector.readPage(`calendar:${ALICE}`, null, (await import('./setup')).context()));
    expect(throttled).toMatchObject({ type: 'SourceRateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    fake.fail('GET', /calendarView\/delta$/, graphError(503, 'ServiceUnavailable', 'Service unavailable.', { 'Retry-After': '3' }));
    const busy = await failureOf(connector.readPage(`calendar:${ALICE}`, null, (await import('./setup')).context()));
    expect(busy).toMatchObject({ type: 'SourceUnavailable', nonRetryable: false, nextRetryDelay: 3000 });
  });

  it('401 from Graph and invalid_grant from the token endpoint are SourceAuthFailed, not retried', async () => {
    const { context } = await import('./setup');
    fake.fail('GET', /messages\/delta$/, graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'));
    const refused = await failureOf(connectorFor(fake).readPage(`mail:${ALICE}`, null, context()));
    expect(refused).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });

    fake.tokenError = { status: 400, error: 'invalid_grant' };
    const before = fake.requests.length;
    const badSecret = await failureOf(connectorFor(fake).readPage(`mail:${ALICE}`, null, context()));
    expect(badSecret).toMatchObject({ type: 'SourceAuthFailed', nonRetryable: true });
    // nothing reached Graph without a token
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual(['/contoso-tenant/oauth2/v2.0/token']);
  });
});
