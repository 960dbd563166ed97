/**
 * Every registry operation as a `myc` command, derived from the operation alone, so an operation
 * added to the registry is on the command line with no code of its own:
 *   - the name's words are the command's: `tokens_create` → `myc tokens create`, `people_opt_in` →
 *     `myc people opt-in`; a group's `list` (or, for briefs, `prepare`) runs when no verb is given
 *     (`myc decisions`, `myc brief <meetingId>`);
 *   - every input field is an option (`sourceId` → `--source-id`, booleans are flags), and the
 *     fields of the HTTP path (else the first required text field) may also be given positionally;
 *   - `--json` everywhere; the operation's zod schema, not commander, validates, so an error names
 *     the field the same way on every surface.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { InvalidInputError } from '../registry/errors';
import { jsonSchemaOf } from '../registry/json-schema';
import type { AnyOperation } from '../registry/operation';

export interface CommandRun {
  op: AnyOperation;
  input: Record<string, unknown>;
  json: boolean;
  /** the words typed, for messages and the lock's owner line: "myc tokens create" */
  command: string;
}

interface Tweaks {
  /** extra option names kept from earlier versions of the CLI, by field */
  aliases?: Record<string, string>;
  /** input rewritten before it leaves this machine */
  prepare?: (input: Record<string, unknown>) => void;
  /** a flag that runs a sibling operation instead, with the same input */
  switches?: Record<string, string>;
}

const tweaks: Record<string, Tweaks> = {
  // a folder named on this machine's command line is read by a service whose working directory differs
  ingest: {
    aliases: { sourceId: 'source' },
    prepare: (input) => {
      if (typeof input.folder === 'string') input.folder = resolve(input.folder);
    },
  },
  brief_prepare: { switches: { show: 'brief_show' } },
  // the service reads the credentials file: name it as this machine sees it (the service's working directory differs)
  sources_add: {
    prepare: (input) => {
      if (typeof input.credentialsFile === 'string') input.credentialsFile = resolve(input.credentialsFile);
    },
  },
};

/** The verb that runs when a group is given without one (the first of these the group has: `myc me` shows). */
const DEFAULT_VERBS = ['list', 'prepare', 'show'];

export function commandWords(op: AnyOperation): string[] {
  const [group, ...rest] = op.name.split('_');
  return rest.length ? [group!, rest.join('-')] : [group!];
}

interface JsonProperty {
  type?: string | string[];
  anyOf?: JsonProperty[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  items?: JsonProperty;
}

function types(p: JsonProperty): string[] {
  const own = Array.isArray(p.type) ? p.type : p.type ? [p.type] : [];
  return [...own, ...(p.anyOf ?? []).flatMap(types)];
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function positionalFields(op: AnyOperation, properties: Record<string, JsonProperty>, required: string[]): string[] {
  const fromPath = [...op.http.path.matchAll(/:(\w+)/g)].map((m) => m[1]!).filter((n) => n in properties);
  if (fromPath.length) return fromPath;
  const first = required.find((n) => types(properties[n]!).includes('string') && !('default' in properties[n]!));
  return first ? [first] : [];
}

function describe(p: JsonProperty): string {
  const parts = [p.description ?? ''];
  const choices = p.enum ?? p.anyOf?.find((a) => a.enum)?.enum;
  if (choices && !types(p).includes('boolean')) parts.push(`one of: ${choices.join(', ')}`);
  if (p.default !== undefined && p.default !== false && p.default !== '') parts.push(`default: ${JSON.stringify(p.default)}`);
  return parts.filter(Boolean).join('; ');
}

function valueOf(field: string, p: JsonProperty, raw: unknown): unknown {
  const t = types(p);
  if (raw === true || Array.isArray(raw)) return raw;
  const text = String(raw);
  if ((t.includes('integer') || t.includes('number')) && !t.includes('string')) {
    const n = Number(text);
    // a non-number goes on as typed, so that the schema's message names the field
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (t.includes('object') && !t.includes('string')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new InvalidInputError(`${field}: expected JSON`, { issues: [{ field, message: 'expected JSON' }] });
    }
  }
  return text;
}

/**
 * Adds one command per operation to `program`; `run` executes it. Returns each operation's command,
 * by operation name (the CLI-parity test reads this).
 */
export function addOperationCommands(
  program: Command,
  operations: readonly AnyOperation[],
  run: (call: CommandRun) => Promise<void>,
  /** the words on the command line: only the commands they may name get their options (JSON Schemas
   * cost a few ms each at every start); all of them when not given */
  argv?: readonly string[],
): Map<string, Command> {
  const byName = new Map<string, Command>();
  const groups = new Map<string, Command>();
  const wordsOf = new Map(operations.map((op) => [op.name, commandWords(op)]));
  const grouped = new Set([...wordsOf.values()].filter((w) => w.length > 1).map((w) => w[0]!));

  for (const op of operations) {
    const words = wordsOf.get(op.name)!;
    let parent = program;
    let verb = words[0]!;
    if (words.length > 1 || grouped.has(verb)) {
      let group = groups.get(words[0]!);
      if (!group) {
        const verbs = operations.map((o) => wordsOf.get(o.name)!).filter((w) => w[0] === words[0] && w[1]).map((w) => w[1]!);
        const fallback = DEFAULT_VERBS.find((v) => verbs.includes(v));
        group = program.command(words[0]!).description(`${verbs.join(', ')}${fallback ? ` (no verb: ${fallback})` : ''}`);
        groups.set(words[0]!, group);
      }
      parent = group;
      verb = words[1] ?? 'show';
    }
    const siblings = operations.filter((o) => wordsOf.get(o.name)![0] === words[0] && wordsOf.get(o.name)!.length > 1).map((o) => wordsOf.get(o.name)![1]!);
    const isDefault = parent !== program && DEFAULT_VERBS.find((v) => siblings.includes(v)) === verb;
    const command = parent.command(verb, { isDefault }).description(op.description);
    byName.set(op.name, command);
    const typed = `myc ${words.join(' ')}`;
    if (argv && !argv.includes(words[0]!)) continue;

    const schema = jsonSchemaOf(op.input, 'input') as { properties?: Record<string, JsonProperty>; required?: string[] };
    const properties = schema.properties ?? {};
    const required = schema.required ?? [];
    const positional = positionalFields(op, properties, required);
    const tweak = tweaks[op.name] ?? {};
    for (const field of positional) command.argument(`[${field}]`, properties[field]?.description ?? field);

    const optionFields = new Map<string, string>();
    for (const [field, p] of Object.entries(properties)) {
      const boolean = types(p).includes('boolean');
      const array = types(p).includes('array');
      const names = [kebab(field), ...(tweak.aliases?.[field] ? [tweak.aliases[field]] : [])];
      for (const name of names) {
        const flags = boolean ? `--${name}` : array ? `--${name} <values...>` : `--${name} <${field === 'as' || field === 'person' ? 'email' : 'value'}>`;
        const option = new Option(flags, name === names[0] ? describe(p) : `same as --${names[0]}`);
        if (name !== names[0]) option.hideHelp();
        command.addOption(option);
        optionFields.set(option.attributeName(), field);
      }
    }
    for (const flag of Object.keys(tweak.switches ?? {})) {
      command.option(`--${flag}`, `run ${tweak.switches![flag]} instead (${operations.find((o) => o.name === tweak.switches![flag])?.description ?? ''})`);
    }
    command.option('--json', 'print machine-readable JSON');

    command.action(async (...args: unknown[]) => {
      const options = args[positional.length] as Record<string, unknown>;
      const input: Record<string, unknown> = {};
      positional.forEach((field, i) => {
        if (args[i] !== undefined) input[field] = valueOf(field, properties[field]!, args[i]);
      });
      for (const [attribute, field] of optionFields) {
        if (options[attribute] !== undefined) input[field] = valueOf(field, properties[field]!, options[attribute]);
      }
      if (op.actsAs && input.as === undefined && process.env.MYCELIUM_AS?.trim()) input.as = process.env.MYCELIUM_AS.trim();
      const switched = Object.entries(tweak.switches ?? {}).find(([flag]) => options[flag]);
      const target = switched ? operations.find((o) => o.name === switched[1]) : op;
      if (!target) throw new Error(`no operation ${switched?.[1]}`);
      tweaks[target.name]?.prepare?.(input);
      await run({ op: target, input, json: Boolean(options.json), command: typed });
    });
  }
  return byName;
}
