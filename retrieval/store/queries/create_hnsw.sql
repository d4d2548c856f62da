-- One HNSW index per index version, over the vectors of that version only (their dimension is fixed).
-- {{ID}} and {{DIMS}} are integers filled in by the store.
CREATE INDEX IF NOT EXISTS chunks_hnsw_{{ID}} ON chunks
USING hnsw ((embedding::vector({{DIMS}})) vector_cosine_ops)
WHERE index_id = {{ID}}
