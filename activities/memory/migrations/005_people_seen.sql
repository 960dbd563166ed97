-- People seen in ingested data whose content was held back (not in the directory, or not opted in).
-- Identity only, never content: who, the name the data showed, where and when they were first and
-- last seen. It is what lets `myc people` list them and an opt-in bring their content in.
CREATE TABLE people_seen (
  id                text PRIMARY KEY, -- lower-cased email
  name              text,             -- the display name as last seen
  first_seen_at     timestamptz NOT NULL,
  first_seen_source text NOT NULL,
  first_seen_path   text NOT NULL,
  last_seen_at      timestamptz NOT NULL,
  last_seen_source  text NOT NULL,
  last_seen_path    text NOT NULL
);

-- How much each file held back from each author at its latest parse: replaced whole per file, so
-- counts never double on a re-read. `person_id` is an email, or `name:<display name>` when the
-- data gave no email (such an author can only be reported, not opted in by id).
CREATE TABLE held_back (
  source_id text NOT NULL,
  path      text NOT NULL,
  person_id text NOT NULL,
  name      text,
  items     integer NOT NULL CHECK (items > 0),
  PRIMARY KEY (source_id, path, person_id)
);
CREATE INDEX held_back_person_idx ON held_back (person_id);
