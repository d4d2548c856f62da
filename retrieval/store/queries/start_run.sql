-- Reopen every URL of the source for a new run; the frontier's rows survive across runs. Refused
-- (skipped) URLs keep their reason; the others' reasons belong to the run before.
WITH run AS (
    INSERT INTO crawl_runs (source_id) VALUES ($1) RETURNING id
), reset AS (
    UPDATE crawl_urls SET state = 'pending', attempts = 0, last_error = NULL, error_kind = NULL, updated_at = now()
    WHERE source_id = $1 AND state <> 'skipped'
)
SELECT id FROM run
