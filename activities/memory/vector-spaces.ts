/**
 * Which model's vectors searches use (`vector_spaces`, migration 010), and the switch from one model
 * to another without ever mixing them:
 *
 *   1. a process whose embedder makes model M registers M. If nothing is active, or the store has no
 *      chunks yet (nothing to re-embed), M becomes active at once. Otherwise M is `building`: its table
 *      fills beside the active one (new ingests write to it; the re-embed workflow `reembed:<M>` pages
 *      through every chunk), while searches stay on the active model, with that model's embedder.
 *   2. when the re-embed has covered every chunk, M becomes active and the old model retired in one
 *      transaction; the old model's tables are then dropped.
 *
 * A model that is registered again while active drops any abandoned `building` space (the user
 * switched back before a re-embed finished).
 */
import type { Db, Sql } from './ports';
import { vectorTableName } from './vectorpoints';

export type SpaceState = 'building' | 'active';

export interface SpaceStatus {
  model: string;
  state: SpaceState;
  /** the model searches use now */
  active: string;
}

const LOCK_KEY = 727_001_003;

/** Registers the embedder's model; see the module doc for what it becomes. */
export async function registerVectorSpace(db: Db, model: string, dimensions: number): Promise<SpaceStatus> {
  const dropped: string[] = [];
  const status = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const spaces = await allSpaces(tx);
    const mine = spaces.find((s) => s.model === model);
    const active = spaces.find((s) => s.state === 'active');
    if (mine && mine.dimensions !== dimensions) {
      throw new Error(`vector model ${model} is registered with ${mine.dimensions} dimensions, the embedder makes ${dimensions}`);
    }
    if (active?.model === model) {
      // switched back while another model was building: that re-embed is abandoned
      for (const s of spaces.filter((x) => x.state === 'building')) {
        await tx.query('DELETE FROM vector_spaces WHERE model = $1', [s.model]);
        dropped.push(s.model);
      }
      return { model, state: 'active' as const, active: model };
    }
    const { rows } = await tx.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM chunks) AS any');
    const nothingToReembed = !rows[0]?.any;
    if (!active || nothingToReembed) {
      if (active) {
        await tx.query('DELETE FROM vector_spaces WHERE model = $1', [active.model]);
        dropped.push(active.model);
      }
      await tx.query(
        `INSERT INTO vector_spaces (model, dimensions, state, activated_at) VALUES ($1, $2, 'active', now())
         ON CONFLICT (model) DO UPDATE SET state = 'active', activated_at = now()`,
        [model, dimensions],
      );
      return { model, state: 'active' as const, active: model };
    }
    await tx.query(`INSERT INTO vector_spaces (model, dimensions, state) VALUES ($1, $2, 'building') ON CONFLICT (model) DO NOTHING`, [model, dimensions]);
    return { model, state: 'building' as const, active: active.model };
  });
  for (const old of dropped) await dropVectorTables(db, old);
  return status;
}

/** The model searches use now, if any is registered. */
export async function activeVectorModel(sql: Sql): Promise<string | undefined> {
  const { rows } = await sql.query<{ model: string }>(`SELECT model FROM vector_spaces WHERE state = 'active'`);
  return rows[0]?.model;
}

export async function vectorSpaceState(sql: Sql, model: string): Promise<SpaceState | undefined> {
  const { rows } = await sql.query<{ state: SpaceState }>('SELECT state FROM vector_spaces WHERE model = $1', [model]);
  return rows[0]?.state;
}

/**
 * Makes a fully re-embedded model the active one and drops the previous model's vectors.
 * `activated: false` when the model is no longer building (abandoned, or already activated by an
 * earlier attempt of the same activity: then `previous` is undefined and nothing is dropped twice).
 */
export async function activateVectorSpace(db: Db, model: string): Promise<{ activated: boolean; previous?: string }> {
  const result = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const spaces = await allSpaces(tx);
    const mine = spaces.find((s) => s.model === model);
    if (mine?.state !== 'building') return { activated: mine?.state === 'active' };
    const previous = spaces.find((s) => s.state === 'active')?.model;
    if (previous) await tx.query('DELETE FROM vector_spaces WHERE model = $1', [previous]);
    await tx.query(`UPDATE vector_spaces SET state = 'active', activated_at = now() WHERE model = $1`, [model]);
    return { activated: true, ...(previous ? { previous } : {}) };
  });
  if (result.previous) await dropVectorTables(db, result.previous);
  return result;
}

/** Drops a model's vector tables (pgvector's and the float8[] fallback's, whichever exist). */
export async function dropVectorTables(db: Db, model: string): Promise<void> {
  const tables = [vectorTableName('chunk_vectors', model), vectorTableName('chunk_vectors_float', model)];
  await db.exec(tables.map((t) => `DROP TABLE IF EXISTS ${t};`).join('\n'));
}

async function allSpaces(sql: Sql): Promise<{ model: string; dimensions: number; state: SpaceState }[]> {
  const { rows } = await sql.query<{ model: string; dimensions: number; state: SpaceState }>(
    'SELECT model, dimensions, state FROM vector_spaces ORDER BY model FOR UPDATE',
  );
  return rows.map((r) => ({ ...r, dimensions: Number(r.dimensions) }));
}
