/** How the CLI shows things to a person (and, with --json, to a program). */
import type { Meeting } from '../../schemas/entities';
import type { AskOutput, DecisionLogEntry } from '../memory-operations';
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

export function printDecisions(log: DecisionLogEntry[]): void {
  if (log.length === 0) return out('No decisions found that you may see.');
  for (const d of log) {
    const who = [d.decider && `decided by ${d.decider.name}`, d.owner && `owner ${d.owner.name}`].filter(Boolean).join(', ');
    out(`${new Date(d.decidedAt).toISOString().slice(0, 10)}  [${d.status}${d.open ? ', open' : ''}] ${d.statement}`);
    out(`    topic: ${d.topic}${who ? ` — ${who}` : ''}`);
    if (d.rationale) out(`    why: ${d.rationale}`);
    for (const s of d.sources) out(`    source: ${JSON.stringify(s.quote)} — ${s.locator}`);
    for (const f of d.followUps) out(`    follow-up: ${JSON.stringify(f.quote)} — ${f.locator}`);
  }
}

export function printAnswer(answer: AskOutput): void {
  if (answer.sentences.length === 0) return out('Nothing you may see answers that.');
  for (const s of answer.sentences) out(`${s.text} ${s.citations.map((m) => `[${m}]`).join('')}`);
  out();
  for (const c of answer.citations) out(`[${c.marker}] ${c.kind} by ${c.author ?? 'someone outside the opt-in'}, ${new Date(c.occurredAt).toISOString()} — ${c.locator} #${c.position}`);
}
