-- migrate:up
-- The local evaluator lists rubric coverage; it no longer turns it into a 1-5 grade or an
-- overall number. Results it stored before lose those numbers (and the summaries built on
-- them their averages, strengths and concerns), so nothing shows or sorts by them.
UPDATE evaluations
SET result = result || jsonb_build_object(
  'graded', false,
  'overall', NULL,
  'criteria', (
    SELECT coalesce(jsonb_agg(c || '{"score": null}'::jsonb ORDER BY i), '[]'::jsonb)
    FROM jsonb_array_elements(result -> 'criteria') WITH ORDINALITY AS x (c, i)
  )
)
WHERE method = 'local_rubric' AND jsonb_typeof(result -> 'criteria') = 'array';

UPDATE candidate_summaries
SET result = result || jsonb_build_object(
  'graded', false,
  'strengths', '[]'::jsonb,
  'concerns', '[]'::jsonb,
  'summary', 'Keyword coverage of the rubric, no grade: read or watch the answers.'
)
WHERE method = 'local_rubric';

-- migrate:down
SELECT 1;
