-- Drop the HNSW index of a dropped index version without blocking searches of the others.
-- {{ID}} is an integer filled in by the store.
DROP INDEX CONCURRENTLY IF EXISTS chunks_hnsw_{{ID}}
