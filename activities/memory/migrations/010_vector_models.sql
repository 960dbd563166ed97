-- Vectors are tagged with the model that made them, and a search compares only vectors of one model.
--
-- Each model's vectors live in a table of their own (pgvector: `chunk_vectors__<model slug>_<hash>`, or the
-- float8[] fallback's `chunk_vectors_float__…`; see activities/memory/vector-spaces.ts), each row carrying
-- its `model`. `vector_spaces` says which model's table searches use (exactly one `active`) and which one a
-- re-embed workflow (`reembed:<model>`) is filling beside it (`building`). When the new table is complete it
-- becomes active in one transaction and the old one is dropped: the index is never mixed.

CREATE TABLE vector_spaces (
  model        text PRIMARY KEY,
  dimensions   integer NOT NULL CHECK (dimensions > 0),
  state        text NOT NULL CHECK (state IN ('building', 'active')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz
);
-- at most one active space
CREATE UNIQUE INDEX vector_spaces_one_active ON vector_spaces ((state)) WHERE state = 'active';

-- Vectors stored before this migration came from the hashing embedder, the only one there was; their
-- tables keep their names (chunk_vectors, chunk_vectors_float) as that model's tables.
ALTER TABLE IF EXISTS chunk_vectors ADD COLUMN IF NOT EXISTS model text NOT NULL DEFAULT 'local-hashing-ngram3-5-d256';
ALTER TABLE IF EXISTS chunk_vectors ALTER COLUMN model DROP DEFAULT;
ALTER TABLE IF EXISTS chunk_vectors_float ADD COLUMN IF NOT EXISTS model text NOT NULL DEFAULT 'local-hashing-ngram3-5-d256';
ALTER TABLE IF EXISTS chunk_vectors_float ALTER COLUMN model DROP DEFAULT;
INSERT INTO vector_spaces (model, dimensions, state, activated_at)
SELECT 'local-hashing-ngram3-5-d256', 256, 'active', now()
WHERE to_regclass('chunk_vectors') IS NOT NULL OR to_regclass('chunk_vectors_float') IS NOT NULL;
