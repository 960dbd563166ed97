/** API tokens: created for a person with a scope, shown once, listed, revoked. */
import { z } from 'zod';
import { PersonId } from '../../../schemas/entities';
import { NotFoundError } from '../errors';
import { defineOperation, SCOPES } from '../operation';
import { Flag } from './fields';

const TokenOut = z.object({
  id: z.string(),
  personId: z.string(),
  scope: z.enum(SCOPES),
  name: z.string(),
  owner: z.boolean(),
  createdAt: z.coerce.date(),
  lastUsedAt: z.coerce.date().nullable(),
  revokedAt: z.coerce.date().nullable(),
});

export const tokensCreateOperation = defineOperation({
  name: 'tokens_create',
  description: 'Create an API token bound to a person with a scope (read, write or admin); the token is shown this once.',
  scope: 'admin',
  http: { method: 'POST', path: '/v1/tokens' },
  input: z.object({
    person: PersonId.describe('the person the token acts as'),
    scope: z.enum(SCOPES).default('read'),
    name: z.string().trim().max(200).default('').describe('what the token is for'),
  }),
  output: TokenOut.extend({ token: z.string() }),
  async handler(context, input) {
    const stack = await context.stack();
    return stack.tokens.create({ personId: input.person, scope: input.scope, name: input.name });
  },
});

export const tokensListOperation = defineOperation({
  name: 'tokens_list',
  description: 'The live API tokens (never their secrets); with includeRevoked, the revoked ones too.',
  scope: 'admin',
  http: { method: 'GET', path: '/v1/tokens' },
  input: z.object({ includeRevoked: Flag.default(false) }),
  output: z.array(TokenOut),
  async handler(context, input) {
    return (await context.stack()).tokens.list(input);
  },
});

export const tokensRevokeOperation = defineOperation({
  name: 'tokens_revoke',
  description: 'Revoke an API token by its id; it stops working at once.',
  scope: 'admin',
  http: { method: 'DELETE', path: '/v1/tokens/:id' },
  input: z.object({ id: z.string().trim().min(1, 'name the token (its id, as tokens_list shows it)') }),
  output: TokenOut,
  async handler(context, input) {
    const revoked = await (await context.stack()).tokens.revoke(input.id);
    if (!revoked) throw new NotFoundError(`tokens_revoke: no token "${input.id}"`);
    return revoked;
  },
});
