-- migrate:up
-- A delivery (email or webhook) is claimed in a transaction of its own before the network call
-- and its outcome is recorded in another: claimed_at marks it as being worked on, so no lock is
-- held across SMTP or HTTP. A claim older than the lease (a process that died mid-call) lets the
-- row be claimed again.
ALTER TABLE email_deliveries ADD COLUMN claimed_at timestamptz;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_at timestamptz;
-- Deliveries in flight per endpoint (the per-endpoint concurrency limit counts them).
CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries (endpoint_id)
  WHERE claimed_at IS NOT NULL;

-- migrate:down
DROP INDEX webhook_deliveries_in_flight;
ALTER TABLE webhook_deliveries DROP COLUMN claimed_at;
ALTER TABLE email_deliveries DROP COLUMN claimed_at;
