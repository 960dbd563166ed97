-- Institutional memory: decisions, action items and open questions extracted from items, each with
-- the exact spans it came from. Plain PostgreSQL (PGlite and any server, no extension needed).
--
-- Ids are deterministic (sha-based, from the span a thing was first found in). When a later source
-- turns out to state the same decision (chat, then the meeting), the later id becomes an ALIAS of the
-- earlier one: re-extracting either source lands on the same row.
--
-- Each *_sources row records which extraction (via_item_id: the item being extracted) contributed it,
-- with the access list of that contribution, so re-extracting an item replaces exactly its own
-- contributions and the thing's access is the intersection over all of them.

CREATE TABLE decisions (
  id               text PRIMARY KEY,
  statement        text NOT NULL,
  rationale        text,
  decider_id       text,
  owner_id         text,
  status           text NOT NULL CHECK (status IN ('proposed', 'agreed', 'rejected', 'superseded', 'done')),
  -- who set the status: extraction may only change what extraction set
  status_origin    text NOT NULL DEFAULT 'extracted' CHECK (status_origin IN ('extracted', 'manual', 'superseded')),
  -- when the evidence for the status was said (a later agreement beats an earlier proposal)
  status_at        timestamptz NOT NULL,
  owner_origin     text NOT NULL DEFAULT 'extracted' CHECK (owner_origin IN ('extracted', 'manual')),
  topic            text NOT NULL,
  -- normalized content terms of topic and statement, for merging, supersession and follow-up matching
  topic_terms      text[] NOT NULL DEFAULT '{}',
  terms            text[] NOT NULL DEFAULT '{}',
  confidence       double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  decided_at       timestamptz NOT NULL,
  supersedes_id    text,
  superseded_by_id text,
  -- why it was linked (merges and supersession are explained, not just done)
  supersede_reason text,
  access           text[] NOT NULL,
  extractor        text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_access_idx ON decisions USING gin (access);
CREATE INDEX decisions_topic_terms_idx ON decisions USING gin (topic_terms);
CREATE INDEX decisions_decided_idx ON decisions (decided_at DESC);
CREATE INDEX decisions_owner_idx ON decisions (owner_id);

CREATE TABLE actions (
  id            text PRIMARY KEY,
  what          text NOT NULL,
  owner_id      text,
  owner_origin  text NOT NULL DEFAULT 'extracted' CHECK (owner_origin IN ('extracted', 'manual')),
  due_at        timestamptz,
  due_text      text,
  due_origin    text NOT NULL DEFAULT 'extracted' CHECK (due_origin IN ('extracted', 'manual')),
  status        text NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
  status_origin text NOT NULL DEFAULT 'extracted' CHECK (status_origin IN ('extracted', 'manual')),
  decision_id   text,
  terms         text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL,
  access        text[] NOT NULL,
  extractor     text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX actions_access_idx ON actions USING gin (access);
CREATE INDEX actions_owner_idx ON actions (owner_id, due_at);
CREATE INDEX actions_decision_idx ON actions (decision_id);

CREATE TABLE questions (
  id              text PRIMARY KEY,
  question        text NOT NULL,
  asked_by_id     text,
  asked_of_ids    text[] NOT NULL DEFAULT '{}',
  asked_at        timestamptz NOT NULL,
  answered        boolean NOT NULL DEFAULT false,
  answer_item_id  text,
  answer_position integer,
  answer_quote    text,
  answer_via      text,
  access          text[] NOT NULL,
  extractor       text NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX questions_access_idx ON questions USING gin (access);
CREATE INDEX questions_asked_of_idx ON questions USING gin (asked_of_ids);

CREATE TABLE decision_sources (
  decision_id text NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
  item_id     text NOT NULL,
  position    integer NOT NULL CHECK (position >= 0),
  quote       text NOT NULL,
  via_item_id text NOT NULL,
  access      text[] NOT NULL,
  -- order inside the extraction that contributed it (0 = the statement itself)
  seq         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (decision_id, item_id, position, via_item_id)
);
CREATE INDEX decision_sources_via_idx ON decision_sources (via_item_id);
CREATE INDEX decision_sources_item_idx ON decision_sources (item_id, position);

CREATE TABLE action_sources (
  action_id   text NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
  item_id     text NOT NULL,
  position    integer NOT NULL CHECK (position >= 0),
  quote       text NOT NULL,
  via_item_id text NOT NULL,
  access      text[] NOT NULL,
  -- order inside the extraction that contributed it (0 = the statement itself)
  seq         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (action_id, item_id, position, via_item_id)
);
CREATE INDEX action_sources_via_idx ON action_sources (via_item_id);
CREATE INDEX action_sources_item_idx ON action_sources (item_id, position);

CREATE TABLE question_sources (
  question_id text NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
  item_id     text NOT NULL,
  position    integer NOT NULL CHECK (position >= 0),
  quote       text NOT NULL,
  via_item_id text NOT NULL,
  access      text[] NOT NULL,
  -- order inside the extraction that contributed it (0 = the statement itself)
  seq         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (question_id, item_id, position, via_item_id)
);
CREATE INDEX question_sources_via_idx ON question_sources (via_item_id);

-- An extracted id that turned out to be the same thing as an existing one (merging across sources).
CREATE TABLE memory_aliases (
  kind         text NOT NULL CHECK (kind IN ('decision', 'action', 'question')),
  alias_id     text NOT NULL,
  canonical_id text NOT NULL,
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, alias_id)
);
CREATE INDEX memory_aliases_canonical_idx ON memory_aliases (kind, canonical_id);

-- A later message or turn showing that an action or decision was carried out.
CREATE TABLE completion_evidence (
  subject_kind text NOT NULL CHECK (subject_kind IN ('decision', 'action')),
  subject_id   text NOT NULL,
  item_id      text NOT NULL,
  position     integer NOT NULL CHECK (position >= 0),
  quote        text NOT NULL,
  author_id    text,
  occurred_at  timestamptz NOT NULL,
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject_kind, subject_id, item_id, position)
);
CREATE INDEX completion_evidence_item_idx ON completion_evidence (item_id);

-- Which items were extracted, by which extractor, from which content: unchanged means nothing to do.
CREATE TABLE extractions (
  item_id      text PRIMARY KEY,
  extractor    text NOT NULL,
  content_hash text NOT NULL,
  decisions    integer NOT NULL DEFAULT 0,
  actions      integer NOT NULL DEFAULT 0,
  questions    integer NOT NULL DEFAULT 0,
  extracted_at timestamptz NOT NULL DEFAULT now()
);
