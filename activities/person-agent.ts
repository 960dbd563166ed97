/**
 * What a person's agent reads and records outside the delivery itself: the effective attention settings (the
 * directory's working time with the person's own settings over it) and the answers they gave.
 */
import type { Person } from '../schemas/entities';
import type { Medium } from '../schemas/routing';
import type { AttentionSettings } from '../workflows/attention';
import { attentionSettingsOf, type PersonSettingsStore } from './memory/person-settings';

export interface PersonAgentDeps {
  people: { getPerson(id: string): Promise<Person | undefined> };
  personSettings: PersonSettingsStore;
}

export function createPersonAgentActivities(deps: PersonAgentDeps) {
  return {
    async loadPersonAttention(personId: string): Promise<AttentionSettings> {
      const [person, settings] = await Promise.all([deps.people.getPerson(personId), deps.personSettings.get(personId)]);
      return attentionSettingsOf(person, settings);
    },

    /** That the person answered a notification, through which medium (idempotent per answer). */
    async recordResponse(answer: { notificationId: string; personId: string; medium: Medium; at: string; note?: string }): Promise<{ created: boolean }> {
      return deps.personSettings.recordResponse({ ...answer, at: new Date(answer.at) });
    },
  };
}

export type PersonAgentActivities = ReturnType<typeof createPersonAgentActivities>;
