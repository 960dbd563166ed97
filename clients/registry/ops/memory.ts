/** Reading the team's memory: search, ask, the decision log. */
import { z } from 'zod';
import { AskOut, DecisionLogEntryOut, SearchResultOut } from '../../../schemas/api';
import { defineOperation } from '../operation';
import { As, Count, Flag } from './fields';

/** The most citations one answer may carry. */
export const MAX_ASK_CITATIONS = 50;

/** what `search` takes (direct callers name `as` themselves: clients/operations.ts) */
export const SearchRequest = z.object({
  query: z.string().trim().min(1, 'say what to search for'),
  as: As,
  limit: Count({ max: 100 }).default(10),
});

export const searchOperation = defineOperation({
  name: 'search',
  description: 'Hybrid (full-text + vector) search over everything ingested, showing only what the asking person may see.',
  scope: 'read',
  actsAs: true,
  http: { method: 'GET', path: '/v1/search' },
  input: SearchRequest,
  output: z.array(SearchResultOut),
  async handler(context, input) {
    const { search } = await import('../../operations');
    return search(await context.stack(), { query: input.query, as: input.as!, limit: input.limit });
  },
});

/** what `ask` takes */
export const AskRequest = z.object({
  question: z.string().trim().min(3, 'ask a question'),
  as: As,
  meeting: z.string().trim().min(1, 'name the meeting to ask about').optional().describe('only what was said in this meeting (its id)'),
  k: Count({ max: MAX_ASK_CITATIONS }).default(8).describe('how many citations at most'),
});

export const askOperation = defineOperation({
  name: 'ask',
  description: 'Ask the memory ("what did we decide about X, and why?"): an answer whose every sentence cites its sources.',
  scope: 'read',
  actsAs: true,
  http: { method: 'POST', path: '/v1/ask' },
  input: AskRequest,
  output: AskOut,
  async handler(context, input) {
    const { ask } = await import('../../memory-operations');
    return ask(await context.stack(), { question: input.question, as: input.as!, meeting: input.meeting, k: input.k });
  },
});

/** what `decisions_list` takes */
export const DecisionsRequest = z.object({
  open: Flag.default(false).describe('only decisions with no follow-up yet'),
  topic: z.string().trim().min(1).optional(),
  owner: z.string().trim().min(1).optional().describe('an email, or a name from the directory'),
  as: As,
  limit: Count({ max: 500 }).default(50),
});

export const decisionsListOperation = defineOperation({
  name: 'decisions_list',
  description: 'The decision log as the asking person may see it: statement, rationale, decider, owner, status, sources, follow-ups.',
  scope: 'read',
  actsAs: true,
  http: { method: 'GET', path: '/v1/decisions' },
  input: DecisionsRequest,
  output: z.array(DecisionLogEntryOut),
  async handler(context, input) {
    const { decisions } = await import('../../memory-operations');
    return decisions(await context.stack(), { ...input, as: input.as! });
  },
});
