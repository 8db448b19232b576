-- migrate:up
-- What a tenant-scoped transaction may read of the platform tables (it runs as fairview_app,
-- like platform transactions; only `fairview.bypass_rls` tells them apart).

-- Emails belong to the organization whose transaction queued them (null: platform mail such as
-- sign-up and password reset), and Row-Level Security shows a tenant only its own.
ALTER TABLE email_deliveries ADD COLUMN organization_id uuid
  REFERENCES organizations (id) ON DELETE CASCADE
  DEFAULT nullif(current_setting('fairview.organization_id', true), '')::uuid;
UPDATE email_deliveries e SET organization_id = c.organization_id
  FROM candidates c WHERE c.invitation_email_id = e.id;
ALTER TABLE email_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON email_deliveries
  USING (fairview_tenant_visible(organization_id))
  WITH CHECK (fairview_tenant_visible(organization_id));

-- No transaction of the app reads password hashes as a column: logging in (a platform
-- transaction) asks this function, which answers nothing inside a tenant's transaction.
REVOKE SELECT ON users FROM fairview_app;
GRANT SELECT (id, email, name, locale, email_verified_at, password_changed_at, created_at)
  ON users TO fairview_app;
CREATE FUNCTION fairview_password_hash(uid uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT password_hash FROM users
  WHERE id = uid AND current_setting('fairview.bypass_rls', true) = 'on'
$$;
REVOKE ALL ON FUNCTION fairview_password_hash(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fairview_password_hash(uuid) TO fairview_app;

-- migrate:down
DROP FUNCTION fairview_password_hash(uuid);
GRANT SELECT ON users TO fairview_app;
DROP POLICY tenant_isolation ON email_deliveries;
ALTER TABLE email_deliveries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE email_deliveries DISABLE ROW LEVEL SECURITY;
ALTER TABLE email_deliveries DROP COLUMN organization_id;
