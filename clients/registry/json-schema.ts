/** JSON Schema (draft 2020-12) of an operation's input or output, as OpenAPI 3.1, MCP and `myc ops` publish it. */
import { z } from 'zod';

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      // dates travel as ISO 8601 strings on every surface
      if (ctx.zodSchema._zod.def.type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
      }
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}
