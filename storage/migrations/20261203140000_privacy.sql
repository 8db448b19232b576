-- migrate:up
-- Candidates' data rights: requests for a copy of their data or its erasure (from the rights
-- link, or recorded by the team), erasure as an idempotent job with a stored receipt, and
-- per-organization retention schedules that queue the same jobs.
CREATE TABLE privacy_requests (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  candidate_id uuid NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
  -- export: a copy of the data; erasure: everything of the candidate; media_erasure: their
  -- recordings only (a retention schedule's shorter period for media)
  kind text NOT NULL CHECK (kind IN ('export', 'erasure', 'media_erasure')),
  source text NOT NULL CHECK (source IN ('candidate', 'team', 'retention')),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  due_at timestamptz NOT NULL,        -- the legal deadline (30 days after the request)
  -- erasure jobs: pending (runs at run_at) -> awaiting_receipt (data gone, the receipt is on
  -- its way to the candidate) -> completed (the address is erased too)
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'awaiting_receipt', 'completed')),
  run_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  receipt jsonb,
  receipt_email_id uuid,
  completed_at timestamptz
);
CREATE INDEX privacy_requests_created ON privacy_requests (organization_id, created_at DESC, id DESC);
CREATE INDEX privacy_requests_due ON privacy_requests (run_at) WHERE status <> 'completed';
-- Wakes the erasure worker only when a request becomes due now: a statement trigger would also
-- fire for the worker's own claim (an UPDATE of run_at, even of no row), waking it for ever.
CREATE TRIGGER privacy_requests_notify AFTER INSERT OR UPDATE OF run_at ON privacy_requests
  FOR EACH ROW WHEN (NEW.run_at IS NOT NULL AND NEW.run_at <= now())
  EXECUTE FUNCTION fairview_notify_work();
-- One open erasure job of a kind per candidate: a retention run or a second request adds none.
CREATE UNIQUE INDEX privacy_requests_open ON privacy_requests (candidate_id, kind)
  WHERE status <> 'completed' AND kind <> 'export';

CREATE TABLE retention_settings (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  basis text NOT NULL DEFAULT 'completion' CHECK (basis IN ('completion', 'decision')),
  media_days integer CHECK (media_days BETWEEN 1 AND 36500),
  data_days integer CHECK (data_days BETWEEN 1 AND 36500),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (media_days IS NULL OR data_days IS NULL OR media_days <= data_days)
);

-- What remains of an erased candidate is anonymous; these say when what went.
ALTER TABLE candidates ADD COLUMN erased_at timestamptz, ADD COLUMN media_erased_at timestamptz;

SELECT fairview_tenant_table(t)
FROM unnest(ARRAY['privacy_requests', 'retention_settings']::regclass[]) AS t;

-- migrate:down
ALTER TABLE candidates DROP COLUMN erased_at, DROP COLUMN media_erased_at;
DROP TABLE retention_settings, privacy_requests;
