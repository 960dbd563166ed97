-- The coordination graph's communication layer: one row per (item, from, to, kind), derived from every stored
-- item by ingest, so every sync keeps it current and a deleted item takes its edges with it. Edge weights are
-- decayed at read time (activities/memory/coordination.ts), so nothing here goes stale as time passes.
CREATE TABLE interactions (
  item_id     text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
  from_id     text NOT NULL,
  to_id       text NOT NULL,
  -- emailed (To/Cc), messaged (chat recipients / mentions), met (attendees of one meeting or transcript)
  kind        text NOT NULL,
  occurred_at timestamptz NOT NULL,
  thread_id   text,
  PRIMARY KEY (item_id, from_id, to_id, kind)
);
CREATE INDEX interactions_from_idx ON interactions (from_id, occurred_at DESC);
CREATE INDEX interactions_to_idx ON interactions (to_id, occurred_at DESC);
CREATE INDEX interactions_thread_idx ON interactions (thread_id) WHERE thread_id IS NOT NULL;

-- items stored before this migration: their authored edges (meetings' pairwise edges come with their next sync)
INSERT INTO interactions (item_id, from_id, to_id, kind, occurred_at, thread_id)
SELECT i.id, i.author_id, r.to_id,
       CASE i.kind WHEN 'email' THEN 'emailed' WHEN 'message' THEN 'messaged' ELSE 'met' END,
       i.occurred_at, i.thread_id
FROM items i CROSS JOIN LATERAL unnest(i.recipients) AS r(to_id)
WHERE i.author_id IS NOT NULL AND r.to_id <> i.author_id
ON CONFLICT DO NOTHING;
