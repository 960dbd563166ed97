/**
 * One `Db` over two engines: a Postgres server (node-postgres pool) or an embedded PGlite
 * (WASM Postgres, with pgvector). Everything above this file sees only the `Db` port.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import pg from 'pg';
import type { Db, ScriptableSql } from './ports';

export interface OpenDbOptions {
  /** postgres://… of a server; wins over dataDir */
  databaseUrl?: string;
  /** PGlite data folder; undefined = in-memory (tests) */
  dataDir?: string;
}

export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  return openPglite(opts.dataDir);
}

export function openPostgres(databaseUrl: string): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  // An idle client losing its connection emits 'error' on the pool; unhandled, that kills the process.
  pool.on('error', () => undefined);
  return new PostgresDb(pool);
}

export async function openPglite(dataDir?: string): Promise<Db> {
  const pglite = await PGlite.create({ dataDir, extensions: { vector } });
  return new PgliteDb(pglite);
}

/**
 * Marks the async context of a running transaction callback, so a call to the Db itself
 * from inside it (instead of the `tx` handle) fails loudly. On PGlite such a call would wait
 * forever for the transaction it is part of; on Postgres it would silently run outside it.
 */
class TransactionScope {
  readonly #active = new AsyncLocalStorage<true>();

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#active.run(true, fn);
  }

  assertOutside(what: string): void {
    if (this.#active.getStore()) {
      throw new Error(`${what} called on the Db inside one of its transactions: use the tx handle passed to the callback`);
    }
  }
}

/** A tx handle that refuses use after its transaction ended (a leaked handle is a bug, not a query). */
function guardedHandle(target: ScriptableSql, isOpen: () => boolean): ScriptableSql {
  const check = () => {
    if (!isOpen()) throw new Error('transaction handle used after its transaction ended');
  };
  return {
    query: async (text, params) => {
      check();
      return target.query(text, params);
    },
    exec: async (script) => {
      check();
      return target.exec(script);
    },
  };
}

class PostgresDb implements Db {
  readonly flavor = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #scope = new TransactionScope();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }> {
    this.#scope.assertOutside('query');
    const result = await this.#pool.query(text, params);
    return { rows: result.rows as T[] };
  }

  async exec(script: string): Promise<void> {
    this.#scope.assertOutside('exec');
    // Without parameters node-postgres uses the simple protocol, which runs several statements.
    await this.#pool.query(script);
  }

  async transaction<T>(fn: (tx: ScriptableSql) => Promise<T>): Promise<T> {
    this.#scope.assertOutside('transaction');
    const client = await this.#pool.connect();
    let open = true;
    const tx = guardedHandle(
      {
        query: async <R>(text: string, params?: unknown[]) => ({ rows: (await client.query(text, params)).rows as R[] }),
        exec: async (script: string) => void (await client.query(script)),
      },
      () => open,
    );
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await this.#scope.run(() => fn(tx));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is in an unknown state: destroy it rather than return it to the pool.
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      open = false;
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * PGlite is one connection. Its `query` and `transaction` share one mutex, so a query issued
 * by someone else while a transaction runs waits for the whole transaction instead of
 * slipping into it; that gives the same isolation a pool gives on a server.
 */
class PgliteDb implements Db {
  readonly flavor = 'pglite' as const;
  readonly #pg: PGlite;
  readonly #scope = new TransactionScope();

  constructor(pglite: PGlite) {
    this.#pg = pglite;
  }

  async query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }> {
    this.#scope.assertOutside('query');
    const result = await this.#pg.query<T>(text, params);
    return { rows: result.rows };
  }

  async exec(script: string): Promise<void> {
    this.#scope.assertOutside('exec');
    await this.#pg.exec(script);
  }

  async transaction<T>(fn: (tx: ScriptableSql) => Promise<T>): Promise<T> {
    this.#scope.assertOutside('transaction');
    // PGlite itself issues BEGIN, then COMMIT or (on a throw) ROLLBACK.
    return this.#pg.transaction(async (pgTx) => {
      let open = true;
      const tx = guardedHandle(
        {
          query: async <R>(text: string, params?: unknown[]) => ({ rows: (await pgTx.query<R>(text, params)).rows }),
          exec: async (script: string) => void (await pgTx.exec(script)),
        },
        () => open,
      );
      try {
        return await this.#scope.run(() => fn(tx));
      } finally {
        open = false;
      }
    });
  }

  async close(): Promise<void> {
    if (!this.#pg.closed) await this.#pg.close();
  }
}
