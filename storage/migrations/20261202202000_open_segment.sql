-- migrate:up
-- The segment an ingest is recording now, written when it starts and kept fresh while it
-- streams: {"key", "started_at", "seen_at", "bytes", "duration_ms"} (what is durable so far).
-- A recording whose ingest stopped refreshing it (a crash) is reconciled from it: the partial
-- object is finalised and appended as a segment, and the answer becomes interrupted.
ALTER TABLE answers ADD COLUMN open_segment jsonb;
CREATE INDEX answers_recording ON answers ((open_segment ->> 'seen_at')) WHERE status = 'recording';

-- migrate:down
DROP INDEX answers_recording;
ALTER TABLE answers DROP COLUMN open_segment;
