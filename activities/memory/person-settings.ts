/**
 * What each person set about their attention (migration 008: person_settings), what they answered through which
 * medium (notification_responses), and the effective AttentionSettings their agent works with: the directory's
 * timezone and working hours, their settings, and the configured defaults for what they left unset.
 */
import { z } from 'zod';
import { personAgentConfig } from '../../config/person-agent';
import { Medium } from '../../schemas/routing';
import type { Person } from '../../schemas/entities';
import type { AttentionSettings } from '../../workflows/attention';
import { isValidTimeZone } from '../../workflows/cadence';
import type { Db } from './ports';

const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time "HH:MM" (00:00–23:59)');

export const QuietHoursSetting = z
  .object({ start: HhMm, end: HhMm })
  .refine((q) => q.start !== q.end, { message: 'quiet hours must not start and end at the same time', path: ['end'] });

export const PersonSettings = z.object({
  quietHours: QuietHoursSetting.nullable(),
  dndUntil: z.coerce.date({ message: 'a date (ISO 8601)' }).nullable(),
  preferredMediums: z.array(Medium),
  avoidedMediums: z.array(Medium),
  /** interruptions per day; null = the configured default */
  attentionBudget: z.number().int('a whole number').min(0).max(100).nullable(),
  /** local "HH:MM"; null = the start of working hours */
  digestTime: HhMm.nullable(),
});
export type PersonSettings = z.infer<typeof PersonSettings>;

/** A change to some settings; null clears one. Unknown fields are refused, so a typo never passes silently. */
export const PersonSettingsPatch = z
  .object({
    quietHours: QuietHoursSetting.nullable().optional(),
    dndUntil: z.coerce.date({ message: 'a date (ISO 8601)' }).nullable().optional(),
    preferredMediums: z.array(Medium).optional(),
    avoidedMediums: z.array(Medium).optional(),
    attentionBudget: z.coerce.number({ message: 'a whole number' }).int('a whole number').min(0).max(100).nullable().optional(),
    digestTime: HhMm.nullable().optional(),
  })
  .strict();
export type PersonSettingsPatch = z.input<typeof PersonSettingsPatch>;

export const EMPTY_SETTINGS: PersonSettings = {
  quietHours: null,
  dndUntil: null,
  preferredMediums: [],
  avoidedMediums: [],
  attentionBudget: null,
  digestTime: null,
};

export class InvalidSettingsError extends Error {
  override readonly name = 'InvalidSettingsError';
  constructor(readonly issues: { field: string; message: string }[]) {
    super(`person settings: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
}

export interface ResponseRecord {
  notificationId: string;
  personId: string;
  medium: Medium;
  respondedAt: Date;
  note: string | null;
}

interface SettingsRow {
  quiet_start: string | null;
  quiet_end: string | null;
  dnd_until: Date | string | null;
  preferred_mediums: Medium[];
  avoided_mediums: Medium[];
  attention_budget: number | null;
  digest_time: string | null;
}

function settingsFromRow(r: SettingsRow): PersonSettings {
  return {
    quietHours: r.quiet_start && r.quiet_end ? { start: r.quiet_start, end: r.quiet_end } : null,
    dndUntil: r.dnd_until === null ? null : new Date(r.dnd_until),
    preferredMediums: r.preferred_mediums,
    avoidedMediums: r.avoided_mediums,
    attentionBudget: r.attention_budget === null ? null : Number(r.attention_budget),
    digestTime: r.digest_time,
  };
}

/** Preferring and avoiding one medium at once is a contradiction the person should hear about. */
function contradictions(s: PersonSettings): { field: string; message: string }[] {
  const both = s.preferredMediums.filter((m) => s.avoidedMediums.includes(m));
  return both.length > 0 ? [{ field: 'avoidedMediums', message: `${both.join(', ')} cannot be both preferred and avoided` }] : [];
}

export class PersonSettingsStore {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  /** A person's settings; everything unset when they never set any. */
  async get(personId: string): Promise<PersonSettings> {
    const { rows } = await this.#db.query<SettingsRow>(
      `SELECT quiet_start, quiet_end, dnd_until, preferred_mediums, avoided_mediums, attention_budget, digest_time
       FROM person_settings WHERE person_id = $1`,
      [personId.trim().toLowerCase()],
    );
    return rows[0] ? settingsFromRow(rows[0]) : { ...EMPTY_SETTINGS };
  }

  /** Applies a change (validated: an error names the field) and returns the settings as they now are. */
  async set(personId: string, patch: unknown): Promise<PersonSettings> {
    const parsed = PersonSettingsPatch.safeParse(patch ?? {});
    if (!parsed.success) {
      throw new InvalidSettingsError(parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(settings)', message: i.message })));
    }
    const id = personId.trim().toLowerCase();
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<SettingsRow>(
        `SELECT quiet_start, quiet_end, dnd_until, preferred_mediums, avoided_mediums, attention_budget, digest_time
         FROM person_settings WHERE person_id = $1 FOR UPDATE`,
        [id],
      );
      const current = rows[0] ? settingsFromRow(rows[0]) : { ...EMPTY_SETTINGS };
      const next: PersonSettings = { ...current };
      for (const [key, value] of Object.entries(parsed.data) as [keyof PersonSettings, unknown][]) {
        if (value !== undefined) (next as Record<string, unknown>)[key] = value;
      }
      const problems = contradictions(next);
      if (problems.length > 0) throw new InvalidSettingsError(problems);
      await tx.query(
        `INSERT INTO person_settings (person_id, quiet_start, quiet_end, dnd_until, preferred_mediums, avoided_mediums, attention_budget, digest_time, updated_at)
         VALUES ($1, $2, $3, $4, $5::text[], $6::text[], $7, $8, now())
         ON CONFLICT (person_id) DO UPDATE SET
           quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, dnd_until = EXCLUDED.dnd_until,
           preferred_mediums = EXCLUDED.preferred_mediums, avoided_mediums = EXCLUDED.avoided_mediums,
           attention_budget = EXCLUDED.attention_budget, digest_time = EXCLUDED.digest_time, updated_at = now()`,
        [
          id,
          next.quietHours?.start ?? null,
          next.quietHours?.end ?? null,
          next.dndUntil,
          next.preferredMediums,
          next.avoidedMediums,
          next.attentionBudget,
          next.digestTime,
        ],
      );
      return next;
    });
  }

  /** Records that a person answered a notification through a medium; the same answer twice is recorded once. */
  async recordResponse(r: { notificationId: string; personId: string; medium: Medium; at: Date; note?: string }): Promise<{ created: boolean }> {
    const { rows } = await this.#db.query(
      `INSERT INTO notification_responses (notification_id, person_id, medium, responded_at, note)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (notification_id, person_id, medium, responded_at) DO NOTHING RETURNING id`,
      [r.notificationId, r.personId.trim().toLowerCase(), Medium.parse(r.medium), r.at, r.note ?? null],
    );
    return { created: rows.length > 0 };
  }

  async responsesOf(personId: string, limit = 50): Promise<ResponseRecord[]> {
    const { rows } = await this.#db.query<{ notification_id: string; person_id: string; medium: Medium; responded_at: Date | string; note: string | null }>(
      `SELECT notification_id, person_id, medium, responded_at, note FROM notification_responses
       WHERE person_id = $1 ORDER BY responded_at DESC, id DESC LIMIT $2`,
      [personId.trim().toLowerCase(), limit],
    );
    return rows.map((r) => ({ notificationId: r.notification_id, personId: r.person_id, medium: r.medium, respondedAt: new Date(r.responded_at), note: r.note }));
  }
}

/** The agent's view: the directory's working time (or the default calendar) with the person's settings on top. */
export function attentionSettingsOf(person: Pick<Person, 'timezone' | 'workingHours'> | undefined, settings: PersonSettings): AttentionSettings {
  const calendar = personAgentConfig.defaultCalendar;
  const timezone = person && isValidTimeZone(person.timezone) ? person.timezone : calendar.timezone;
  const workingHours = person?.workingHours ?? calendar.workingHours;
  return {
    timezone,
    workingHours: { ...workingHours },
    ...(settings.quietHours ? { quietHours: { ...settings.quietHours } } : {}),
    ...(settings.dndUntil ? { dndUntil: settings.dndUntil.toISOString() } : {}),
    budgetPerDay: settings.attentionBudget ?? personAgentConfig.defaultAttentionBudget,
    digestTime: settings.digestTime ?? (workingHours.start === '24:00' ? '00:00' : workingHours.start),
    preferredMediums: [...settings.preferredMediums],
    avoidedMediums: [...settings.avoidedMediums],
  };
}
