-- migrate:up
-- A candidate's personal links: the invitation's, a reminder's, a resend's, a public-link
-- rejoin's. Each is valid as long as the invitation is (the candidate's status and deadline):
-- adding a link never revokes another, so a link in use never dies. Tokens are stored hashed.
CREATE TABLE candidate_links (
  token_hash bytea PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('invitation', 'reminder', 'resend', 'public_link')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX candidate_links_candidate ON candidate_links (organization_id, candidate_id);

INSERT INTO candidate_links (token_hash, organization_id, candidate_id, purpose, created_at)
SELECT token_hash, organization_id, id, 'invitation', created_at FROM candidates;
ALTER TABLE candidates DROP COLUMN token_hash;

SELECT fairview_tenant_table('candidate_links');

-- migrate:down
ALTER TABLE candidates ADD COLUMN token_hash bytea UNIQUE;
UPDATE candidates c SET token_hash = (
  SELECT l.token_hash FROM candidate_links l WHERE l.candidate_id = c.id
  ORDER BY l.created_at DESC LIMIT 1);
ALTER TABLE candidates ALTER COLUMN token_hash SET NOT NULL;
DROP TABLE candidate_links;
