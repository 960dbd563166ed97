/**
 * How the CLI (and anyone printing a sync result) says what was held back and how to let it in.
 * Imports nothing: the thin CLI loads it on every ingest summary.
 */
export interface HeldBackLike {
  items: number;
  authors: readonly { id?: string; name?: string; items: number }[];
}

/** at most this many authors are named on the line; the rest are counted */
const NAMED = 5;

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function who(author: HeldBackLike['authors'][number]): string {
  if (author.id) return author.id;
  return `"${author.name ?? 'someone'}" (no email seen)`;
}

/**
 * The held-back line(s) of an ingest summary; none when nothing was held back:
 * "14 items held back: their 3 authors are not in the directory or not opted in: alice@…, bob@… — add them
 * with `myc people add <email>` / opt them in with `myc people opt-in <email>`".
 */
export function describeHeldBack(heldBack: HeldBackLike | undefined): string[] {
  if (!heldBack || heldBack.items <= 0 || heldBack.authors.length === 0) return [];
  const { authors } = heldBack;
  const named = authors.slice(0, NAMED).map(who);
  const more = authors.length - named.length;
  const list = `${named.join(', ')}${more > 0 ? `, and ${more} more (\`myc people\`)` : ''}`;
  const subject = authors.length === 1 ? 'its author is' : `their ${authors.length} authors are`;
  return [
    `${plural(heldBack.items, 'item', 'items')} held back: ${subject} not in the directory or not opted in: ${list}` +
      ' — add them with `myc people add <email>` / opt them in with `myc people opt-in <email>`',
  ];
}

/** "3 files of source files-x" */
export function describeFiles(files: readonly { sourceId: string; files: number }[]): string {
  return files.map((f) => `${plural(f.files, 'file', 'files')} of source ${f.sourceId}`).join(', ');
}
