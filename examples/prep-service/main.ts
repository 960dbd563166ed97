/**
 * An example of another service driving Mycelium: say a room-booking system that, when a meeting is
 * booked or moved, makes sure Mycelium prepares it — through the typed client (`mycelium/client`):
 * the HTTP API to find the meeting and read its brief, the Temporal helpers to start the meeting's
 * workflow by its business id.
 *
 *   MYCELIUM_URL=http://127.0.0.1:8787 MYCELIUM_TOKEN=myc_… TEMPORAL_ADDRESS=127.0.0.1:7233 \
 *     npx tsx examples/prep-service/main.ts [meetingId]
 *
 * Prints one JSON line: the meeting, the workflow id and run, the brief id and its Temporal UI link.
 */
import { Client, Connection } from '@temporalio/client';
import { MyceliumClient, ensureMeetingHasContext, prepareBriefNow } from 'mycelium/client';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`set ${name}`);
  return value;
}

async function main(): Promise<void> {
  const api = new MyceliumClient({ url: required('MYCELIUM_URL'), token: required('MYCELIUM_TOKEN') });
  const wanted = process.argv[2];
  const upcoming = await api.ops.meetings({ limit: 50 });
  const meeting = wanted ? upcoming.find((m) => m.id === wanted) : upcoming[0];
  if (!meeting) throw new Error(wanted ? `no upcoming meeting ${wanted}` : 'no upcoming meeting');

  const connection = await Connection.connect({ address: required('TEMPORAL_ADDRESS') });
  try {
    const temporal = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    const taskQueue = process.env.MYCELIUM_TASK_QUEUE;
    const handle = await ensureMeetingHasContext(temporal, { meetingId: meeting.id, startsAt: meeting.startsAt, attendeeIds: meeting.attendeeIds }, taskQueue ? { taskQueue } : {});
    const status = await prepareBriefNow(temporal, meeting.id);
    const shown = await api.ops.brief_show({ meetingId: meeting.id });
    process.stdout.write(
      `${JSON.stringify({
        meetingId: meeting.id,
        title: meeting.title,
        workflowId: handle.workflowId,
        runId: handle.signaledRunId,
        phase: status.phase,
        briefId: shown.brief.id,
        citations: shown.brief.citations.length,
        uiLink: shown.uiLink,
      })}\n`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`prep-service: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
