/** The registry describing itself: what every surface serves, with its schemas. */
import { z } from 'zod';
import { jsonSchemaOf } from '../json-schema';
import { defineOperation, SCOPES, type AnyOperation } from '../operation';

export const OperationDescription = z.object({
  name: z.string(),
  description: z.string(),
  scope: z.enum(SCOPES),
  http: z.object({ method: z.string(), path: z.string() }),
  input: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
});

export function describeOperation(op: AnyOperation): z.infer<typeof OperationDescription> {
  return {
    name: op.name,
    description: op.description,
    scope: op.scope,
    http: op.http,
    input: jsonSchemaOf(op.input, 'input'),
    output: jsonSchemaOf(op.output, 'output'),
  };
}

export const opsOperation = defineOperation({
  name: 'ops',
  description: 'The operation registry: every operation with its scope, HTTP route and the JSON Schemas of its input and output.',
  scope: 'read',
  http: { method: 'GET', path: '/v1/ops' },
  input: z.object({}),
  output: z.array(OperationDescription),
  async handler() {
    const { operations } = await import('../index');
    return operations.map(describeOperation);
  },
});
