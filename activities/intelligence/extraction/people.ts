/**
 * Who is named where: the opted-in directory turned into a name index (full names, and first names
 * that are unique in it), matched case-sensitively as whole words, with an optional "@" (Slack mentions
 * are rewritten to "@Full Name" by the connector). Nobody outside the directory is ever resolved.
 */
import type { PersonId } from '../../../schemas/entities';
import type { Lexicon } from './language';
import type { DirectoryPerson } from './port';

export interface NameMention {
  person: DirectoryPerson;
  start: number;
  end: number;
  /** written with a leading "@" */
  at: boolean;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class PeopleIndex {
  readonly #byId = new Map<string, DirectoryPerson>();
  readonly #byName = new Map<string, DirectoryPerson>();
  readonly #pattern: RegExp | undefined;

  constructor(people: readonly DirectoryPerson[]) {
    const usable = people.filter((p) => p.optedIn !== false);
    for (const p of [...usable].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      if (!this.#byId.has(p.id)) this.#byId.set(p.id.toLowerCase(), p);
    }
    const firstNames = new Map<string, DirectoryPerson[]>();
    for (const p of this.#byId.values()) {
      const full = p.name.trim().replace(/\s+/g, ' ');
      if (full) this.#byName.set(full, p);
      const first = full.split(' ')[0];
      if (first && first !== full) firstNames.set(first, [...(firstNames.get(first) ?? []), p]);
    }
    for (const [first, owners] of firstNames) {
      if (owners.length === 1 && owners[0] && !this.#byName.has(first)) this.#byName.set(first, owners[0]);
    }
    const names = [...this.#byName.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.#pattern = names.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}_@])(@?)(${names.map(escape).join('|')})(?![\\p{L}\\p{N}_])`, 'gu') : undefined;
  }

  get size(): number {
    return this.#byId.size;
  }

  byId(id: string | null | undefined): DirectoryPerson | undefined {
    return id ? this.#byId.get(id.trim().toLowerCase()) : undefined;
  }

  has(id: string | null | undefined): id is PersonId {
    return this.byId(id) !== undefined;
  }

  /** Every directory name in `text`, in order. */
  mentions(text: string): NameMention[] {
    if (!this.#pattern) return [];
    const out: NameMention[] = [];
    for (const m of text.matchAll(this.#pattern)) {
      const person = this.#byName.get(m[2] ?? '');
      if (!person || m.index === undefined) continue;
      out.push({ person, start: m.index, end: m.index + m[0].length, at: m[1] === '@' });
    }
    return out;
  }

  /** Names tagged as people for compromise, so "Dev ships the flag" parses with Dev as the subject. */
  lexicon(): Lexicon {
    const lexicon: Lexicon = {};
    for (const name of this.#byName.keys()) lexicon[name.toLowerCase()] = 'Person';
    return lexicon;
  }
}
