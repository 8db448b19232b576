-- migrate:up
-- AI oversight: switches that turn AI evaluation off (for the organization, or one interview),
-- reviewer overrides that disagree with the AI score (both values kept), and candidates'
-- requests from the notice page (a human-only review, an accommodation).
CREATE TABLE compliance_settings (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  ai_evaluation boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE interview_ai_settings (
  interview_id uuid PRIMARY KEY REFERENCES interviews (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  ai_evaluation boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ai_overrides (
  id bigserial PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  answer_id uuid REFERENCES answers (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (kind IN ('rating', 'decision')),
  criterion text,          -- ratings: the rubric criterion
  ai_score numeric(4, 2) NOT NULL,  -- the AI's criterion score, or the candidate's AI mean
  human_value text NOT NULL,        -- the reviewer's 1-5 rating, or the decision
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_overrides_created ON ai_overrides (organization_id, created_at DESC, id DESC);

CREATE TABLE candidate_requests (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('human_review', 'accommodation')),
  message text NOT NULL DEFAULT '' CHECK (length(message) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX candidate_requests_created ON candidate_requests (organization_id, created_at DESC, id DESC);

CREATE INDEX ai_runs_created ON ai_runs (organization_id, created_at DESC, id DESC);

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['compliance_settings', 'interview_ai_settings', 'ai_overrides',
  'candidate_requests']::regclass[]) AS t;

-- One home for the rule "may AI evaluate this candidate's answers": NULL when it may, else
-- why not (the candidate asked for a human-only review; AI is off for the organization or for
-- the interview). Consent is checked where it is recorded (candidates.ai_consent).
CREATE FUNCTION ai_evaluation_off(candidate uuid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM candidate_requests r
                 WHERE r.candidate_id = c.id AND r.kind = 'human_review')
      THEN 'The candidate asked for a review by people only.'
    WHEN NOT coalesce(s.ai_evaluation, true)
      THEN 'AI evaluation is switched off for the organization.'
    WHEN NOT coalesce(i.ai_evaluation, true)
      THEN 'AI evaluation is switched off for this interview.'
  END
  FROM candidates c
  LEFT JOIN compliance_settings s ON s.organization_id = c.organization_id
  LEFT JOIN interview_ai_settings i ON i.interview_id = c.interview_id
  WHERE c.id = candidate
$$;

-- migrate:down
DROP FUNCTION ai_evaluation_off(uuid);
DROP INDEX ai_runs_created;
DROP TABLE candidate_requests, ai_overrides, interview_ai_settings, compliance_settings;
