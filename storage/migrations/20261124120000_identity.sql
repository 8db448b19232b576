-- migrate:up
CREATE EXTENSION IF NOT EXISTS citext;

-- The application role: connections switch to it per transaction so Row-Level Security
-- applies even when they log in as the tables' owner or a superuser. Roles belong to the
-- whole cluster, so databases migrated at the same moment race to create it: the loser of
-- that race finds it made (duplicate_object, or unique_violation while the winner commits).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fairview_app') THEN
    CREATE ROLE fairview_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;

-- True when the current transaction may see rows of organization `org`:
-- the request's organization, or a platform-level job that explicitly bypasses tenancy.
CREATE FUNCTION fairview_tenant_visible(org uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT current_setting('fairview.bypass_rls', true) = 'on'
      OR org = nullif(current_setting('fairview.organization_id', true), '')::uuid
$$;

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'ru')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  suspended_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash text NOT NULL,
  locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'ru')),
  email_verified_at timestamptz,
  -- Sessions remember this; changing the password ends every other session.
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'recruiter', 'reviewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE team_invitations (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email citext NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'recruiter', 'reviewer')),
  token_hash bytea NOT NULL UNIQUE,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_invitations_org ON team_invitations (organization_id, created_at DESC);

-- Single-use, expiring tokens sent by email (verification, password reset); only hashes stored.
CREATE TABLE auth_tokens (
  token_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id, purpose);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC);

-- Platform operators' keys for the admin API (not tenant-owned: they span organizations).
CREATE TABLE operator_keys (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  actor_api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  action text NOT NULL,
  target text,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org ON audit_log (organization_id, id DESC);

-- Transactional outbox: domain events written with the change, relayed to Kafka after commit.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

-- Emails are queued in the same transaction as the change and sent by the mailer with retries;
-- each row is the delivery record.
CREATE TABLE email_deliveries (
  id uuid PRIMARY KEY,
  to_address text NOT NULL,
  template text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts int NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_deliveries_due ON email_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION fairview_notify_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_NAME, '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION fairview_notify_work();
CREATE TRIGGER email_deliveries_notify AFTER INSERT ON email_deliveries
  FOR EACH STATEMENT EXECUTE FUNCTION fairview_notify_work();

-- Row-Level Security: the second line of tenant isolation behind the repositories' scoping.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
  USING (fairview_tenant_visible(id)) WITH CHECK (fairview_tenant_visible(id));

-- Makes a table tenant-owned: Row-Level Security on (and forced) with the isolation policy.
CREATE FUNCTION fairview_tenant_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (fairview_tenant_visible(organization_id)) '
                 'WITH CHECK (fairview_tenant_visible(organization_id))', t);
END $$;

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['memberships', 'team_invitations', 'api_keys', 'audit_log']::regclass[]) AS t;

GRANT USAGE ON SCHEMA public TO fairview_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO fairview_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO fairview_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO fairview_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO fairview_app;

-- migrate:down
DROP TABLE email_deliveries, outbox, audit_log, operator_keys, api_keys, auth_tokens,
  team_invitations, memberships, users, organizations;
DROP FUNCTION fairview_notify_work();
DROP FUNCTION fairview_tenant_table(regclass);
DROP FUNCTION fairview_tenant_visible(uuid);
