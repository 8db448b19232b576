-- migrate:up
-- Voluntary self-identification, given by a candidate after their interview (never before,
-- never required), in the categories of the NYC Local Law 144 rules. It lives apart from the
-- candidate's row, and the application role may not read its values at all: it can record,
-- replace or withdraw an answer and see that one exists, and it reads the values only as
-- counts per category through fairness_counts() below. No query of a reviewer, an export or
-- the evaluator can therefore return them, whatever it joins.
CREATE TABLE self_identifications (
  candidate_id uuid PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  -- NULL: left unanswered; 'prefer_not_to_say' is an answer that counts as unknown too.
  sex text CHECK (sex IN ('male', 'female', 'prefer_not_to_say')),
  race text CHECK (race IN ('hispanic_latino', 'white', 'black', 'native_hawaiian_pacific_islander',
    'asian', 'native_american_alaska_native', 'two_or_more', 'prefer_not_to_say')),
  answered_at timestamptz NOT NULL DEFAULT now()
);

SELECT fairview_tenant_table('self_identifications');

REVOKE ALL ON self_identifications FROM fairview_app;
GRANT INSERT, DELETE ON self_identifications TO fairview_app;
GRANT SELECT (candidate_id, organization_id, answered_at) ON self_identifications TO fairview_app;

-- Counts of an organization's completed candidates (of one interview, or all when `interview`
-- is NULL) per self-identified (sex, race), NULL meaning unknown: how many completed, were
-- decided, were advanced (the current decision), have an AI overall score (an LLM's, see
-- candidates.score) and score above their own interview's median (strictly, as the LL144 rules
-- define the scoring rate). SECURITY DEFINER so the application role can count what it cannot
-- read; it answers only for the organization of the current transaction.
CREATE FUNCTION fairness_counts(org uuid, interview uuid)
RETURNS TABLE (sex text, race text, completed bigint, decided bigint, advanced bigint,
               scored bigint, above_median bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH pool AS (
    SELECT c.id, c.interview_id, c.decision, c.score FROM candidates c
    WHERE c.organization_id = org AND fairview_tenant_visible(org) AND c.status = 'completed'
      AND (interview IS NULL OR c.interview_id = interview)
  ), medians AS (
    SELECT p.interview_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) AS median
    FROM pool p WHERE p.score IS NOT NULL GROUP BY p.interview_id
  )
  SELECT nullif(s.sex, 'prefer_not_to_say'), nullif(s.race, 'prefer_not_to_say'),
    count(*), count(p.decision), count(*) FILTER (WHERE p.decision = 'advance'),
    count(p.score), count(*) FILTER (WHERE p.score > m.median)
  FROM pool p
  LEFT JOIN self_identifications s ON s.candidate_id = p.id AND s.organization_id = org
  LEFT JOIN medians m ON m.interview_id = p.interview_id
  GROUP BY 1, 2
$$;
REVOKE ALL ON FUNCTION fairness_counts(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fairness_counts(uuid, uuid) TO fairview_app;

-- migrate:down
DROP FUNCTION fairness_counts(uuid, uuid);
DROP TABLE self_identifications;
