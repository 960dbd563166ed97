/**
 * Slack workspace exports: `<export>/users.json`, `<export>/channels.json` (and `groups.json`
 * for private channels) are context; each `<export>/<channel-name>/<YYYY-MM-DD>.json` is a unit.
 * Only messages by opted-in people are ingested.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Item, Person } from '../../../schemas/entities';
import { OUTSIDE_OPT_IN } from '../../../schemas/entities';
import type { UnitContent } from './common';
import { accessList, finishItem, formatIssue, HeldBackTally, unique } from './common';
import { optedIn } from './directory';
import { parseJson } from './json';
import type { FilesContext } from './types';
import { QuarantineError } from './types';

/** Files at an export's root that describe it (never units). */
export const SLACK_CONTEXT_FILES = ['users.json', 'channels.json', 'groups.json'] as const;
/** A folder is a Slack export when it holds one of these. */
export const SLACK_MARKERS = ['channels.json', 'groups.json'] as const;
export const SLACK_DAY_FILE = /^\d{4}-\d{2}-\d{2}\.json$/;
/** Message subtypes that carry no content. */
export const SKIPPED_SUBTYPES = new Set(['channel_join', 'channel_leave', 'group_join', 'group_leave']);

export const SlackUser = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  real_name: z.string().optional(),
  profile: z.looseObject({ email: z.string().optional(), real_name: z.string().optional() }).optional(),
});
export type SlackUser = z.infer<typeof SlackUser>;

export const SlackChannel = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  members: z.array(z.string()).default([]),
  purpose: z.looseObject({ value: z.string().optional() }).optional(),
});
export type SlackChannel = z.infer<typeof SlackChannel>;

const TS = z
  .string({ error: (issue) => (issue.input === undefined ? 'missing' : 'expected a string') })
  .regex(/^\d+(\.\d+)?$/, { message: 'expected a Slack timestamp like "1700000000.000100"' });

export const SlackMessage = z.looseObject({
  type: z.string(),
  subtype: z.string().optional(),
  user: z.string().optional(),
  text: z.string().default(''),
  ts: TS,
  thread_ts: TS.optional(),
  reply_count: z.number().int().nonnegative().optional(),
});
export type SlackMessage = z.infer<typeof SlackMessage>;

/** The raw context a day file is read with (its bytes are part of the unit's fileHash). */
export interface SlackContextFile {
  /** relative to the source root */
  path: string;
  text: string;
}

/** "1736175600.000100" → the instant, to the millisecond. */
export function slackTsToDate(ts: string): Date {
  const [secs = '0', frac = ''] = ts.split('.');
  return new Date(Number(secs) * 1000 + Number((frac + '000').slice(0, 3)));
}

function parseList<T extends z.ZodType>(schema: T, file: SlackContextFile, unitPath: string): z.infer<T>[] {
  const json = parseJson(file.text, unitPath, file.path);
  const parsed = z.array(schema).safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new QuarantineError(unitPath, `${file.path}: ${first ? formatIssue(first, path.posix.basename(file.path, '.json')) : 'invalid'}`);
  }
  return parsed.data;
}

const decodeEntities = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Slack's markup as plain text: `<@U1>` becomes `@Name` (an opted-in person, who is then a mention) or
 * "@someone outside the opt-in", `<#C1|name>` `#name`, `<!here>` `@here`, links their label and target; entities
 * decoded. Shared by the export reader and the Web API connector, so both store the same words.
 */
export function renderSlackText(
  text: string,
  lookup: { personOf(userId: string): Person | undefined; channelNames: ReadonlyMap<string, string> },
): { body: string; mentions: string[] } {
  const mentions: string[] = [];
  const body = decodeEntities(
    text.replace(/<([^<>]*)>/g, (_all, inner: string) => {
      const [target = '', label] = inner.split('|', 2);
      if (target.startsWith('@')) {
        const person = optedIn(lookup.personOf(target.slice(1)));
        if (!person) return `@${OUTSIDE_OPT_IN}`;
        mentions.push(person.id);
        return `@${person.name}`;
      }
      if (target.startsWith('#')) return `#${label ?? lookup.channelNames.get(target.slice(1)) ?? target.slice(1)}`;
      if (target.startsWith('!')) return `@${(label ?? target.slice(1)).replace(/^@/, '').split('^')[0]}`;
      return label && label !== target ? `${label} (${target})` : target.replace(/^mailto:/, '');
    }),
  ).trim();
  return { body, mentions };
}

export function parseSlackDay(
  ctx: FilesContext,
  relPath: string,
  dayText: string,
  context: { users?: SlackContextFile; channels: SlackContextFile[] },
): UnitContent {
  const channelName = path.posix.basename(path.posix.dirname(relPath));
  const users = new Map((context.users ? parseList(SlackUser, context.users, relPath) : []).map((u) => [u.id, u]));
  const channels = context.channels.flatMap((f) => parseList(SlackChannel, f, relPath));
  const channel = channels.find((c) => c.name === channelName);
  if (!channel) {
    throw new QuarantineError(relPath, `channel "${channelName}" is not listed in ${context.channels.map((f) => f.path).join(' or ')}`);
  }
  const channelNames = new Map(channels.map((c) => [c.id, c.name]));

  const json = parseJson(dayText, relPath);
  if (!Array.isArray(json)) throw new QuarantineError(relPath, 'expected a JSON array of messages');
  const messages: SlackMessage[] = json.map((raw, i) => {
    const parsed = SlackMessage.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new QuarantineError(relPath, first ? formatIssue(first, `messages[${i}]`) : `messages[${i}] is invalid`);
    }
    return parsed.data;
  });

  /** The person behind a Slack user id: people.json slackId first, then the export's profile email. */
  const personOf = (userId: string): Person | undefined => {
    const bySlack = ctx.directory.bySlackId(userId);
    if (bySlack) return bySlack;
    const email = users.get(userId)?.profile?.email;
    return email ? ctx.directory.byEmail(email) : undefined;
  };

  const heldBack = new HeldBackTally();
  const members = channel.members.map((m) => optedIn(personOf(m))?.id).filter((id): id is string => id !== undefined);
  const items: Item[] = [];
  const seen = new Set<string>();
  for (const message of messages) {
    if (message.type !== 'message' || (message.subtype && SKIPPED_SUBTYPES.has(message.subtype))) continue;
    if (!message.user) continue; // a bot or an integration: nobody to opt in
    const known = personOf(message.user);
    const author = optedIn(known);
    if (!author) {
      // outside the opt-in: never ingested, only who wrote it is reported
      const profile = users.get(message.user);
      heldBack.add({
        id: known?.id ?? profile?.profile?.email,
        name: profile?.real_name || profile?.profile?.real_name || profile?.name || known?.name || message.user,
      });
      continue;
    }

    const { body, mentions } = renderSlackText(message.text, { personOf, channelNames });
    if (!body) continue;

    const externalId = `${channel.id}/${message.ts}`;
    if (seen.has(externalId)) throw new QuarantineError(relPath, `two messages share the ts ${message.ts}`);
    seen.add(externalId);
    const threadTs = message.thread_ts ?? message.ts;
    const recipients = unique(mentions);
    items.push(
      finishItem(ctx, relPath, {
        externalId,
        kind: 'message',
        body,
        authorId: author.id,
        occurredAt: new Date(slackTsToDate(message.ts).getTime() + ctx.timeShiftMs),
        threadId: `slack:${channel.id}:${threadTs}`,
        locator: `slack://channel?id=${encodeURIComponent(channel.id)}&message=${encodeURIComponent(message.ts)}`,
        access: accessList([...members, author.id]),
        recipients,
        meta: {
          channel: channel.name,
          channelId: channel.id,
          ts: message.ts,
          ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
          isReply: message.thread_ts !== undefined && message.thread_ts !== message.ts,
          ...(message.reply_count !== undefined ? { replyCount: message.reply_count } : {}),
          mentions: recipients,
        },
        segments: [{ position: 0, text: body }],
      }),
    );
  }
  return { items, heldBack: heldBack.authors };
}
