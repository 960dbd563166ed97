-- Push-notification channels of the providers that call our webhooks: a Google Calendar watch channel, or a
-- Microsoft Graph subscription. A notification names its channel; the channel names the source to sync. Only a
-- sha256 of the channel's secret (Google's channel token, Graph's clientState) is kept, compared in constant time.
CREATE TABLE webhook_channels (
  provider      text NOT NULL CHECK (provider IN ('google', 'microsoft')),
  -- Google: X-Goog-Channel-ID; Graph: subscriptionId
  channel_id    text NOT NULL,
  source_id     text NOT NULL,
  secret_hash   bytea NOT NULL,
  -- Google: X-Goog-Resource-ID (stable id of the watched resource); Graph: the subscription's resource path
  resource_id   text,
  expires_at    timestamptz,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reauthorization_required', 'removed')),
  -- Google numbers its messages; the highest one seen, for inspection
  last_message  bigint,
  last_event_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, channel_id)
);
CREATE INDEX webhook_channels_source_idx ON webhook_channels (source_id);
