-- The questions of a period that say something about the content: not covered, answered with
-- little coverage, or rated. $1 since, $2 until, $3 language ('' all), $4 agencies (NULL all:
-- otherwise answers citing one of them, and every question that was not covered),
-- $5 the low-confidence threshold, $6 the most rows to read.
SELECT t.answer_id::text, t.question, t.language, t.answered, t.confidence,
       coalesce(f.rating, ''), coalesce(f.comment, ''),
       coalesce((SELECT array_agg(DISTINCT c->>'agency' ORDER BY c->>'agency')
                 FROM jsonb_array_elements(t.citations) c WHERE c->>'agency' <> ''), '{}'),
       t.created_at
FROM turns t
LEFT JOIN feedback f ON f.answer_id = t.answer_id
WHERE t.created_at >= $1 AND t.created_at < $2
  AND ($3 = '' OR t.language = $3)
  AND (NOT t.answered OR t.confidence < $5 OR f.rating IS NOT NULL)
  AND ($4::text[] IS NULL OR NOT t.answered OR EXISTS (
        SELECT 1 FROM jsonb_array_elements(t.citations) c WHERE c->>'agency' = ANY ($4)))
ORDER BY t.created_at DESC
LIMIT $6
