-- migrate:up
-- The one home of "which attempt counts": per candidate and question, the latest attempt that
-- was not discarded by a retake. A failed attempt stays failed (it cost nothing); when a retake
-- follows it, the retake is the latest and so counts. Returns whole answer rows, so callers
-- join transcripts, evaluations and ratings to it; inlined by the planner (one SELECT, STABLE).
CREATE FUNCTION counting_answers(candidate_ids uuid[]) RETURNS SETOF answers
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (a.candidate_id, a.question_id) a.* FROM answers a
  WHERE a.candidate_id = ANY (candidate_ids) AND a.status <> 'discarded'
  ORDER BY a.candidate_id, a.question_id, a.attempt DESC
$$;

-- migrate:down
DROP FUNCTION counting_answers(uuid[]);
