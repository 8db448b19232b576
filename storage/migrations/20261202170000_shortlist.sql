-- migrate:up
-- The hiring team's shortlist: one star per candidate, shared by the team of the interview.
CREATE TABLE shortlist (
  candidate_id uuid PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  interview_id uuid NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shortlist_interview ON shortlist (organization_id, interview_id);

SELECT fairview_tenant_table('shortlist'::regclass);

-- migrate:down
DROP TABLE shortlist;
