-- Index versions with what the console and lots index list show: their chunks and latest
-- evaluation. $1 is one version's id, or 0 for all, newest first.
SELECT v.id, v.embedder, v.dimensions, v.state, v.chunking, v.note, v.created_by, v.created_at,
       v.built_at, v.published_at, v.published_by, v.override_reason, v.retired_at, v.error, v.pages_as_of,
       (SELECT count(*) FROM chunks c WHERE c.index_id = v.id),
       (SELECT max(e.created_at) FROM index_evals e WHERE e.index_id = v.id),
       (SELECT count(*) FROM pages p WHERE v.pages_as_of IS NOT NULL AND p.fetched_at > v.pages_as_of)
FROM index_versions v
WHERE $1::int = 0 OR v.id = $1
ORDER BY v.id DESC
