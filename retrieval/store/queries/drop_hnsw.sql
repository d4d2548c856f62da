-- Drop the HNSW index of an index version before a bulk load; create_hnsw.sql builds it again.
-- {{ID}} is an integer filled in by the store.
DROP INDEX IF EXISTS chunks_hnsw_{{ID}}
