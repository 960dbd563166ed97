/**
 * `mycelium` (alias `myc`): the command line over the operation registry.
 * Exit codes: 0 ok; 1 with a one-line reason otherwise.
 */
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { ask, decisions } from '../memory-operations';
import { brief, ingest, meetings, search, UserError } from '../operations';
import { openStack, type Stack } from '../runtime';
import { runDemo } from './demo';
import { printAnswer, printBrief, printDecisions, printMeetings, printSearch, printJson } from './print';

const program = new Command()
  .name('mycelium')
  .description('Mycelium: remembers what your team decided, prepares every meeting, routes what people need to know.')
  .showHelpAfterError();

const json = new Option('--json', 'print machine-readable JSON');

program
  .command('dev')
  .description('start the stack (Temporal dev server, store, worker) and keep it up')
  .action(async () => {
    const stack = await openStack({ worker: true, echo: (text) => process.stdout.write(`${text}\n`) });
    const ui = stack.uiLink('x', 'y')?.replace(/\/namespaces\/.*$/, '');
    process.stdout.write(`Mycelium is running. Temporal Web UI: ${ui ?? '(external server)'}\nPress Ctrl+C to stop.\n`);
    await waitForInterrupt();
    await stack.close();
  });

program
  .command('demo')
  .description('run the main job on the sample team: ingest examples/acme and brief its next meeting')
  .addOption(json)
  .action(async (options: { json?: boolean }) => {
    await runDemo({ json: Boolean(options.json) });
  });

program
  .command('ingest')
  .description('ingest a folder of team data (.ics, .vtt, Slack export, .eml, people.json)')
  .argument('<folder>', 'the folder to read')
  .option('--source <id>', 'source id (default: files-<folder name>)')
  .addOption(json)
  .action(async (folder: string, options: { source?: string; json?: boolean }) => {
    await withStack(async (stack) => {
      const bar = options.json || !process.stderr.isTTY ? undefined : new SingleBar({ format: 'ingesting [{bar}] {value}/{total} files' });
      let started = false;
      const out = await ingest(stack, { folder, sourceId: options.source }, (p) => {
        if (!bar || p.total === 0) return;
        if (!started) bar.start(p.total, p.done);
        started = true;
        bar.update(p.done);
      });
      bar?.stop();
      if (options.json) return printJson(out);
      const r = out.result;
      process.stdout.write(
        `${out.sourceId}: ${r.files} files — ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged, ${r.removed} removed items; ${r.meetingsEnsured} upcoming meetings watched\n`,
      );
      for (const q of r.quarantined) process.stdout.write(`quarantined ${q.path}: ${q.reason}\n`);
      if (stack.uiLink(out.workflowId, out.runId)) process.stdout.write(`workflow: ${stack.uiLink(out.workflowId, out.runId)}\n`);
    });
  });

program
  .command('meetings')
  .description('list upcoming meetings')
  .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
  .addOption(json)
  .action(async (options: { limit: number; json?: boolean }) => {
    await withStack(async (stack) => {
      const found = await meetings(stack, { limit: options.limit });
      if (options.json) printJson(found);
      else printMeetings(found);
    }, false);
  });

program
  .command('brief')
  .description("prepare (if needed) and print a meeting's brief")
  .argument('<meetingId>', 'as listed by `myc meetings`')
  .addOption(json)
  .action(async (meetingId: string, options: { json?: boolean }) => {
    await withStack(async (stack) => {
      const out = await brief(stack, { meetingId });
      if (options.json) printJson(out);
      else printBrief(out);
    });
  });

program
  .command('search')
  .description('hybrid search over everything ingested, as one person sees it')
  .argument('<query>', 'what to look for')
  .option('--as <person>', 'whose eyes to search with (email); default $MYCELIUM_AS')
  .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 10)
  .addOption(json)
  .action(async (query: string, options: { as?: string; limit: number; json?: boolean }) => {
    const as = options.as ?? process.env.MYCELIUM_AS;
    if (!as) throw new UserError('search: say whose eyes to search with: --as <email> (or set MYCELIUM_AS)');
    await withStack(async (stack) => {
      const results = await search(stack, { query, as, limit: options.limit });
      if (options.json) printJson(results);
      else printSearch(results);
    }, false);
  });

program
  .command('decisions')
  .description('the decision log, with sources, as one person may see it')
  .option('--open', 'only decisions with no follow-up yet')
  .option('--topic <words>', 'decisions about this')
  .option('--owner <person>', 'decisions owned by this person (email or name)')
  .option('--as <person>', 'whose eyes to read with (email); default $MYCELIUM_AS')
  .addOption(json)
  .action(async (options: { open?: boolean; topic?: string; owner?: string; as?: string; json?: boolean }) => {
    const as = asker('decisions', options.as);
    await withStack(async (stack) => {
      const log = await decisions(stack, { open: Boolean(options.open), topic: options.topic, owner: options.owner, as });
      if (options.json) return printJson(log);
      printDecisions(log);
    }, false);
  });

program
  .command('ask')
  .description('ask the memory: "what did we decide about X, and why?" — every sentence with its sources')
  .argument('<question>', 'the question')
  .option('--as <person>', 'whose eyes to read with (email); default $MYCELIUM_AS')
  .option('--meeting <id>', 'only what was said in this meeting (its id, as `myc meetings` shows it)')
  .addOption(json)
  .action(async (question: string, options: { as?: string; meeting?: string; json?: boolean }) => {
    const as = asker('ask', options.as);
    await withStack(async (stack) => {
      const out = await ask(stack, { question, as, meeting: options.meeting });
      if (options.json) return printJson(out);
      printAnswer(out);
    }, false);
  });

function asker(command: string, given: string | undefined): string {
  const as = given ?? process.env.MYCELIUM_AS;
  if (!as) throw new UserError(`${command}: say whose eyes to read with: --as <email> (or set MYCELIUM_AS)`);
  return as;
}

async function withStack(fn: (stack: Stack) => Promise<void>, worker = true): Promise<void> {
  const stack = await openStack({ worker });
  try {
    await fn(stack);
  } finally {
    await stack.close();
  }
}

function waitForInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mycelium: ${message.split('\n')[0]}\n`);
    if (!(error instanceof UserError) && process.env.LOG_LEVEL === 'debug') console.error(error);
    process.exit(1);
  },
);
