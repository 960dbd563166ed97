-- API sources (Google Workspace, Microsoft 365, Slack): who owns a source and whether it runs, its per-stream
-- cursors, the mark of the last full listing each unit was seen in (mark and sweep), and its encrypted secret.

-- active: synced on request and schedule; paused: refused until `myc sources resume` (credentials refused, …)
ALTER TABLE sources ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused'));
ALTER TABLE sources ADD COLUMN paused_reason text;
ALTER TABLE sources ADD COLUMN paused_at timestamptz;
-- the person told when the source needs attention (a person id; no foreign key, like every person column)
ALTER TABLE sources ADD COLUMN owner_id text;

-- One row per stream of a source (`calendar:<id>`, `gmail:<mailbox>`, `channels`, …): its cursor, committed only
-- after the page it follows is stored, and the full listing in progress (or finished and not yet swept).
CREATE TABLE source_streams (
  source_id          text NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  stream             text NOT NULL,
  cursor             jsonb,
  full_pass_id       text,
  -- the full listing ended (its last page is stored): units of the stream not seen in it are to be swept
  full_pass_complete boolean NOT NULL DEFAULT false,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, stream)
);

-- the full listing (source_streams.full_pass_id) that last listed this unit
ALTER TABLE source_files ADD COLUMN seen_pass text;

-- A source's credentials, AES-256-GCM under MYCELIUM_SECRET_KEY (never stored): the source id is the additional
-- authenticated data, so a ciphertext moved to another source does not decrypt; key_id (a hash prefix of the key)
-- tells "encrypted with another key" apart from "tampered with".
CREATE TABLE source_secrets (
  source_id  text PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
  key_id     text NOT NULL,
  iv         bytea NOT NULL,
  ciphertext bytea NOT NULL,
  auth_tag   bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
