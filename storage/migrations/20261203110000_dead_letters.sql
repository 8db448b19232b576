-- migrate:up
-- Events a consumer group could not handle after its retries: kept with the error for
-- operators, re-driven on a schedule (next_redrive_at) and by `fairview dead-letters redrive`.
CREATE TABLE dead_letters (
  id bigserial PRIMARY KEY,
  consumer_group text NOT NULL,
  topic text NOT NULL,
  event_id text NOT NULL,
  event_type text,
  event jsonb NOT NULL,
  error text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  redrives int NOT NULL DEFAULT 0,
  next_redrive_at timestamptz,  -- NULL: waits for an operator's command
  resolved_at timestamptz,
  UNIQUE (consumer_group, event_id)
);
CREATE INDEX dead_letters_due ON dead_letters (consumer_group, next_redrive_at)
  WHERE resolved_at IS NULL;

-- What the sweeper re-drove (AI work whose event was lost), so that it tries each a few times.
CREATE TABLE sweeper_redrives (
  kind text NOT NULL,
  subject_id uuid NOT NULL,
  redrives int NOT NULL DEFAULT 1,
  last_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, subject_id)
);

-- migrate:down
DROP TABLE sweeper_redrives;
DROP TABLE dead_letters;
