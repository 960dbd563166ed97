-- Notifications (notifyStakeholders plans them, each person's agent `person:<personId>` delivers them), their
-- deliveries (exactly once: recorded before the send, confirmed after), what each person set about their attention,
-- and what they answered through which medium. The sources of a notification are in `lineage` (artifact_type
-- 'notification').

CREATE TABLE notifications (
  -- deterministic from (workflow id, recipient, content): a retried or replayed planning activity records nothing twice
  id              text PRIMARY KEY,
  topic_key       text NOT NULL,
  recipient_id    text NOT NULL,
  role            text NOT NULL CHECK (role IN ('decide', 'consult', 'inform')),
  role_reasons    jsonb NOT NULL DEFAULT '[]',
  medium          text NOT NULL CHECK (medium IN ('digest', 'doc', 'chat_dm', 'chat_channel', 'email', 'call')),
  medium_reason   text NOT NULL,
  channel         text NOT NULL CHECK (channel IN ('slow', 'fast', 'fastest')),
  urgency         text NOT NULL CHECK (urgency IN ('low', 'normal', 'high', 'critical')),
  subject         text NOT NULL,
  markdown        text NOT NULL,
  subject_kind    text NOT NULL,
  subject_id      text,
  -- medium extras: the chat channel to post in, the call's slot and attendees
  target          jsonb NOT NULL DEFAULT '{}',
  workflow_id     text NOT NULL,
  run_id          text NOT NULL,
  -- the key every send of this notification carries (ascii, at most 64 characters)
  idempotency_key text NOT NULL UNIQUE,
  deliver_at      timestamptz,
  status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'sending', 'sent')),
  -- the delivery that carried it: its own key, or the digest's
  delivery_key    text,
  provider_ref    text,
  sent_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_recipient_idx ON notifications (recipient_id, created_at DESC);
CREATE INDEX notifications_topic_idx ON notifications (topic_key);

-- One row per send, keyed by its idempotency key: inserted ('sending') before the provider is called, confirmed
-- ('sent', with the provider's reference) after. A row left 'sending' is a send that may or may not have happened:
-- the retry asks the provider (findSent) before sending again.
CREATE TABLE deliveries (
  idempotency_key text PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('notification', 'digest')),
  person_id       text NOT NULL,
  medium          text NOT NULL,
  channel_name    text NOT NULL,
  notification_ids text[] NOT NULL,
  status          text NOT NULL CHECK (status IN ('sending', 'sent')),
  attempts        integer NOT NULL DEFAULT 1,
  provider_ref    text,
  -- true when a retry found the earlier send at the provider instead of sending again
  found_sent      boolean NOT NULL DEFAULT false,
  started_at      timestamptz NOT NULL,
  sent_at         timestamptz
);
CREATE INDEX deliveries_person_idx ON deliveries (person_id, started_at DESC);

-- What a person set about their attention; timezone and working hours stay in `people`.
CREATE TABLE person_settings (
  person_id         text PRIMARY KEY,
  -- local "HH:MM" – "HH:MM"; may wrap past midnight
  quiet_start       text,
  quiet_end         text,
  dnd_until         timestamptz,
  preferred_mediums text[] NOT NULL DEFAULT '{}',
  avoided_mediums   text[] NOT NULL DEFAULT '{}',
  -- interruptions per local day; null = the configured default
  attention_budget  integer CHECK (attention_budget IS NULL OR attention_budget >= 0),
  -- local "HH:MM"; null = the start of working hours
  digest_time       text,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_responses (
  id              bigserial PRIMARY KEY,
  notification_id text NOT NULL,
  person_id       text NOT NULL,
  medium          text NOT NULL CHECK (medium IN ('digest', 'doc', 'chat_dm', 'chat_channel', 'email', 'call')),
  responded_at    timestamptz NOT NULL,
  note            text,
  UNIQUE (notification_id, person_id, medium, responded_at)
);
CREATE INDEX notification_responses_person_idx ON notification_responses (person_id, responded_at DESC);
