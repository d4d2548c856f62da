-- Stored pages to chunk (again) into an index version, in id order after $1, at most $2 of them,
-- fetched after $3 ('-infinity' for all).
SELECT p.id, p.source_id, p.url, p.title, p.language, p.translation_group, s.agency, p.sections, p.fetched_at
FROM pages p
JOIN sources s ON s.id = p.source_id
WHERE p.id > $1 AND p.fetched_at > $3
ORDER BY p.id
LIMIT $2
