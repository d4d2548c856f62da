-- The HNSW index of an index version built beside the live one. CONCURRENTLY, so the crawler
-- can keep writing the live version's chunks while it is built. {{ID}} and {{DIMS}} are
-- integers filled in by the store; the index has the name create_hnsw.sql gives it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS chunks_hnsw_{{ID}} ON chunks
USING hnsw ((embedding::vector({{DIMS}})) vector_cosine_ops)
WHERE index_id = {{ID}}
