-- migrate:up
-- In-app notifications: one row per event and member (at least once delivery, stored once).
-- `data` holds what the web app needs to word it in the reader's language.
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_id text NOT NULL,
  kind text NOT NULL
    CHECK (kind IN ('candidate_completed', 'evaluation_ready', 'candidate_decided', 'invitation_failed')),
  candidate_id uuid REFERENCES candidates (id) ON DELETE CASCADE,
  data jsonb NOT NULL DEFAULT '{}',
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_inbox ON notifications (organization_id, user_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (organization_id, user_id) WHERE read_at IS NULL;
SELECT fairview_tenant_table('notifications');

-- Members who hear about an interview's candidates (bell and team emails). The creator follows
-- from the start; anyone who can see candidates may follow or stop.
CREATE TABLE interview_followers (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  interview_id uuid NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (interview_id, user_id)
);
SELECT fairview_tenant_table('interview_followers');
INSERT INTO interview_followers (organization_id, interview_id, user_id)
  SELECT organization_id, id, created_by FROM interviews WHERE created_by IS NOT NULL;

-- Team emails a member turned off (per organization): e.g. {candidate_completed_team}.
ALTER TABLE memberships ADD COLUMN email_opt_out text[] NOT NULL DEFAULT '{}';

-- The invitation email of a candidate (the newest one: a reminder replaces it), so its delivery
-- state and SMTP error show on the candidate; and the one-click unsubscribe address of an email.
ALTER TABLE candidates ADD COLUMN invitation_email_id uuid REFERENCES email_deliveries (id) ON DELETE SET NULL;
ALTER TABLE email_deliveries ADD COLUMN unsubscribe_url text;

-- migrate:down
ALTER TABLE email_deliveries DROP COLUMN unsubscribe_url;
ALTER TABLE candidates DROP COLUMN invitation_email_id;
ALTER TABLE memberships DROP COLUMN email_opt_out;
DROP TABLE interview_followers;
DROP TABLE notifications;
