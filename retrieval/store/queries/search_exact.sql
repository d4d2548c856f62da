-- Exact nearest neighbours by a sequential scan: the baseline the HNSW search is measured against.
SELECT c.id
FROM chunks c
WHERE c.index_id = {{ID}}
  AND c.language = ANY($2::text[])
ORDER BY c.embedding::vector({{DIMS}}) <=> $1::vector({{DIMS}})
LIMIT $3
