-- migrate:up
-- "Review first, then reveal": an interview may hold each answer's AI evaluation from a reviewer
-- until they rated it themselves. Whenever an evaluation is first shown to a reviewer, the moment
-- is kept with whether they had rated the answer before, so the team can see whose judgment came
-- first.
ALTER TABLE interviews ADD COLUMN review_first boolean NOT NULL DEFAULT false;

CREATE TABLE evaluation_views (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  answer_id uuid NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  shown_at timestamptz NOT NULL DEFAULT now(),
  rated_before boolean NOT NULL,
  PRIMARY KEY (answer_id, user_id)
);

SELECT fairview_tenant_table('evaluation_views'::regclass);

-- migrate:down
DROP TABLE evaluation_views;
ALTER TABLE interviews DROP COLUMN review_first;
