/**
 * `npm run demo`: the main job end to end — ingest the sample team (its calendar moved so that "its
 * now" is now), brief the next upcoming meeting, print the brief and the Temporal UI link of the run.
 * Through the running service when there is one, else on an embedded stack started for the demo.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../../infra/paths';
import { findOperation } from '../registry';
import { BriefOut, IngestOut, MeetingOut } from '../../schemas/api';
import type { Invoker } from './invoker';
import { printBrief, printJson } from './print';

// from the project root, not this module's URL: the compiled build (dist/) moves this module
export const sampleTeamFolder = join(projectRoot, 'examples', 'acme');

const SampleManifest = z.object({ name: z.string(), anchor: z.coerce.date(), calendarId: z.string() });

/** The shift that makes the sample team's fixed "now" (its anchor) coincide with the real now. */
export async function sampleTimeShiftMs(now: Date, folder = sampleTeamFolder): Promise<number> {
  const manifest = SampleManifest.parse(JSON.parse(await readFile(`${folder}/mycelium.json`, 'utf8')));
  const minute = 60_000;
  return Math.floor((now.getTime() - manifest.anchor.getTime()) / minute) * minute;
}

export async function runDemo(options: { json: boolean }, invoker: Invoker): Promise<void> {
  const say = (line: string): void => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const call = (name: string, input: Record<string, unknown>): Promise<unknown> => invoker.call(findOperation(name)!, input);
  const started = Date.now();
  say(
    invoker.via === 'service'
      ? `Using the Mycelium service at ${invoker.url}…`
      : 'Starting the embedded stack (Temporal dev server, PGlite + pgvector, worker)…',
  );
  say(`Ingesting the sample team from ${sampleTeamFolder} …`);
  const ingested = IngestOut.parse(await call('ingest', { folder: sampleTeamFolder, sourceId: 'acme', timeShiftMs: await sampleTimeShiftMs(new Date()) }));
  const r = ingested.result;
  say(`  ${r.files} files: ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged items; ${r.quarantined.length} quarantined`);
  const [next] = z.array(MeetingOut).parse(await call('meetings', { limit: 1 }));
  if (!next) throw new Error('the sample calendar has no upcoming meeting');
  say(`Preparing the brief for "${next.title}" at ${next.startsAt.toISOString()} (ensureMeetingHasContext)…\n`);
  const raw = await call('brief_prepare', { meetingId: next.id });
  if (options.json) printJson(raw);
  else printBrief(BriefOut.parse(raw) as Parameters<typeof printBrief>[0]);
  say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
