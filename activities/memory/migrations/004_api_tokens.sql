-- API tokens: each bound to one person, with a scope. Only a scrypt hash of the secret is kept;
-- the token itself is shown once, when it is created.
CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  person_id    text NOT NULL,
  scope        text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  name         text NOT NULL DEFAULT '',
  salt         bytea NOT NULL,
  hash         bytea NOT NULL,
  -- the local owner's token (written under MYCELIUM_HOME by the service); at most one is live
  owner        boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_person_idx ON api_tokens (person_id);
