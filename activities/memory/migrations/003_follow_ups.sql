-- Follow-ups of open decisions and action items (workflow followUpUnresolvedDecision), for inspection:
-- one row per subject with where its cadence stands, and one row per message step it sent.
-- Temporal holds the live state; these tables are what a person (or a later run) can read without it.

CREATE TABLE follow_ups (
  subject_kind  text NOT NULL CHECK (subject_kind IN ('decision', 'action')),
  subject_id    text NOT NULL,
  workflow_id   text NOT NULL,
  run_id        text,
  status        text NOT NULL CHECK (status IN ('open', 'done', 'resolved', 'stale', 'missing', 'already-closed')),
  owner_id      text,
  decider_id    text,
  -- the reassignment count: message artifacts are numbered by it
  cycle         integer NOT NULL DEFAULT 1,
  next_step     text CHECK (next_step IN ('nudge', 'escalate', 'stale')),
  next_due_at   timestamptz,
  snoozed_until timestamptz,
  reason        text,
  opened_at     timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  closed_at     timestamptz,
  PRIMARY KEY (subject_kind, subject_id)
);
CREATE INDEX follow_ups_open_due_idx ON follow_ups (next_due_at) WHERE status = 'open';

-- Each message step exactly once: the artifact id is the outbox's idempotency key and this table's key.
CREATE TABLE follow_up_steps (
  artifact_id  text PRIMARY KEY,
  subject_kind text NOT NULL,
  subject_id   text NOT NULL,
  step         text NOT NULL CHECK (step IN ('nudge', 'escalate', 'stale')),
  cycle        integer NOT NULL,
  recipients   text[] NOT NULL,
  -- why this step went to whom, e.g. an escalation in place of a nudge to an owner outside the opt-in
  note         text,
  due_at       timestamptz NOT NULL,
  sent_at      timestamptz NOT NULL,
  workflow_id  text NOT NULL,
  run_id       text NOT NULL,
  FOREIGN KEY (subject_kind, subject_id) REFERENCES follow_ups (subject_kind, subject_id) ON DELETE CASCADE
);
CREATE INDEX follow_up_steps_subject_idx ON follow_up_steps (subject_kind, subject_id, cycle);
