/**
 * `npm run demo`: the main job end to end on embedded defaults — start the stack, ingest the sample
 * team (its calendar moved so that "its now" is now), brief the next upcoming meeting, print the brief
 * and the Temporal UI link of the run, shut down.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { brief, ingest, meetings } from '../operations';
import { openStack } from '../runtime';
import { printBrief, printJson } from './print';

export const sampleTeamFolder = fileURLToPath(new URL('../../examples/acme', import.meta.url));

const SampleManifest = z.object({ name: z.string(), anchor: z.coerce.date(), calendarId: z.string() });

/** The shift that makes the sample team's fixed "now" (its anchor) coincide with the real now. */
export async function sampleTimeShiftMs(now: Date, folder = sampleTeamFolder): Promise<number> {
  const manifest = SampleManifest.parse(JSON.parse(await readFile(`${folder}/mycelium.json`, 'utf8')));
  const minute = 60_000;
  return Math.floor((now.getTime() - manifest.anchor.getTime()) / minute) * minute;
}

export async function runDemo(options: { json: boolean }): Promise<void> {
  const say = (line: string): void => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const started = Date.now();
  say('Starting the embedded stack (Temporal dev server, PGlite + pgvector, worker)…');
  const stack = await openStack({ worker: true });
  try {
    say(`Ingesting the sample team from ${sampleTeamFolder} …`);
    const ingested = await ingest(stack, {
      folder: sampleTeamFolder,
      sourceId: 'acme',
      timeShiftMs: await sampleTimeShiftMs(new Date()),
    });
    const r = ingested.result;
    say(`  ${r.files} files: ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged items; ${r.quarantined.length} quarantined`);
    const [next] = await meetings(stack, { limit: 1 });
    if (!next) throw new Error('the sample calendar has no upcoming meeting');
    say(`Preparing the brief for "${next.title}" at ${next.startsAt.toISOString()} (ensureMeetingHasContext)…\n`);
    const result = await brief(stack, { meetingId: next.id });
    if (options.json) printJson(result);
    else printBrief(result);
    say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await stack.close();
  }
}
