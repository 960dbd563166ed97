/**
 * How a CLI command runs its operation: through the HTTP API of a reachable service, or, when
 * none is, in this process under the data directory's lock, as the local owner. Either way the
 * result is the operation's JSON (what `--json` prints); both paths end in the registry's `invoke`.
 *
 * The in-process path loads the stack (Temporal, PGlite, NLP) only when a command runs there.
 */
import { MyceliumClient } from '../client/http';
import type { AnyOperation } from '../registry/operation';
import { findService } from '../service/discovery';
import { lightFetch } from '../service/light-fetch';

export type Progress = { phase: string; total: number; done: number };

export interface Invoker {
  readonly via: 'service' | 'in-process';
  /** where the service is (via service) */
  readonly url?: string;
  call(op: AnyOperation, input: Record<string, unknown>, options?: { onProgress?: (p: Progress) => void }): Promise<unknown>;
  close(): Promise<void>;
}

export interface InvokerOptions {
  /** the command line, for the lock's owner line ("myc ingest") */
  command: string;
  /** in-process: run a worker too (the operations that start workflows and wait on them) */
  worker: boolean;
}

export async function chooseInvoker(options: InvokerOptions): Promise<Invoker> {
  const service = await findService();
  if (service) return serviceInvoker(service.url, service.token);
  return inProcessInvoker(options);
}

export function serviceInvoker(url: string, token: string | undefined): Invoker {
  const client = new MyceliumClient({ url, token, fetch: lightFetch as unknown as typeof fetch });
  return {
    via: 'service',
    url,
    call: (op, input) => client.request(op, input),
    close: async () => {},
  };
}

export function inProcessInvoker(options: InvokerOptions): Invoker {
  let opened: Promise<import('../runtime').Stack> | undefined;
  const stack = async (): Promise<import('../runtime').Stack> => {
    opened ??= import('../runtime').then(({ openStack }) => openStack({ worker: options.worker, owner: { kind: 'command', command: options.command } }));
    return opened;
  };
  return {
    via: 'in-process',
    async call(op, input, callOptions) {
      const [{ invoke }, { ownerPrincipal }] = await Promise.all([import('../registry/invoke'), import('../service/owner')]);
      const result = await invoke(op, input, { principal: ownerPrincipal(), surface: 'cli', stack, onProgress: callOptions?.onProgress });
      // the same JSON a service would send: dates as ISO strings
      return JSON.parse(JSON.stringify(result)) as unknown;
    },
    async close() {
      if (!opened) return;
      const s = await opened.catch(() => undefined);
      await s?.close();
    },
  };
}
