/** Ingesting a folder of team data through the files connector's sync workflow. */
import { z } from 'zod';
import { IngestOut } from '../../../schemas/api';
import { defineOperation } from '../operation';

export const ingestOperation = defineOperation({
  name: 'ingest',
  description: 'Ingest a folder (.ics, WebVTT .vtt, Slack export, .eml, people.json) on the machine the service runs on, through its syncSource workflow; bad files are quarantined with a reason.',
  scope: 'write',
  needsWorker: true,
  http: { method: 'POST', path: '/v1/ingest' },
  input: z.object({
    folder: z.string().min(1, 'name the folder to ingest'),
    sourceId: z.string().regex(/^[\w.-]+$/, 'a source id is letters, digits, "_", "-" or "."').optional(),
    timeShiftMs: z.number().int().default(0),
  }),
  output: IngestOut,
  async handler(context, input) {
    const { ingest } = await import('../../operations');
    const stack = await context.stack();
    const out = await ingest(stack, input, context.onProgress);
    // a new source is synced on schedule from now on (the service reconciles its Schedules)
    await stack.onSourcesChanged?.();
    return { ...out, uiLink: stack.uiLink(out.workflowId, out.runId) };
  },
});
