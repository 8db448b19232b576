-- migrate:up
-- The evaluation of an answer against its question's rubric (advisory: people decide).
CREATE TABLE evaluations (
  answer_id uuid PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('ready', 'failed', 'skipped')),
  reason text,
  method text,        -- 'local_rubric' (transparent keyword coverage) or 'llm'
  provider text,
  model text,
  prompt_version text,
  input_hash text,
  result jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The hiring team's own ratings per criterion, comments and decisions.
CREATE TABLE ratings (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  answer_id uuid NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  criterion text NOT NULL,
  score int NOT NULL CHECK (score BETWEEN 1 AND 5),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (answer_id, user_id, criterion)
);

CREATE TABLE comments (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_candidate ON comments (organization_id, candidate_id, created_at);

-- Every decision is a row: the latest is current, earlier ones stay for the record.
CREATE TABLE decisions (
  id bigserial PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  decision text NOT NULL CHECK (decision IN ('advance', 'hold', 'reject')),
  note text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decisions_candidate ON decisions (organization_id, candidate_id, id DESC);

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['evaluations', 'ratings', 'comments', 'decisions']::regclass[]) AS t;

-- migrate:down
DROP TABLE decisions, comments, ratings, evaluations;
