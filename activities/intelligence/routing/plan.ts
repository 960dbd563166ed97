/**
 * The notification plan: who hears about a subject (resolveStakeholders, or the people a follow-up step names), in
 * which role, through which medium (chooseMedium over each recipient's hours, settings and history) and with what
 * content — only what that recipient may see. The notifyStakeholders workflow runs this in an activity; `myc notify
 * --dry-run` runs the very same function and stops there.
 */
import { createHash } from 'node:crypto';
import { mediumsConfig, type MediumsConfig } from '../../../config/mediums';
import { routingConfig, type RoutingConfig } from '../../../config/routing';
import { OUTSIDE_OPT_IN, type Meeting, type Person } from '../../../schemas/entities';
import type { MessageKind, RoutingSubject, Stakeholder, Urgency } from '../../../schemas/routing';
import type { SlotParticipant } from '../../../workflows/call-slot';
import { chooseMedium, type CallContext, type MediumHistory, type RecipientContext } from '../../../workflows/medium-policy';
import { reviewMeeting } from '../../../workflows/meeting-review';
import type { NotifyAbout, NotifyInput, NotifyPlan, PlannedMessage } from '../../../workflows/notify-defs';
import type { FreeBusySource } from '../../delivery/port';
import type { CoordinationGraph, ProjectHistory } from '../../memory/coordination';
import type { DecisionRecord, DecisionStore } from '../../memory/decisions';
import type { NotificationStore } from '../../memory/notifications';
import { attentionSettingsOf, type PersonSettingsStore } from '../../memory/person-settings';
import type { MemoryStore, PersonalBrief } from '../../memory/store';
import { PeopleIndex } from '../extraction/people';
import type { MeetingContextReads } from '../meeting-context';
import { composePersonalBrief, meetingAttendees, optedInNames } from '../personal-brief';
import { sharedContextReads } from '../shared-context-reads';
import { resolveStakeholders, routingReadsOver } from './stakeholders';
import { deriveMessageTraits } from './traits';

export interface PlanWorld {
  store: MemoryStore;
  decisions: DecisionStore;
  personSettings: PersonSettingsStore;
  notifications: NotificationStore;
  graph: CoordinationGraph;
  history: ProjectHistory;
  /** busy times for a call slot (Google / Graph free/busy); default: the meetings in the store */
  freeBusy?: FreeBusySource;
  /** which kinds of medium reach a person; default all (the outbox takes every medium) */
  reachable?: (person: Person) => RecipientContext['reachable'];
  routing?: RoutingConfig;
  mediums?: MediumsConfig;
}

/** A subject the plan cannot be made for (an unknown decision or brief): never worth retrying. */
export class UnknownSubjectError extends Error {
  override readonly name = 'UnknownSubjectError';
}

interface Subject {
  routing: RoutingSubject;
  kind: MessageKind;
  urgency?: Urgency;
  deadline?: Date;
  /** the content for someone who may see the sources, and the items it cites (its lineage); `everyone` is told too */
  body(recipientId: string, everyone: readonly string[]): Promise<{ markdown: string; sourceItemIds?: string[] }>;
  /** the recipients, when the subject names them (briefs, follow-ups) instead of routing */
  fixed?: { personId: string; reason: string; role: Stakeholder['role'] }[];
  meeting?: Meeting;
}

const DAY_MS = 86_400_000;

export async function planNotification(world: PlanWorld, input: NotifyInput, now: Date): Promise<NotifyPlan> {
  const subject = await subjectOf(world, input, now);
  const people = new Map<string, Person>();
  const personOf = async (ids: string[]): Promise<void> => {
    const missing = ids.filter((id) => !people.has(id));
    for (const p of await world.store.peopleByIds(missing)) people.set(p.id, p);
  };
  const asker = subject.routing.askerId;

  // who
  let stakeholders: Stakeholder[];
  let considered: number;
  if (subject.fixed) {
    await personOf(subject.fixed.map((f) => f.personId));
    stakeholders = subject.fixed
      .filter((f) => people.get(f.personId)?.optedIn === true)
      .map((f) => ({ personId: f.personId, name: people.get(f.personId)!.name, role: f.role, score: 1, reasons: [f.reason], maySeeSource: mayAllSee(subject.routing, f.personId), shareVia: [] }));
    considered = subject.fixed.length;
  } else {
    const resolved = await resolveStakeholders(
      routingReadsOver(world.store, world.graph, world.history),
      subject.routing,
      world.routing ?? routingConfig,
    );
    stakeholders = resolved.stakeholders;
    considered = resolved.considered;
  }
  await personOf([asker, ...stakeholders.map((s) => s.personId), ...stakeholders.flatMap((s) => s.shareVia)]);
  const nameOf = (id: string): string => (people.get(id)?.optedIn ? people.get(id)!.name : OUTSIDE_OPT_IN);

  const withheld = stakeholders
    .filter((s) => !s.maySeeSource)
    .map((s) => ({ personId: s.personId, name: s.name, note: withheldNote(s, subject.routing, nameOf) }));
  const told = stakeholders.filter((s) => s.maySeeSource);

  // the meeting itself: could it be a thread, who is over- or under-included (a brief only)
  const notes: string[] = [];
  if (subject.meeting) notes.push(...(await meetingNotes(world, subject.meeting, subject.routing, nameOf)));

  // how
  const title = subject.routing.title || firstLine(subject.routing.text);
  const traits = deriveMessageTraits(`${subject.routing.title}\n${subject.routing.text}`, {
    referenceDate: subject.routing.occurredAt,
    timezone: people.get(asker)?.timezone,
    audienceSize: Math.max(1, told.length),
    hints: { kind: subject.kind, ...(subject.urgency ? { urgency: subject.urgency } : {}), ...(subject.deadline ? { deadline: subject.deadline } : {}) },
  }).traits;
  const mediums = world.mediums ?? mediumsConfig;
  // a 5-minute call is between the asker and the people who decide or are consulted, in a slot free for all of them
  const callers = told.filter((s) => s.role !== 'inform').slice(0, mediums.call.maxParticipants - 1);
  const call = mediums.call.kinds.includes(traits.kind) && callers.length > 0 ? await callContext(world, [asker, ...callers.map((s) => s.personId)], people, now, mediums) : undefined;
  const recipients: PlannedMessage[] = [];
  const toldIds = told.map((s) => s.personId);
  for (const s of told) {
    const person = people.get(s.personId);
    if (!person?.optedIn) continue; // (resolveStakeholders never selects them; a fixed list is checked above)
    const context = await recipientContext(world, person);
    const inCall = call && callers.some((c) => c.personId === s.personId);
    const choice = chooseMedium({ message: traits, recipient: context, ...(inCall ? { call } : {}), now }, mediums);
    const shareNotes = withheld.filter((w) => stakeholders.find((x) => x.personId === w.personId)?.shareVia.includes(s.personId));
    const body = await subject.body(s.personId, toldIds);
    recipients.push({
      personId: s.personId,
      name: person.name,
      role: s.role,
      roleReasons: s.reasons,
      score: s.score,
      medium: choice.medium,
      channel: choice.channel,
      mediumReason: choice.reason,
      ...(choice.deliverAt ? { deliverAt: new Date(choice.deliverAt).toISOString() } : {}),
      ...(choice.medium === 'call' && choice.slot && call
        ? { call: { start: new Date(choice.slot.start).toISOString(), end: new Date(choice.slot.end).toISOString(), attendeeIds: call.participants.map((p) => p.personId), organizerId: asker } }
        : {}),
      subject: title,
      // one invite or one decision record serves everyone on it, so its text is the same for all; the role and its
      // reasons stay on each notification (`myc why`)
      markdown: SHARED_MEDIUMS.has(choice.medium) ? sharedMessage(body.markdown, notes) : messageFor(s, body.markdown, notes, shareNotes.map((w) => w.note)),
      sourceItemIds: body.sourceItemIds ?? subject.routing.sourceItemIds,
    });
  }

  return {
    topicKey: input.topicKey,
    subjectKind: input.about.kind,
    ...(subject.routing.id ? { subjectId: subject.routing.id } : {}),
    title,
    kind: traits.kind,
    urgency: traits.urgency,
    askerId: asker,
    recipients,
    withheld,
    notes,
    considered,
  };
}

/** the opted-in people a text names ("… with Bob and Carla"): whoever the asker names is meant to hear it */
async function peopleNamedIn(world: PlanWorld, text: string, askerId: string): Promise<RoutingSubject['named']> {
  const index = new PeopleIndex(await world.store.listPeople());
  const ids = new Set(index.mentions(text).map((m) => m.person.id));
  ids.delete(askerId);
  return [...ids].map((personId) => ({ personId, as: 'mentioned' as const }));
}

/** The topic key of free text someone asked to tell: the same asker and text is the same telling. */
export function textTopicKey(askerId: string, text: string): string {
  return `text:${createHash('sha256').update(`${askerId}\n${text.trim()}`).digest('hex').slice(0, 20)}`;
}

// ---- subjects

async function subjectOf(world: PlanWorld, input: NotifyInput, now: Date): Promise<Subject> {
  const about: NotifyAbout = input.about;
  switch (about.kind) {
    case 'decision':
      return decisionSubject(world, about, input.askerId, now);
    case 'text': {
      if (!input.askerId) throw new UnknownSubjectError('free text needs the person who asks (askerId)');
      const text = about.text.trim();
      if (!text) throw new UnknownSubjectError('nothing to tell: the text is empty');
      return {
        routing: {
          kind: 'text',
          title: about.title ?? '',
          text,
          askerId: input.askerId,
          occurredAt: now,
          ...(about.threadId ? { threadId: about.threadId } : {}),
          sourceItemIds: [],
          access: [],
          named: await peopleNamedIn(world, `${about.title ?? ''}\n${text}`, input.askerId),
        },
        kind: deriveMessageTraits(text, { referenceDate: now }).traits.kind,
        ...(about.urgency ? { urgency: about.urgency } : {}),
        body: async () => ({ markdown: text }),
      };
    }
    case 'brief':
      return briefSubject(world, about.briefId, now);
    case 'follow-up':
      return {
        routing: {
          kind: about.subjectKind === 'decision' ? 'decision' : 'action',
          id: about.subjectId,
          title: about.title,
          text: about.markdown,
          askerId: input.askerId ?? about.recipients[0]?.personId ?? 'mycelium',
          occurredAt: now,
          sourceItemIds: about.sourceItemIds,
          // the cadence composed each message for people who may see it: no source check to repeat
          access: [],
          named: [],
        },
        kind: about.step === 'nudge' ? 'question' : about.step === 'escalate' ? 'decision_needed' : 'fyi',
        urgency: about.step === 'escalate' ? 'high' : 'normal',
        fixed: about.recipients.map((r) => ({ personId: r.personId, reason: r.reason, role: 'decide' as const })),
        body: async () => ({ markdown: about.markdown }),
      };
  }
}

async function decisionSubject(world: PlanWorld, about: Extract<NotifyAbout, { kind: 'decision' }>, askerId: string | undefined, now: Date): Promise<Subject> {
  const decision = await world.decisions.getDecision(about.id);
  if (!decision) throw new UnknownSubjectError(`no decision "${about.id}" (list them with \`myc decisions\`)`);
  const newer = about.change === 'superseded' && decision.supersededById ? await world.decisions.getDecision(decision.supersededById) : undefined;
  const items = await world.store.getItems(decision.sources.map((s) => s.itemId));
  const asker = askerId ?? decision.deciderId ?? decision.ownerId ?? items[0]?.authorId ?? null;
  if (!asker) throw new UnknownSubjectError(`decision "${about.id}" has no decider, owner or author to tell it on behalf of`);
  const named: RoutingSubject['named'] = [
    ...(decision.ownerId ? [{ personId: decision.ownerId, as: 'owner' as const }] : []),
    ...(decision.deciderId ? [{ personId: decision.deciderId, as: 'decider' as const }] : []),
  ];
  const title = newer ? `Superseded: ${decision.statement}` : `Decision: ${decision.statement}`;
  const names = new Map((await world.store.peopleByIds([decision.ownerId, decision.deciderId].filter((p): p is string => !!p))).map((p) => [p.id, p]));
  const who = (id: string | null): string => (id ? (names.get(id)?.optedIn ? names.get(id)!.name : OUTSIDE_OPT_IN) : 'nobody');
  return {
    routing: {
      kind: 'decision',
      id: decision.id,
      title,
      text: [decision.statement, decision.rationale ?? '', newer ? `Replaced by: ${newer.statement}` : ''].filter(Boolean).join('\n'),
      askerId: asker,
      occurredAt: about.change === 'asked' ? now : (newer?.decidedAt ?? decision.decidedAt),
      ...(items[0]?.threadId ? { threadId: items[0].threadId } : {}),
      sourceItemIds: decision.sources.map((s) => s.itemId),
      access: decision.access,
      named,
    },
    kind: 'decision_record',
    body: async () => ({ markdown: decisionMarkdown(decision, newer, who, items.map((i) => ({ id: i.id, title: i.title ?? i.kind, locator: i.locator }))) }),
  };
}

async function briefSubject(world: PlanWorld, briefId: string, now: Date): Promise<Subject> {
  const brief = await world.store.getBrief(briefId);
  if (!brief) throw new UnknownSubjectError(`no brief "${briefId}"`);
  const meeting = await world.store.getMeeting(brief.meetingId);
  if (!meeting) throw new UnknownSubjectError(`the meeting of brief "${briefId}" is not in the store`);
  const attendees = meetingAttendees(meeting);
  const hoursToStart = (meeting.startsAt.getTime() - now.getTime()) / 3_600_000;
  // each attendee's own brief was made with the shared one (prepareBrief); one missing (an older brief, an attendee
  // added since) is made here, from one read shared by everyone told
  let stored: Promise<Map<string, PersonalBrief>> | undefined;
  let shared: MeetingContextReads | undefined;
  const namesOf = optedInNames((ids) => world.store.peopleByIds(ids));
  return {
    routing: {
      kind: 'brief',
      id: meeting.id,
      title: `Brief: ${meeting.title}`,
      text: [meeting.title, meeting.description].filter(Boolean).join('\n'),
      askerId: meeting.organizerId ?? attendees[0] ?? 'mycelium',
      occurredAt: now,
      threadId: meeting.id,
      sourceItemIds: [...new Set(brief.citations.map((c) => c.itemId))],
      access: [],
      named: attendees.map((personId) => ({ personId, as: 'asked' as const })),
    },
    kind: 'fyi',
    // a brief is worth nothing after the meeting: it goes out before, not with tomorrow's digest
    urgency: hoursToStart <= 24 ? 'high' : 'normal',
    deadline: meeting.startsAt,
    meeting,
    fixed: attendees.map((personId) => ({ personId, reason: personId === meeting.organizerId ? `organizes “${meeting.title}”` : `attends “${meeting.title}”`, role: 'consult' as const })),
    body: async (recipientId, everyone) => {
      const own = (await (stored ??= world.store.personalBriefs(brief.id, [...everyone]))).get(recipientId.trim().toLowerCase());
      if (own) return { markdown: own.markdown, sourceItemIds: own.sourceItemIds };
      shared ??= sharedContextReads(world.store, world.decisions, everyone.map((p) => [p]));
      const made = await composePersonalBrief(shared, namesOf, brief.id, meeting, recipientId, now);
      return { markdown: made.markdown, sourceItemIds: made.sourceItemIds };
    },
  };
}

async function meetingNotes(world: PlanWorld, meeting: Meeting, routing: RoutingSubject, nameOf: (id: string) => string): Promise<string[]> {
  // who should be there: the people the meeting's topic routes to, as its organizer would ask
  const { stakeholders } = await resolveStakeholders(
    routingReadsOver(world.store, world.graph, world.history),
    { ...routing, kind: 'text', named: [], sourceItemIds: [], threadId: undefined },
    world.routing ?? routingConfig,
  );
  const open = await world.decisions.listDecisions({ visibleTo: meeting.attendeeIds, since: new Date(meeting.startsAt.getTime() - 21 * DAY_MS), limit: 50 });
  const attendees = [...new Set([...(meeting.organizerId ? [meeting.organizerId] : []), ...meeting.attendeeIds])];
  const review = reviewMeeting({
    title: meeting.title,
    description: meeting.description,
    decisionsToTake: open.filter((d) => d.status === 'proposed').map((d) => d.statement),
    attendees: attendees.map((personId) => ({
      personId,
      name: nameOf(personId),
      organizer: personId === meeting.organizerId,
      stake: stakeholders.find((s) => s.personId === personId)?.reasons ?? [],
    })),
    stakeholders,
  });
  const notes: string[] = [];
  if (review.couldBeThread) notes.push(`This meeting could be a thread: ${review.couldBeThread.reason}`);
  for (const o of review.overIncluded) notes.push(`${nameOf(o.personId)} may not need to attend: ${o.reason}`);
  for (const u of review.underIncluded) notes.push(`${nameOf(u.personId)} is not invited but has a stake: ${u.reason}`);
  return notes;
}

// ---- recipients

async function recipientContext(world: PlanWorld, person: Person): Promise<RecipientContext> {
  const settings = attentionSettingsOf(person, await world.personSettings.get(person.id));
  // how they answered each medium lately: their last 200 sends and last 200 answers
  const history: Partial<Record<PlannedMessage['medium'], MediumHistory>> = Object.fromEntries(await world.notifications.mediumHistory(person.id, 200));
  return {
    personId: person.id,
    name: person.name,
    timezone: settings.timezone,
    workingHours: settings.workingHours,
    ...(settings.quietHours ? { quietHours: settings.quietHours } : {}),
    ...(settings.dndUntil ? { doNotDisturbUntil: settings.dndUntil } : {}),
    preferences: { preferred: settings.preferredMediums, avoided: settings.avoidedMediums },
    history,
    reachable: world.reachable?.(person) ?? { chat: true, email: true, calendar: true },
  };
}

async function callContext(world: PlanWorld, ids: string[], people: Map<string, Person>, now: Date, mediums: MediumsConfig): Promise<CallContext> {
  const to = new Date(now.getTime() + (mediums.call.horizonDays + 1) * DAY_MS);
  let busy: Map<string, { start: Date; end: Date }[]>;
  if (world.freeBusy) {
    busy = await world.freeBusy.busy(ids, now, to);
  } else {
    busy = new Map(ids.map((id) => [id, []]));
    for (const m of await world.store.listMeetings({ from: new Date(now.getTime() - DAY_MS), to })) {
      if (m.status === 'cancelled') continue;
      for (const id of new Set([...m.attendeeIds, ...(m.organizerId ? [m.organizerId] : [])])) busy.get(id)?.push({ start: m.startsAt, end: m.endsAt });
    }
  }
  const participants: SlotParticipant[] = [];
  for (const id of ids) {
    const person = people.get(id);
    const settings = attentionSettingsOf(person, await world.personSettings.get(id));
    participants.push({ personId: id, name: person?.name ?? id, timezone: settings.timezone, workingHours: settings.workingHours, busy: busy.get(id) ?? [] });
  }
  return { participants, durationMinutes: mediums.call.durationMinutes };
}

function mayAllSee(subject: RoutingSubject, personId: string): boolean {
  return subject.access.length === 0 || subject.access.includes(personId);
}

// ---- text

function withheldNote(s: Stakeholder, subject: RoutingSubject, nameOf: (id: string) => string): string {
  const what = subject.threadId ? 'the conversation it comes from' : 'its sources';
  const via = s.shareVia.map(nameOf).filter((n) => n !== OUTSIDE_OPT_IN);
  return `${s.name} should know (${s.reasons[0] ?? 'a stakeholder'}); ${what} ${subject.access.length > 0 ? 'is not visible to them' : 'cannot be shown to them'} — ${
    via.length > 0 ? `ask ${via.join(' or ')} to share it` : 'nobody who can see it can be asked to share it'
  }.`;
}

const SHARED_MEDIUMS = new Set<PlannedMessage['medium']>(['call', 'doc']);

function sharedMessage(body: string, notes: string[]): string {
  return notes.length > 0 ? [body.trim(), '', '**About this meeting**', ...notes.map((n) => `- ${n}`)].join('\n') : body.trim();
}

function messageFor(s: Stakeholder, body: string, notes: string[], shareNotes: string[]): string {
  const lines = [body.trim(), '', `*Why you: ${s.role}* — ${s.reasons.slice(0, 2).join('; ')}`];
  if (notes.length > 0) lines.push('', '**About this meeting**', ...notes.map((n) => `- ${n}`));
  if (shareNotes.length > 0) lines.push('', '**Could you share it?**', ...shareNotes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function decisionMarkdown(d: DecisionRecord, newer: DecisionRecord | undefined, who: (id: string | null) => string, items: { id: string; title: string; locator: string }[]): string {
  const lines = [newer ? `# Superseded: ${d.statement}` : `# Decision: ${d.statement}`, ''];
  if (newer) lines.push(`Replaced on ${newer.decidedAt.toISOString().slice(0, 10)} by: **${newer.statement}**`, '');
  if (d.rationale) lines.push(`**Why:** ${d.rationale}`, '');
  lines.push(`**Decided by** ${who(d.deciderId)} · **owner** ${who(d.ownerId)} · ${d.decidedAt.toISOString().slice(0, 10)} · status ${d.status} · \`${d.id}\``, '');
  lines.push('**Sources**');
  for (const s of d.sources) {
    const item = items.find((i) => i.id === s.itemId);
    lines.push(`- “${s.quote}” — ${item ? `${item.title} (${item.locator})` : s.itemId}`);
  }
  return lines.join('\n');
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 99).trimEnd()}…` : line;
}
