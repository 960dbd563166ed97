/** The sample team (examples/acme), parsed by the real files connector, for extraction tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { directoryFrom, listUnits, parseUnit } from '../../activities/connectors/files';
import type { FilesContext } from '../../activities/connectors/files';
import type { DirectoryPerson } from '../../activities/intelligence/extraction/port';
import type { Item, ParsedUnit, Person } from '../../schemas/entities';

export const SAMPLE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/acme');
export const SAMPLE_NOW = new Date('2026-03-10T09:30:00Z');
export const OPT_OUT_MARKER = ['PRIVATE', 'OPTOUT', 'MARKER'].join('-');

export interface Sample {
  people: Person[];
  directory: DirectoryPerson[];
  units: ParsedUnit[];
  items: Item[];
  byExternalId(externalId: string): Item;
  threadOf(item: Item): Item[];
}

let cached: Promise<Sample> | undefined;

export function loadSample(): Promise<Sample> {
  cached ??= (async () => {
    const base: FilesContext = {
      sourceId: 'acme',
      root: SAMPLE_ROOT,
      timeShiftMs: 0,
      maxFileBytes: 5 * 1024 * 1024,
      directory: directoryFrom([]),
      now: SAMPLE_NOW,
      horizonDays: 14,
    };
    const peopleUnit = await parseUnit(base, 'people.json');
    const ctx = { ...base, directory: directoryFrom(peopleUnit.people) };
    const { units: listed } = await listUnits(SAMPLE_ROOT);
    const units = [peopleUnit];
    for (const u of listed) if (u.path !== 'people.json') units.push(await parseUnit(ctx, u.path));
    const items = units.flatMap((u) => u.items);
    const people = peopleUnit.people;
    return {
      people,
      directory: people.filter((p) => p.optedIn),
      units,
      items,
      byExternalId(externalId) {
        const found = items.find((i) => i.externalId === externalId);
        if (!found) throw new Error(`no sample item ${externalId}`);
        return found;
      },
      threadOf(item) {
        return item.threadId ? items.filter((i) => i.threadId === item.threadId && i.id !== item.id) : [];
      },
    };
  })();
  return cached;
}

/** A hand-made item (for cases the sample does not have), valid by the Item schema. */
export function syntheticItem(over: Partial<Item> & Pick<Item, 'id' | 'kind' | 'segments' | 'occurredAt' | 'access'>): Item {
  return {
    sourceId: 'test',
    externalId: over.id,
    body: over.segments.map((s) => s.text).join('\n'),
    authorId: null,
    locator: `test://${over.id}`,
    recipients: [],
    meta: {},
    contentHash: `hash-${over.id}`,
    ...over,
  };
}

/** Every quote of an extraction is a verbatim piece of the segment it cites. */
export function quotesAreVerbatim(spans: { itemId: string; position: number; quote: string }[], items: Item[]): string[] {
  const problems: string[] = [];
  for (const s of spans) {
    const segment = items.find((i) => i.id === s.itemId)?.segments.find((x) => x.position === s.position);
    if (!segment) problems.push(`${s.itemId}#${s.position}: no such segment`);
    else if (!segment.text.includes(s.quote)) problems.push(`${s.itemId}#${s.position}: "${s.quote}" not in "${segment.text}"`);
  }
  return problems;
}
