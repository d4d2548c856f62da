UPDATE crawl_runs SET finished_at = now(),
    fetched = fetched + $2, unchanged = unchanged + $3, removed = removed + $4, failed = failed + $5,
    held = held + $6
WHERE id = $1
