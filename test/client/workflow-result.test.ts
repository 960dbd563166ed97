/**
 * workflowResult: a wait on a run's result sits through the DEADLINE_EXCEEDED a busy Temporal server answers a long
 * poll with (as a loaded CI machine's did in P1), and through nothing else. The errors are shaped as the SDK throws
 * them (a ServiceError whose cause is the gRPC status), and classified by the SDK's own isGrpcDeadlineError.
 */
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { workflowResult } from '../../clients/client/temporal';

// gRPC status codes (grpc.status)
const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;

const grpcError = (code: number, details: string) =>
  new ServiceError('Failed to get Workflow execution history', { cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }) });

/** a handle whose result() fails with each of `failures` in turn, then returns `value` */
function handleFailing<T>(failures: Error[], value: T) {
  let asked = 0;
  return {
    get asked() {
      return asked;
    },
    result: async (): Promise<T> => {
      asked += 1;
      const failure = failures[asked - 1];
      if (failure) throw failure;
      return value;
    },
  };
}

describe('workflowResult', () => {
  it('asks again after the server’s long-poll deadlines and returns the result', async () => {
    const handle = handleFailing([grpcError(DEADLINE_EXCEEDED, 'context deadline exceeded'), grpcError(DEADLINE_EXCEEDED, 'context deadline exceeded')], { outcome: 'delivered' });
    await expect(workflowResult(handle)).resolves.toEqual({ outcome: 'delivered' });
    expect(handle.asked).toBe(3);
  });

  it('passes any other failure through at once: the run’s own, or another gRPC status', async () => {
    const failed = new WorkflowFailedError('Workflow execution failed', new Error('boom'), 'NON_RETRYABLE_FAILURE');
    const ownFailure = handleFailing([failed], 'never');
    await expect(workflowResult(ownFailure)).rejects.toBe(failed);
    expect(ownFailure.asked).toBe(1);

    const notFound = grpcError(NOT_FOUND, 'workflow not found');
    const missing = handleFailing([notFound], 'never');
    await expect(workflowResult(missing)).rejects.toBe(notFound);
    expect(missing.asked).toBe(1);
  });

  it('gives up on a server that keeps timing out, after a bounded number of asks', async () => {
    const always = Array.from({ length: 100 }, () => grpcError(DEADLINE_EXCEEDED, 'context deadline exceeded'));
    const handle = handleFailing(always, 'never');
    await expect(workflowResult(handle)).rejects.toBe(always[29]);
    expect(handle.asked).toBe(30);
  });
});
