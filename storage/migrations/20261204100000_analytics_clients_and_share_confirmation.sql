-- migrate:up
-- The candidate passed the device check (camera, microphone, connectivity), and the client they
-- used: browser family, operating system and device type, parsed from the user agent when the
-- check passed and when each streamed attempt started. Only these coarse names are kept, never
-- the user agent string itself (data minimisation): they feed the technical failure rate per
-- browser and device.
ALTER TABLE candidates
  ADD COLUMN devices_checked_at timestamptz,
  ADD COLUMN client_browser text CHECK (length(client_browser) <= 100),
  ADD COLUMN client_os text CHECK (length(client_os) <= 100),
  ADD COLUMN client_device text CHECK (client_device IN ('desktop', 'mobile', 'tablet', 'other'));
ALTER TABLE answers
  ADD COLUMN client_browser text CHECK (length(client_browser) <= 100),
  ADD COLUMN client_os text CHECK (length(client_os) <= 100),
  ADD COLUMN client_device text CHECK (client_device IN ('desktop', 'mobile', 'tablet', 'other'));

-- A share link limited to a named email shows nothing until its guest confirmed the address
-- through a link emailed to it. Each request is a row: the emailed code and, once confirmed,
-- the grant the guest's browser holds (a cookie), both stored as SHA-256 hashes.
ALTER TABLE share_links ADD COLUMN email text CHECK (length(email) BETWEEN 3 AND 254);
CREATE TABLE share_confirmations (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  share_id uuid NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL UNIQUE,
  grant_hash bytea UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  confirmed_at timestamptz
);
CREATE INDEX share_confirmations_share ON share_confirmations (share_id, created_at);
SELECT fairview_tenant_table('share_confirmations');

ALTER TABLE share_accesses DROP CONSTRAINT share_accesses_action_check;
ALTER TABLE share_accesses ADD CONSTRAINT share_accesses_action_check CHECK (action IN
  ('view', 'watch', 'rate', 'comment', 'confirmation_sent', 'wrong_email', 'confirmed'));

-- migrate:down
DELETE FROM share_accesses WHERE action IN ('confirmation_sent', 'wrong_email', 'confirmed');
ALTER TABLE share_accesses DROP CONSTRAINT share_accesses_action_check;
ALTER TABLE share_accesses ADD CONSTRAINT share_accesses_action_check
  CHECK (action IN ('view', 'watch', 'rate', 'comment'));
DROP TABLE share_confirmations;
ALTER TABLE share_links DROP COLUMN email;
ALTER TABLE answers DROP COLUMN client_browser, DROP COLUMN client_os, DROP COLUMN client_device;
ALTER TABLE candidates DROP COLUMN devices_checked_at, DROP COLUMN client_browser,
  DROP COLUMN client_os, DROP COLUMN client_device;
