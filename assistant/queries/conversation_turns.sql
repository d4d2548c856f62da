SELECT t.n, t.answer_id::text, t.question, t.language, t.answer, t.answered, t.citations, t.translation_group
FROM turns t JOIN conversations c ON c.id = t.conversation_id
WHERE t.conversation_id = $1 AND c.expires_at > now()
ORDER BY t.n
