-- migrate:up
-- What the candidates list searches, filters and sorts on, kept on the candidate row so that
-- every order is served by an index and pages by keyset.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- score: the mean overall score of the answers that count, from LLM evaluations only (the
-- local keyword-coverage evaluator is not a judgment and is never ranked on); null until one.
-- decision: the current (newest) decision of the hiring team.
ALTER TABLE candidates
  ADD COLUMN score double precision,
  ADD COLUMN decision text CHECK (decision IN ('advance', 'hold', 'reject'));

CREATE FUNCTION fairview_candidate_score(candidate uuid) RETURNS double precision
LANGUAGE sql STABLE AS $$
  SELECT avg((e.result ->> 'overall')::double precision)
  FROM counting_answers(ARRAY[candidate]) a JOIN evaluations e ON e.answer_id = a.id
  WHERE e.status = 'ready' AND e.method = 'llm' AND (e.result ->> 'graded') IS DISTINCT FROM 'false'
    AND jsonb_typeof(e.result -> 'overall') = 'number'
$$;

CREATE FUNCTION fairview_set_candidate_score(candidate uuid) RETURNS void LANGUAGE sql AS $$
  UPDATE candidates c SET score = s.v FROM (SELECT fairview_candidate_score(candidate) AS v) s
  WHERE c.id = candidate AND c.score IS DISTINCT FROM s.v
$$;

-- An evaluation written, changed or removed; an attempt added, discarded or removed.
CREATE FUNCTION fairview_evaluation_scores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM fairview_set_candidate_score(a.candidate_id) FROM answers a
  WHERE a.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.answer_id ELSE NEW.answer_id END;
  RETURN NULL;
END $$;
CREATE FUNCTION fairview_answer_scores() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM fairview_set_candidate_score(
    CASE WHEN TG_OP = 'DELETE' THEN OLD.candidate_id ELSE NEW.candidate_id END);
  RETURN NULL;
END $$;
CREATE TRIGGER evaluations_score AFTER INSERT OR UPDATE OR DELETE ON evaluations
  FOR EACH ROW EXECUTE FUNCTION fairview_evaluation_scores();
CREATE TRIGGER answers_score_status AFTER UPDATE OF status ON answers
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION fairview_answer_scores();
CREATE TRIGGER answers_score_retake AFTER INSERT ON answers
  FOR EACH ROW WHEN (NEW.attempt > 1) EXECUTE FUNCTION fairview_answer_scores();
CREATE TRIGGER answers_score_delete AFTER DELETE ON answers
  FOR EACH ROW EXECUTE FUNCTION fairview_answer_scores();

CREATE FUNCTION fairview_current_decision() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  candidate uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.candidate_id ELSE NEW.candidate_id END;
BEGIN
  UPDATE candidates c SET decision = (SELECT d.decision FROM decisions d
    WHERE d.candidate_id = candidate ORDER BY d.id DESC LIMIT 1)
  WHERE c.id = candidate;
  RETURN NULL;
END $$;
CREATE TRIGGER decisions_current AFTER INSERT OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION fairview_current_decision();

UPDATE candidates c SET score = fairview_candidate_score(c.id),
  decision = (SELECT d.decision FROM decisions d WHERE d.candidate_id = c.id
              ORDER BY d.id DESC LIMIT 1);

-- One index per order of the list (newest first is candidates_interview), and trigrams for
-- searching names and emails anywhere in the text.
CREATE INDEX candidates_by_name ON candidates (organization_id, interview_id, lower(name), id);
CREATE INDEX candidates_by_score
  ON candidates (organization_id, interview_id, coalesce(score, -1) DESC, id DESC);
CREATE INDEX candidates_by_completion ON candidates
  (organization_id, interview_id, coalesce(completed_at, '-infinity') DESC, id DESC);
CREATE INDEX candidates_search ON candidates
  USING gin ((lower(name) || ' ' || lower(email::text)) gin_trgm_ops);

-- migrate:down
DROP INDEX candidates_search;
DROP INDEX candidates_by_completion;
DROP INDEX candidates_by_score;
DROP INDEX candidates_by_name;
DROP TRIGGER decisions_current ON decisions;
DROP FUNCTION fairview_current_decision();
DROP TRIGGER answers_score_delete ON answers;
DROP TRIGGER answers_score_retake ON answers;
DROP TRIGGER answers_score_status ON answers;
DROP TRIGGER evaluations_score ON evaluations;
DROP FUNCTION fairview_answer_scores();
DROP FUNCTION fairview_evaluation_scores();
DROP FUNCTION fairview_set_candidate_score(uuid);
DROP FUNCTION fairview_candidate_score(uuid);
ALTER TABLE candidates DROP COLUMN decision, DROP COLUMN score;
