-- migrate:up
-- Making an answer's playback file (and poster) is a job with retries and a recorded outcome,
-- run in a child process so that a codec crash fails the job, never the server.
-- playback_status: NULL (nothing to make: text, or not recorded yet), 'pending' (due at
-- playback_next_at), 'running' (claimed; playback_next_at is then the end of the claim's lease:
-- past it, its worker died and the job is due again), 'ready', 'failed' (playback_error says
-- why; the answer plays from its recording). playback_attempts counts finished attempts.
ALTER TABLE answers
  ADD COLUMN playback_status text CHECK (playback_status IN ('pending', 'running', 'ready', 'failed')),
  ADD COLUMN playback_attempts int NOT NULL DEFAULT 0,
  ADD COLUMN playback_error text,
  ADD COLUMN playback_next_at timestamptz;
CREATE INDEX answers_playback_due ON answers (playback_next_at)
  WHERE playback_status IN ('pending', 'running');

-- Answers made before: those with a file are ready; recorded ones without one are queued.
UPDATE answers SET playback_status = 'ready' WHERE playback_key IS NOT NULL;
UPDATE answers SET playback_status = 'pending', playback_next_at = now()
  WHERE playback_key IS NULL AND status = 'recorded' AND kind IN ('video', 'audio');

-- migrate:down
DROP INDEX answers_playback_due;
ALTER TABLE answers DROP COLUMN playback_status, DROP COLUMN playback_attempts,
  DROP COLUMN playback_error, DROP COLUMN playback_next_at;
