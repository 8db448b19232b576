-- migrate:up
-- The transcript of record of an answer (from the final pass over the recording).
CREATE TABLE transcripts (
  answer_id uuid PRIMARY KEY REFERENCES answers (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('processing', 'ready', 'failed', 'skipped')),
  reason text,
  language text,
  text text NOT NULL DEFAULT '',
  segments jsonb NOT NULL DEFAULT '[]',
  model text,
  input_hash text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every AI run, for audit: what ran, on what input, with what result.
CREATE TABLE ai_runs (
  id bigserial PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  answer_id uuid REFERENCES answers (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('transcription', 'evaluation')),
  provider text NOT NULL,
  model text NOT NULL,
  prompt_version text,
  input_hash text NOT NULL,
  output jsonb NOT NULL,
  latency_ms int NOT NULL,
  tokens_in int,
  tokens_out int,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_runs_answer ON ai_runs (organization_id, answer_id);

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['transcripts', 'ai_runs']::regclass[]) AS t;

-- migrate:down
DROP TABLE ai_runs, transcripts;
