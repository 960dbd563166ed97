/**
 * A person's own corner: `me_show` (who they are to Mycelium, their settings, their agent's live state, their
 * recent notifications), `me_set` (quiet hours, do-not-disturb, digest time, attention budget, preferred and
 * avoided mediums) and `me_respond` (they answered a notification, through a medium). Settings live in the store;
 * the person's agent (`person:<personId>`) is told to reload them, and reads them anyway when it next starts.
 */
import { z } from 'zod';
import { PersonSettings, PersonSettingsPatch, QuietHoursSetting } from '../../../activities/memory/person-settings';
import { NotificationStatus } from '../../../activities/memory/notifications';
import { Channel, Medium, StakeholderRole, Urgency } from '../../../schemas/routing';
import { durationMs } from '../../../workflows/duration';
import { InvalidInputError, NotFoundError } from '../errors';
import { defineOperation } from '../operation';
import { As, Count } from './fields';
import { AgentOut, EffectiveSettingsOut, personAgentView } from './person-agent-view';

const When = z.coerce.date();
const DAY_MS = 24 * 60 * 60 * 1000;
/** do-not-disturb reaches at most this far ahead: a longer absence is a directory matter, not a timer */
const MAX_DND_MS = 366 * DAY_MS;

const MeOut = z.object({
  personId: z.string(),
  /** the directory entry; null when the person is not in the directory */
  person: z
    .object({
      id: z.string(),
      name: z.string(),
      optedIn: z.boolean(),
      timezone: z.string(),
      workingHours: z.object({ start: z.string(), end: z.string() }),
    })
    .nullable(),
  /** what the person set (null / empty: the default) */
  settings: PersonSettings,
  /** what their agent works with: the directory's working time, their settings, the defaults for the rest */
  effective: EffectiveSettingsOut,
  agent: AgentOut,
  /** their notifications, newest first */
  notifications: z.array(
    z.object({
      id: z.string(),
      subject: z.string(),
      topicKey: z.string(),
      role: StakeholderRole,
      medium: Medium,
      channel: Channel,
      urgency: Urgency,
      status: NotificationStatus,
      deliveryKey: z.string().nullable(),
      createdAt: When,
      sentAt: When.nullable(),
    }),
  ),
  /** what they answered, and through which medium, newest first */
  answers: z.array(z.object({ notificationId: z.string(), medium: Medium, at: When, note: z.string().nullable() })),
  /** what a person should know about this view (not in the directory, not opted in) */
  notes: z.array(z.string()),
});

type Ctx = z.RefinementCtx;

/** The issues of a settings field's own schema, as issues of the input field being read. */
function checked<T>(schema: z.ZodType<T>, value: unknown, ctx: Ctx): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
  return z.NEVER;
}

const QuietHoursInput = z
  .string()
  .trim()
  .transform((text, ctx) => {
    if (/^(off|none)$/i.test(text)) return null;
    const m = /^(\d\d:\d\d)\s*(?:-|–|to)\s*(\d\d:\d\d)$/.exec(text);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: 'quiet hours as "HH:MM-HH:MM" in your local time (e.g. "22:00-07:00"), or "off"' });
      return z.NEVER;
    }
    return checked(QuietHoursSetting, { start: m[1], end: m[2] }, ctx);
  })
  .describe('"HH:MM-HH:MM" in your local time (may wrap past midnight: "22:00-07:00"), or "off"');

/** What `dnd` asks for; `on` and durations become an instant in the handler, where the clock is read. */
type DndRequest = { kind: 'off' } | { kind: 'on' } | { kind: 'until'; at: Date } | { kind: 'for'; ms: number };

const DndInput = z
  .string()
  .trim()
  .transform((text, ctx): DndRequest => {
    if (/^off$/i.test(text)) return { kind: 'off' };
    if (/^on$/i.test(text)) return { kind: 'on' };
    if (/^\d{4}-\d\d-\d\d/.test(text)) {
      const at = new Date(text);
      if (Number.isNaN(at.getTime())) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a date (ISO 8601, e.g. 2026-03-10T17:00:00Z)` });
        return z.NEVER;
      }
      return { kind: 'until', at };
    }
    let ms: number;
    try {
      ms = durationMs(text as Parameters<typeof durationMs>[0]);
    } catch {
      ms = Number.NaN;
    }
    if (!Number.isFinite(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: '"on", "off", a time (ISO 8601) or a duration ("2h", "90m", "1d")' });
      return z.NEVER;
    }
    if (ms > MAX_DND_MS) {
      ctx.addIssue({ code: 'custom', message: 'at most a year ahead' });
      return z.NEVER;
    }
    return { kind: 'for', ms };
  })
  .describe('do not disturb: "on" (until the start of your next working day), "off", until a time (ISO 8601), or for a duration ("2h", "90m", "1d")');

const DigestTimeInput = z
  .string()
  .trim()
  .transform((text, ctx) => (/^default$/i.test(text) ? null : checked(PersonSettingsPatch.shape.digestTime, text, ctx)))
  .describe('local "HH:MM" of your daily digest, or "default" (the start of your working day)');

const BudgetInput = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'string' && /^\s*default\s*$/i.test(value)) return null;
    const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 100) {
      ctx.addIssue({ code: 'custom', message: 'a whole number of interruptions per day (0–100), or "default"' });
      return z.NEVER;
    }
    return n;
  })
  .describe('interruptions per day (0–100; 0: everything waits for the digest), or "default"');

const MediumsInput = (what: string) =>
  z
    .array(z.enum([...Medium.options, 'none']))
    .transform((list, ctx) => {
      if (list.includes('none')) {
        if (list.length > 1) ctx.addIssue({ code: 'custom', message: '"none" clears the list: give it alone' });
        return [];
      }
      return [...new Set(list)] as Medium[];
    })
    .describe(`${what} (${Medium.options.join(', ')}); "none" clears the list`);

const SETTING_FIELDS = ['quietHours', 'dnd', 'digestTime', 'attentionBudget', 'preferredMediums', 'avoidedMediums'] as const;

/** Where the store's settings field names a problem, the input field that set it. */
const INPUT_FIELD_OF: Record<string, string> = { dndUntil: 'dnd' };

export const MeSetRequest = z
  .object({
    as: As,
    quietHours: QuietHoursInput.optional(),
    dnd: DndInput.optional(),
    digestTime: DigestTimeInput.optional(),
    attentionBudget: BudgetInput.optional(),
    preferredMediums: MediumsInput('mediums you prefer').optional(),
    avoidedMediums: MediumsInput('mediums you would rather not get').optional(),
  })
  .strict()
  .refine((input) => SETTING_FIELDS.some((f) => input[f] !== undefined), {
    message: `say what to change: ${SETTING_FIELDS.join(', ')}`,
  });

export const meShowOperation = defineOperation({
  name: 'me_show',
  description:
    "Yourself as Mycelium sees you: your settings (quiet hours, do-not-disturb, digest time, attention budget, mediums), your agent's live state (its queue, budget left, next digest) and your recent notifications with their status.",
  scope: 'read',
  actsAs: true,
  http: { method: 'GET', path: '/v1/me' },
  input: z.object({ as: As, limit: Count({ max: 100 }).default(20).describe('how many recent notifications') }),
  output: MeOut,
  async handler(context, input) {
    const stack = await context.stack();
    const id = input.as!;
    const { attentionSettingsOf } = await import('../../../activities/memory/person-settings');
    const [person, settings, notifications, answers, agent] = await Promise.all([
      stack.store.getPerson(id),
      stack.personSettings.get(id),
      stack.notifications.listFor(id, { limit: input.limit }),
      stack.personSettings.responsesOf(id, 10),
      personAgentView(stack, id),
    ]);
    const notes: string[] = [];
    if (!person) notes.push(`${id} is not in the directory: nobody is notified who is not (an admin adds people with \`myc people add\`)`);
    else if (!person.optedIn) notes.push(`${id} is not opted in: nothing is sent to you until you opt in (\`myc people opt-in ${id}\`)`);
    return {
      personId: id,
      person: person ? { id: person.id, name: person.name, optedIn: person.optedIn, timezone: person.timezone, workingHours: person.workingHours } : null,
      settings,
      effective: attentionSettingsOf(person, settings),
      agent,
      notifications: notifications.map((n) => ({
        id: n.id,
        subject: n.subject,
        topicKey: n.topicKey,
        role: n.role,
        medium: n.medium,
        channel: n.channel,
        urgency: n.urgency,
        status: n.status,
        deliveryKey: n.deliveryKey,
        createdAt: n.createdAt,
        sentAt: n.sentAt,
      })),
      answers: answers.map((a) => ({ notificationId: a.notificationId, medium: a.medium, at: a.respondedAt, note: a.note })),
      notes,
    };
  },
});

export const meSetOperation = defineOperation({
  name: 'me_set',
  description:
    'Change your attention settings: quiet hours, do-not-disturb (on, off, until a time, for a duration), digest time, attention budget (interruptions per day), preferred and avoided mediums. Your agent picks them up at once.',
  scope: 'write',
  actsAs: true,
  http: { method: 'POST', path: '/v1/me/settings' },
  input: MeSetRequest,
  output: z.object({
    personId: z.string(),
    settings: PersonSettings,
    effective: EffectiveSettingsOut,
    /** false when you have no running agent yet (it reads the settings when it starts) */
    agentTold: z.boolean(),
    message: z.string(),
  }),
  async handler(context, input) {
    const stack = await context.stack();
    const id = input.as!;
    const person = await stack.store.getPerson(id);
    if (!person) throw new NotFoundError(`me_set: ${id} is not in the directory (an admin adds them with \`myc people add ${id}\`)`);
    const [{ attentionSettingsOf, InvalidSettingsError }, { tellPersonAgent }] = await Promise.all([
      import('../../../activities/memory/person-settings'),
      import('../../../activities/person-requests'),
    ]);
    const patch: Record<string, unknown> = {};
    if (input.quietHours !== undefined) patch.quietHours = input.quietHours;
    if (input.digestTime !== undefined) patch.digestTime = input.digestTime;
    if (input.attentionBudget !== undefined) patch.attentionBudget = input.attentionBudget;
    if (input.preferredMediums !== undefined) patch.preferredMediums = input.preferredMediums;
    if (input.avoidedMediums !== undefined) patch.avoidedMediums = input.avoidedMediums;
    if (input.dnd !== undefined) {
      const current = attentionSettingsOf(person, await stack.personSettings.get(id));
      patch.dndUntil = await dndUntilOf(input.dnd, current, new Date());
    }
    let settings;
    try {
      settings = await stack.personSettings.set(id, patch);
    } catch (error) {
      if (!(error instanceof InvalidSettingsError)) throw error;
      const issues = error.issues.map((i) => ({ field: INPUT_FIELD_OF[i.field] ?? i.field.split('.')[0]!, message: i.message }));
      throw new InvalidInputError(`me_set: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
    }
    const agentTold = await tellPersonAgent(stack.client, id, { settingsChanged: true });
    const changed = SETTING_FIELDS.filter((f) => input[f] !== undefined).join(', ');
    return {
      personId: id,
      settings,
      effective: attentionSettingsOf(person, settings),
      agentTold,
      message: agentTold ? `saved ${changed}; your agent reloads them now` : `saved ${changed}; your agent reads them when it starts, with your first notification`,
    };
  },
});

/** The instant do-not-disturb ends; "on" lasts until the start of the person's next working day. */
async function dndUntilOf(dnd: DndRequest, settings: import('../../../workflows/attention').AttentionSettings, now: Date): Promise<Date | null> {
  switch (dnd.kind) {
    case 'off':
      return null;
    case 'for':
      return new Date(now.getTime() + dnd.ms);
    case 'until': {
      const ahead = dnd.at.getTime() - now.getTime();
      if (ahead <= 0 || ahead > MAX_DND_MS) {
        const message = ahead <= 0 ? 'must be in the future' : 'at most a year ahead';
        throw new InvalidInputError(`me_set: dnd: ${message}`, { issues: [{ field: 'dnd', message }] });
      }
      return dnd.at;
    }
    case 'on': {
      const { nextDigestAt } = await import('../../../workflows/attention');
      const start = settings.workingHours.start === '24:00' ? '00:00' : settings.workingHours.start;
      // a minute ahead, so that "on" at the very start of a working day still lasts until the next one
      return nextDigestAt(now.getTime() + 60_000, { ...settings, dndUntil: undefined, digestTime: start });
    }
  }
}

export const meRespondOperation = defineOperation({
  name: 'me_respond',
  description: 'Record that you answered one of your notifications, and through which medium: your agent learns which mediums you respond to.',
  scope: 'write',
  actsAs: true,
  http: { method: 'POST', path: '/v1/notifications/:notificationId/respond' },
  input: z.object({
    notificationId: z.string().trim().min(1, 'name the notification (its id, as `myc me` lists it)').max(200),
    medium: Medium.optional().describe("the medium you answered through; default: the notification's own"),
    note: z.string().trim().min(1).max(1000).optional(),
    as: As,
  }),
  output: z.object({
    notificationId: z.string(),
    personId: z.string(),
    medium: Medium,
    at: When,
    /** false when this very answer was recorded before */
    recorded: z.boolean(),
    agentTold: z.boolean(),
    message: z.string(),
  }),
  async handler(context, input) {
    const stack = await context.stack();
    const id = input.as!;
    const notification = await stack.notifications.get(input.notificationId);
    if (!notification || notification.recipientId !== id) {
      throw new NotFoundError(`me_respond: no notification ${input.notificationId} of yours (\`myc me\` lists them)`);
    }
    const { tellPersonAgent } = await import('../../../activities/person-requests');
    const medium = input.medium ?? notification.medium;
    const at = new Date();
    const { created } = await stack.personSettings.recordResponse({ notificationId: notification.id, personId: id, medium, at, ...(input.note ? { note: input.note } : {}) });
    const agentTold = await tellPersonAgent(stack.client, id, { responded: { notificationId: notification.id, medium, at: at.toISOString() } });
    return {
      notificationId: notification.id,
      personId: id,
      medium,
      at,
      recorded: created,
      agentTold,
      message: `recorded your answer to "${notification.subject}" through ${medium}`,
    };
  },
});
