-- migrate:up
-- Reminders before an invitation's deadline: hours before it, per interview (0: none), sent
-- once per invitation.
ALTER TABLE interviews ADD COLUMN reminder_hours int NOT NULL DEFAULT 24
  CHECK (reminder_hours BETWEEN 0 AND 336);
ALTER TABLE candidates ADD COLUMN reminded_at timestamptz;
CREATE INDEX candidates_deadline ON candidates (deadline)
  WHERE status IN ('invited', 'opened', 'in_progress');

-- migrate:down
DROP INDEX candidates_deadline;
ALTER TABLE candidates DROP COLUMN reminded_at;
ALTER TABLE interviews DROP COLUMN reminder_hours;
