-- migrate:up
-- Across a candidate's evaluated answers: a summary, strengths and concerns (advisory).
CREATE TABLE candidate_summaries (
  candidate_id uuid PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('ready', 'failed')),
  reason text,
  method text,
  provider text,
  model text,
  prompt_version text,
  input_hash text,
  result jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT fairview_tenant_table('candidate_summaries');

-- Audit every kind of run: also live rubric coverage and candidate summaries.
ALTER TABLE ai_runs DROP CONSTRAINT ai_runs_kind_check;
ALTER TABLE ai_runs ADD CONSTRAINT ai_runs_kind_check
  CHECK (kind IN ('transcription', 'evaluation', 'live_evaluation', 'summary'));
ALTER TABLE ai_runs ADD COLUMN candidate_id uuid REFERENCES candidates (id) ON DELETE CASCADE;
ALTER TABLE ai_runs ADD COLUMN error text;

-- migrate:down
ALTER TABLE ai_runs DROP COLUMN error, DROP COLUMN candidate_id;
ALTER TABLE ai_runs DROP CONSTRAINT ai_runs_kind_check;
ALTER TABLE ai_runs ADD CONSTRAINT ai_runs_kind_check
  CHECK (kind IN ('transcription', 'evaluation'));
DROP TABLE candidate_summaries;
