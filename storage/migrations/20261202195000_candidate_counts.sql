-- migrate:up
-- Candidates per interview and status, kept by triggers on candidates, so interview lists and
-- pages read a few rows instead of counting every candidate on every request.
CREATE TABLE interview_candidate_counts (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  interview_id uuid NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  status text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (interview_id, status)
);
SELECT fairview_tenant_table('interview_candidate_counts'::regclass);

-- One statement's changes as deltas per (interview, status), applied in key order (so
-- concurrent writers lock the counter rows in the same order). New candidates may add a row;
-- a decrement only updates one (its interview may be going away in the same statement).
CREATE FUNCTION fairview_count_candidates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO interview_candidate_counts AS k (organization_id, interview_id, status, n)
    SELECT organization_id, interview_id, status, count(*) FROM new_rows
    GROUP BY organization_id, interview_id, status ORDER BY interview_id, status
    ON CONFLICT (interview_id, status) DO UPDATE SET n = k.n + excluded.n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO interview_candidate_counts AS k (organization_id, interview_id, status, n)
    SELECT organization_id, interview_id, status, sum(d) FROM (
      SELECT n.organization_id, n.interview_id, n.status, 1 AS d
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE o.status IS DISTINCT FROM n.status OR o.interview_id <> n.interview_id
      UNION ALL
      SELECT o.organization_id, o.interview_id, o.status, -1
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE o.status IS DISTINCT FROM n.status OR o.interview_id <> n.interview_id
    ) x GROUP BY organization_id, interview_id, status HAVING sum(d) <> 0
    ORDER BY interview_id, status
    ON CONFLICT (interview_id, status) DO UPDATE SET n = k.n + excluded.n;
  ELSE
    UPDATE interview_candidate_counts k SET n = k.n - d.n
    FROM (SELECT interview_id, status, count(*) AS n FROM old_rows
          GROUP BY interview_id, status ORDER BY interview_id, status) d
    WHERE k.interview_id = d.interview_id AND k.status = d.status;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER candidates_count_insert AFTER INSERT ON candidates
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION fairview_count_candidates();
CREATE TRIGGER candidates_count_update AFTER UPDATE ON candidates
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION fairview_count_candidates();
CREATE TRIGGER candidates_count_delete AFTER DELETE ON candidates
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION fairview_count_candidates();

INSERT INTO interview_candidate_counts (organization_id, interview_id, status, n)
SELECT organization_id, interview_id, status, count(*) FROM candidates
GROUP BY organization_id, interview_id, status;

-- The counter replaces the index that was meant to serve the counts.
DROP INDEX candidates_status;

-- migrate:down
CREATE INDEX candidates_status ON candidates (organization_id, interview_id, status);
DROP TRIGGER candidates_count_delete ON candidates;
DROP TRIGGER candidates_count_update ON candidates;
DROP TRIGGER candidates_count_insert ON candidates;
DROP FUNCTION fairview_count_candidates();
DROP TABLE interview_candidate_counts;
