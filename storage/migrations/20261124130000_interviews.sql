-- migrate:up
CREATE TABLE interviews (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  role_description text NOT NULL DEFAULT '',
  intro text NOT NULL DEFAULT '',
  language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ru')),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'closed', 'archived')),
  brand_name text,
  brand_logo_url text,
  -- The public link's token (hashed); null while the interview has no public link.
  public_token_hash bytea UNIQUE,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interviews_org ON interviews (organization_id, created_at DESC);

CREATE TABLE questions (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  interview_id uuid NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  position int NOT NULL,
  kind text NOT NULL CHECK (kind IN ('video', 'audio', 'text')),
  prompt text NOT NULL CHECK (length(prompt) BETWEEN 1 AND 2000),
  think_seconds int NOT NULL DEFAULT 30 CHECK (think_seconds BETWEEN 0 AND 600),
  answer_seconds int NOT NULL DEFAULT 120 CHECK (answer_seconds BETWEEN 10 AND 1800),
  retakes int NOT NULL DEFAULT 1 CHECK (retakes BETWEEN 0 AND 3),
  required boolean NOT NULL DEFAULT true,
  rubric jsonb NOT NULL DEFAULT '[]',
  UNIQUE (interview_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE candidates (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  interview_id uuid NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email citext NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  source text NOT NULL DEFAULT 'invited' CHECK (source IN ('invited', 'public_link', 'import')),
  status text NOT NULL DEFAULT 'invited'
    CHECK (status IN ('invited', 'opened', 'in_progress', 'completed', 'expired', 'revoked')),
  deadline timestamptz,
  extra_time_factor numeric(3, 2) NOT NULL DEFAULT 1.0 CHECK (extra_time_factor BETWEEN 1.0 AND 3.0),
  extra_retakes int NOT NULL DEFAULT 0 CHECK (extra_retakes BETWEEN 0 AND 5),
  consent_version text,
  consented_at timestamptz,
  ai_consent boolean,
  opened_at timestamptz,
  started_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (interview_id, email)
);
CREATE INDEX candidates_interview ON candidates (organization_id, interview_id, created_at DESC);

-- One row per attempt at a question; the latest non-discarded attempt is the answer.
CREATE TABLE answers (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  question_id uuid NOT NULL REFERENCES questions (id) ON DELETE RESTRICT,
  attempt int NOT NULL,
  kind text NOT NULL CHECK (kind IN ('video', 'audio', 'text')),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'recording', 'recorded', 'interrupted', 'failed', 'discarded', 'submitted')),
  failure_reason text,
  text_answer text,
  -- Recorded media, one segment per WHIP session (a reconnect continues in a new segment):
  -- [{"key": object key, "duration_ms": int, "bytes": int, "ended_by": reason}]
  segments jsonb NOT NULL DEFAULT '[]',
  duration_ms int NOT NULL DEFAULT 0,
  playback_key text,
  poster_key text,
  started_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (candidate_id, question_id, attempt)
);
CREATE INDEX answers_candidate ON answers (candidate_id, question_id, attempt);

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['interviews', 'questions', 'candidates', 'answers']::regclass[]) AS t;

-- migrate:down
DROP TABLE answers, candidates, questions, interviews;
