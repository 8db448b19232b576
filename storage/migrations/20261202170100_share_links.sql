-- migrate:up
-- Links for hiring managers without an account: one candidate or the shortlist, until an
-- expiry, revocable; optionally blind (no name, email or video). The token is stored hashed.
CREATE TABLE share_links (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  interview_id uuid NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  recipient text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 200),
  candidate_ids uuid[] NOT NULL,  -- fixed when the link is made (a shortlist is copied)
  hide_identity boolean NOT NULL DEFAULT false,
  hide_video boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX share_links_interview ON share_links (organization_id, interview_id, created_at DESC);

-- What the guest gave: ratings per criterion and comments, kept apart from the team's.
CREATE TABLE share_ratings (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  share_id uuid NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
  answer_id uuid NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
  criterion text NOT NULL,
  score int NOT NULL CHECK (score BETWEEN 1 AND 5),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (share_id, answer_id, criterion)
);
CREATE TABLE share_comments (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  share_id uuid NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Every use of a link: who (the link's recipient, address and browser), when, what.
CREATE TABLE share_accesses (
  id bigserial PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  share_id uuid NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
  action text NOT NULL CHECK (action IN ('view', 'watch', 'rate', 'comment')),
  candidate_id uuid REFERENCES candidates (id) ON DELETE CASCADE,
  ip text NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX share_accesses_share ON share_accesses (share_id, id DESC);

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['share_links', 'share_ratings', 'share_comments', 'share_accesses']::regclass[]) AS t;

-- migrate:down
DROP TABLE share_accesses, share_comments, share_ratings, share_links;
