-- The relational core. Plain PostgreSQL only (runs on PGlite and on any server, with or
-- without pgvector): vectors live behind the VectorIndex port, which creates its own tables.
--
-- Person ids are lower-cased emails (see schemas/entities.ts). Columns that hold a person id
-- carry no foreign key on purpose: connectors see people (authors, managers, speakers) before
-- or without the directory that describes them, and a missing row must not reject a file.

CREATE TABLE people (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  title         text,
  team          text,
  manager_id    text,
  timezone      text NOT NULL DEFAULT 'UTC',
  working_hours jsonb NOT NULL DEFAULT '{"start":"09:00","end":"17:00"}',
  opted_in      boolean NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identities (
  person_id   text NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  provider    text NOT NULL,
  external_id text NOT NULL,
  UNIQUE (provider, external_id)
);
CREATE INDEX identities_person_idx ON identities (person_id);

CREATE TABLE sources (
  id         text PRIMARY KEY,
  kind       text NOT NULL,
  config     jsonb NOT NULL DEFAULT '{}',
  cursor     jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- What each file of a source produced last time, for incremental sync.
CREATE TABLE source_files (
  source_id  text NOT NULL,
  path       text NOT NULL,
  file_hash  text NOT NULL,
  item_ids   text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, path)
);

CREATE TABLE items (
  id           text PRIMARY KEY,
  source_id    text NOT NULL,
  external_id  text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('message', 'transcript', 'email', 'event', 'doc')),
  title        text,
  body         text NOT NULL,
  author_id    text,
  occurred_at  timestamptz NOT NULL,
  thread_id    text,
  locator      text NOT NULL,
  access       text[] NOT NULL,
  recipients   text[] NOT NULL DEFAULT '{}',
  meta         jsonb NOT NULL DEFAULT '{}',
  content_hash text NOT NULL,
  -- true when the item came with segments: its chunks ARE its segments (see chunking.ts)
  has_segments boolean NOT NULL DEFAULT false,
  -- the file (unit) of the source that produced it; lets a re-parse remove what vanished
  source_path  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, external_id)
);
CREATE INDEX items_access_idx ON items USING gin (access);
CREATE INDEX items_author_idx ON items (author_id, occurred_at DESC);
CREATE INDEX items_thread_idx ON items (thread_id);
CREATE INDEX items_source_path_idx ON items (source_id, source_path);

CREATE TABLE chunks (
  id         text PRIMARY KEY, -- `${item_id}#${position}`
  item_id    text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
  position   integer NOT NULL CHECK (position >= 0),
  text       text NOT NULL,
  speaker_id text,
  start_ms   integer,
  tsv        tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED,
  UNIQUE (item_id, position)
);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

CREATE TABLE meetings (
  id                   text PRIMARY KEY,
  calendar_id          text NOT NULL,
  event_id             text NOT NULL,
  series_id            text,
  title                text NOT NULL,
  description          text NOT NULL DEFAULT '',
  starts_at            timestamptz NOT NULL,
  ends_at              timestamptz NOT NULL,
  organizer_id         text,
  attendee_ids         text[] NOT NULL DEFAULT '{}',
  outside_opt_in_count integer NOT NULL DEFAULT 0,
  status               text NOT NULL CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
  location             text,
  source_id            text NOT NULL,
  item_id              text,
  source_path          text,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_starts_idx ON meetings (starts_at);
CREATE INDEX meetings_series_idx ON meetings (series_id, starts_at DESC);
CREATE INDEX meetings_source_path_idx ON meetings (source_id, source_path);

CREATE TABLE briefs (
  id          text PRIMARY KEY,
  meeting_id  text NOT NULL,
  recipients  text[] NOT NULL,
  sections    jsonb NOT NULL,
  citations   jsonb NOT NULL,
  markdown    text NOT NULL,
  workflow_id text NOT NULL,
  run_id      text NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX briefs_meeting_idx ON briefs (meeting_id, created_at DESC);

-- Which items (and positions) an artifact was built from, and by which workflow run.
CREATE TABLE lineage (
  id            bigserial PRIMARY KEY,
  artifact_type text NOT NULL CHECK (artifact_type IN ('brief', 'decision', 'notification')),
  artifact_id   text NOT NULL,
  item_id       text NOT NULL,
  position      integer,
  workflow_id   text NOT NULL,
  run_id        text NOT NULL,
  activity      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lineage_artifact_idx ON lineage (artifact_id);
CREATE INDEX lineage_item_idx ON lineage (item_id);

-- Files a connector refused; the row goes away when the file later parses.
CREATE TABLE quarantine (
  source_id  text NOT NULL,
  path       text NOT NULL,
  reason     text NOT NULL,
  file_hash  text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, path)
);
