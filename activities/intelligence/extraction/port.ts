/**
 * The extraction port: one item (with its segments) in, the decisions, action items and open questions
 * it holds out, each with the exact source spans it came from. Implementations: `local` (rules over NLP
 * libraries, deterministic, the embedded default) and `openai` (an OpenAI-compatible chat model with
 * structured outputs).
 */
import type { Item, Person, PersonId } from '../../../schemas/entities';
import type { Extraction } from '../../../schemas/memory';

/** A person the extractor may attribute things to. Only opted-in people are ever passed (or used). */
export type DirectoryPerson = Pick<Person, 'id' | 'name' | 'timezone'> & {
  workingHours?: Person['workingHours'];
  /** defensive: a person explicitly not opted in is ignored */
  optedIn?: boolean;
};

export interface ExtractionInput {
  item: Item;
  /** the directory: opted-in people only */
  people: DirectoryPerson[];
  /**
   * Other items of the item's conversation (same threadId), in any order. Earlier ones give context
   * (the proposal a "+1" agrees with, the question a reply answers); later ones give the agreement,
   * the answer, the acceptance of a request. Only things with at least one source in `item` are returned.
   */
  thread?: Item[];
}

export interface Extractor {
  readonly name: string;
  extract(input: ExtractionInput): Promise<Extraction>;
}

export type { Extraction, PersonId };
