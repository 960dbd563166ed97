/** How the CLI shows things to a person (and, with --json, to a program). */
import type { Meeting } from '../../schemas/entities';
import type { BriefOutput, SearchResult } from '../operations';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

export function printMeetings(meetings: Meeting[]): void {
  if (meetings.length === 0) return out('No upcoming meetings.');
  for (const m of meetings) {
    out(`${m.startsAt.toISOString()}  ${m.title}${m.status === 'tentative' ? ' (tentative)' : ''}`);
    out(`    id: ${m.id}`);
    out(`    ${m.attendeeIds.length} attendees${m.outsideOptInCount ? `, ${m.outsideOptInCount} outside the opt-in` : ''}`);
  }
}

export function printBrief(result: BriefOutput): void {
  out(result.brief.markdown);
  out();
  if (result.uiLink) out(`Temporal UI: ${result.uiLink}`);
  else out(`Workflow: ${result.workflowId} run ${result.runId}`);
}

export function printSearch(results: SearchResult[]): void {
  if (results.length === 0) return out('Nothing found that you may see.');
  results.forEach((r, i) => {
    const text = r.text.replace(/\s+/g, ' ').slice(0, 160);
    out(`${i + 1}. [${r.kind}] ${r.title ?? ''} — ${r.author ?? 'someone outside the opt-in'}, ${r.occurredAt.toISOString()}`);
    out(`   ${text}`);
    out(`   ${r.locator}${r.position ? ` #${r.position}` : ''}`);
  });
}
