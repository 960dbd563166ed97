/**
 * Input fields that read the same from JSON (MCP, HTTP bodies), query strings (HTTP GET) and argv.
 */
import { z } from 'zod';
import { PersonId } from '../../../schemas/entities';

/** a whole number, also given as a decimal string ("10") */
export const Count = (opts: { min?: number; max: number }) =>
  z.coerce
    .number({ message: 'a whole number' })
    .int('a whole number')
    .min(opts.min ?? 1)
    .max(opts.max);

/** true / false, also given as the strings "true" / "false" */
export const Flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** whose eyes to read with; defaults to the token's person (another person: admin tokens only) */
export const As = PersonId.optional().describe('whose eyes to read with (an email); only an admin token may name someone else');
