/**
 * The operation registry: every operation Mycelium serves, declared once. The CLI, the HTTP API
 * (with its OpenAPI document) and the MCP server are generated from this list and nothing else.
 */
import type { AnyOperation } from './operation';
import { decisionsReassignOperation, decisionsResolveOperation, decisionsShowOperation, decisionsSnoozeOperation } from './ops/decisions';
import { ingestOperation } from './ops/ingest';
import { meRespondOperation, meSetOperation, meShowOperation } from './ops/me';
import { briefPrepareOperation, briefShowOperation, meetingsOperation } from './ops/meetings';
import { askOperation, decisionsListOperation, searchOperation } from './ops/memory';
import { notifyOperation } from './ops/notify';
import { opsOperation } from './ops/ops';
import { schedulesApplyOperation, schedulesListOperation } from './ops/schedules';
import { sourcesAddOperation, sourcesListOperation, sourcesResumeOperation, sourcesSyncOperation } from './ops/sources';
import { peopleAddOperation, peopleListOperation, peopleOptInOperation, peopleOptOutOperation, peopleShowOperation } from './ops/people';
import { tokensCreateOperation, tokensListOperation, tokensRevokeOperation } from './ops/tokens';
import { whyOperation } from './ops/why';

/** Declared as a tuple so that typed clients keep each operation's name, input and output types. */
const declared = [
  searchOperation,
  askOperation,
  meetingsOperation,
  briefPrepareOperation,
  briefShowOperation,
  decisionsListOperation,
  decisionsShowOperation,
  decisionsResolveOperation,
  decisionsSnoozeOperation,
  decisionsReassignOperation,
  notifyOperation,
  ingestOperation,
  sourcesListOperation,
  sourcesSyncOperation,
  sourcesAddOperation,
  sourcesResumeOperation,
  peopleListOperation,
  peopleShowOperation,
  peopleAddOperation,
  peopleOptInOperation,
  peopleOptOutOperation,
  meShowOperation,
  meSetOperation,
  meRespondOperation,
  whyOperation,
  schedulesListOperation,
  schedulesApplyOperation,
  tokensCreateOperation,
  tokensListOperation,
  tokensRevokeOperation,
  opsOperation,
] as const;

export type DeclaredOperation = (typeof declared)[number];
export const operations: readonly AnyOperation[] = declared as unknown as readonly AnyOperation[];

export function findOperation(name: string): AnyOperation | undefined {
  return operations.find((op) => op.name === name);
}

export * from './errors';
export * from './operation';
