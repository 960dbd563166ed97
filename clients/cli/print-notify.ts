/** `myc notify` for a person: who hears about it, as what, through which medium, and why; who is withheld. */
import type { z } from 'zod';
import type { notifyOperation } from '../registry/ops/notify';

type NotifyShown = z.output<(typeof notifyOperation)['output']>;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

export function printNotify(shown: NotifyShown): void {
  const { plan } = shown;
  out(`${shown.dryRun ? 'Plan (dry run: nothing sent)' : 'Sent'}: ${plan.title} — ${plan.kind.replace('_', ' ')}, ${plan.urgency} urgency`);
  if (plan.recipients.length === 0) out('Nobody to tell: no one in the opt-in has evidence of a stake in this.');
  for (const r of plan.recipients) {
    out('');
    out(`${r.name} <${r.personId}> — ${r.role}`);
    for (const reason of r.roleReasons.slice(0, 3)) out(`  · ${reason}`);
    out(`  → ${r.medium.replace('_', ' ')}: ${r.mediumReason}`);
  }
  if (plan.withheld.length > 0) {
    out('');
    out('Withheld (may not see the source):');
    for (const w of plan.withheld) out(`  · ${w.note}`);
  }
  for (const note of plan.notes) out(`Note: ${note}`);
  if (!shown.dryRun) {
    out('');
    out(`${shown.notifications.length} notification${shown.notifications.length === 1 ? '' : 's'} handed to the person agents (\`myc why <id>\` explains each).`);
    if (shown.uiLink) out(`workflow: ${shown.uiLink}`);
  }
}
