-- Append a turn to a live conversation and push its expiry forward (never back: a conversation
-- a user saved to their space does not expire).
WITH conv AS (
    UPDATE conversations SET updated_at = now(), expires_at = greatest(expires_at, now() + make_interval(secs => $9))
    WHERE id = $1 AND expires_at > now()
    RETURNING id
)
INSERT INTO turns (conversation_id, n, answer_id, question, language, answer, answered, citations, translation_group, confidence)
SELECT conv.id, coalesce((SELECT max(n) FROM turns WHERE conversation_id = $1), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $10
FROM conv
RETURNING n
