-- migrate:up
-- Lists page on (created_at, id): rows of one transaction (a CSV import) share created_at, so
-- the id breaks ties. These indexes serve each list's order straight from the index.
DROP INDEX candidates_interview;
CREATE INDEX candidates_interview ON candidates (organization_id, interview_id, created_at DESC, id DESC);
DROP INDEX interviews_org;
CREATE INDEX interviews_org ON interviews (organization_id, created_at DESC, id DESC);
DROP INDEX team_invitations_org;
CREATE INDEX team_invitations_org ON team_invitations (organization_id, created_at DESC, id DESC);
DROP INDEX api_keys_org;
CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC, id DESC);
DROP INDEX audit_log_org;
CREATE INDEX audit_log_org ON audit_log (organization_id, created_at DESC, id DESC);
DROP INDEX notifications_inbox;
CREATE INDEX notifications_inbox ON notifications (organization_id, user_id, created_at DESC, id DESC);
DROP INDEX webhook_deliveries_endpoint;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX memberships_org ON memberships (organization_id, created_at, user_id);
CREATE INDEX organizations_created ON organizations (created_at, id);
CREATE INDEX users_created ON users (created_at, id);
-- Candidate counts per status (interview lists and pages) from the index alone.
CREATE INDEX candidates_status ON candidates (organization_id, interview_id, status);

-- migrate:down
DROP INDEX candidates_status;
DROP INDEX users_created;
DROP INDEX organizations_created;
DROP INDEX memberships_org;
DROP INDEX webhook_deliveries_endpoint;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
DROP INDEX notifications_inbox;
CREATE INDEX notifications_inbox ON notifications (organization_id, user_id, created_at DESC);
DROP INDEX audit_log_org;
CREATE INDEX audit_log_org ON audit_log (organization_id, id DESC);
DROP INDEX api_keys_org;
CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC);
DROP INDEX team_invitations_org;
CREATE INDEX team_invitations_org ON team_invitations (organization_id, created_at DESC);
DROP INDEX interviews_org;
CREATE INDEX interviews_org ON interviews (organization_id, created_at DESC);
DROP INDEX candidates_interview;
CREATE INDEX candidates_interview ON candidates (organization_id, interview_id, created_at DESC);
