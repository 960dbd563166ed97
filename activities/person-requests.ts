/**
 * The one way anything reaches a person's agent (`person:<personId>`): notifyStakeholders hands it each planned
 * notification by signal-with-start (the agent starts on its first notification); settings changes and answers are
 * signalled to a running agent only (one that is not running reads them from the store when it starts).
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandleWithSignaledRunId } from '@temporalio/client';
import { personWorkflowId } from '../workflows/ids';
import { notifySignal, PERSON_WORKFLOW_TYPE, respondedSignal, settingsChangedSignal, type Answer, type Notice, type PersonAgent, type PersonInput } from '../workflows/person-defs';
import { PersonIdsAttribute } from '../workflows/search-attributes';

export interface PersonAgentOptions {
  /**
   * false: set no search attributes (MyceliumPersonIds). Only for a server that cannot register them: the
   * time-skipping test server has no operator service.
   */
  searchAttributes?: boolean;
}

export function signalPersonAgent(
  client: Client,
  taskQueue: string,
  personId: string,
  notice: Notice,
  options: PersonAgentOptions = {},
): Promise<WorkflowHandleWithSignaledRunId<PersonAgent>> {
  const id = personId.trim().toLowerCase();
  return client.workflow.signalWithStart<PersonAgent, [Notice]>(PERSON_WORKFLOW_TYPE, {
    workflowId: personWorkflowId(id),
    taskQueue,
    args: [{ personId: id } satisfies PersonInput],
    signal: notifySignal,
    signalArgs: [notice],
    ...(options.searchAttributes === false ? {} : { typedSearchAttributes: [{ key: PersonIdsAttribute, value: [id] }] }),
  });
}

/** Tells a running agent that something changed; false when the person has no running agent. */
export async function tellPersonAgent(client: Client, personId: string, message: { settingsChanged: true } | { responded: Answer }): Promise<boolean> {
  const handle = client.workflow.getHandle(personWorkflowId(personId));
  try {
    if ('settingsChanged' in message) await handle.signal(settingsChangedSignal);
    else await handle.signal(respondedSignal, message.responded);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
