/** How `myc me` and `myc why` read to a person (with --json, the operations' JSON instead). */
import type { z } from 'zod';
import type { meShowOperation } from '../registry/ops/me';
import type { WhyOut } from '../registry/ops/why';

type Me = z.output<(typeof meShowOperation)['output']>;
type Why = z.output<typeof WhyOut>;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const iso = (d: Date): string => d.toISOString().replace(/:00\.000Z$/, 'Z');
/** the person's own wall clock, beside the instant: "Mon 09:00 Europe/Berlin" */
const local = (d: Date, timeZone: string): string =>
  `${new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d).replace(',', '')} ${timeZone}`;

export function printMe(me: Me): void {
  const p = me.person;
  out(p ? `${p.name} <${p.id}>${p.optedIn ? '' : ' (not opted in)'}` : me.personId);
  for (const note of me.notes) out(`  ${note}`);
  const e = me.effective;
  const s = me.settings;
  out();
  out(`working hours   ${e.workingHours.start}–${e.workingHours.end} ${e.timezone}`);
  out(`quiet hours     ${e.quietHours ? `${e.quietHours.start}–${e.quietHours.end}` : 'none'}`);
  out(`do not disturb  ${e.dndUntil ? `until ${local(e.dndUntil, e.timezone)} (${iso(e.dndUntil)})` : 'off'}`);
  out(`digest          ${e.digestTime}${s.digestTime === null ? ' (the start of your working day)' : ''}`);
  out(`attention       ${e.budgetPerDay} interruptions a day${s.attentionBudget === null ? ' (default)' : ''}`);
  if (e.preferredMediums.length) out(`prefers         ${e.preferredMediums.join(', ')}`);
  if (e.avoidedMediums.length) out(`avoids          ${e.avoidedMediums.join(', ')}`);

  out();
  const a = me.agent;
  if (!a.state) out(`agent ${a.workflowId}: ${a.message ?? a.status ?? 'not running'}`);
  else {
    const st = a.state;
    const digest = st.nextDigestAt ? `, next digest ${local(st.nextDigestAt, e.timezone)} (${iso(st.nextDigestAt)})` : '';
    out(`agent ${a.workflowId}: ${st.queue.length} waiting, ${st.budgetLeft ?? '?'} interruptions left today${digest}`);
    for (const q of st.queue) {
      out(`  [${q.placement}${q.until ? ` until ${iso(q.until)}` : ''}] ${q.subject ?? q.notificationId} — ${q.reason}`);
    }
  }
  if (a.uiLink) out(`  ${a.uiLink}`);

  out();
  if (me.notifications.length === 0) out('No notifications yet.');
  for (const n of me.notifications) {
    out(`${iso(n.createdAt)}  [${n.status}] ${n.subject} — ${n.role}, by ${n.medium}`);
    out(`    ${n.id}   (myc why ${n.id})`);
  }
}

export function printWhy(w: Why): void {
  for (const line of w.explanation) out(line);
  const seen = w.sources.filter((s) => s.maySee);
  if (seen.length) {
    out();
    out('Sources:');
    for (const s of seen) out(`  ${s.title ?? s.itemId}${s.author ? ` — ${s.author}` : ''}${s.occurredAt ? `, ${iso(s.occurredAt)}` : ''}: ${s.locator ?? ''}`);
  }
}
