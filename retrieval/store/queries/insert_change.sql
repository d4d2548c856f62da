-- Record a change a crawl found. A pending change (held for a steward) replaces the one pending
-- for the same URL; changes in other states never conflict.
--   $1 run, $2 source, $3 URL, $4 live page (NULL for a new page), $5 kind, $6 title, $7 language,
--   $8 old text, $9 new text, $10 content hash, $11 held page (JSON, NULL unless pending), $12 state
INSERT INTO page_changes (run_id, source_id, url, page_id, kind, title, language, old_text, new_text,
                          content_hash, held, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (url) WHERE state = 'pending' DO UPDATE SET
    run_id = excluded.run_id,
    source_id = excluded.source_id,
    page_id = excluded.page_id,
    kind = excluded.kind,
    title = excluded.title,
    language = excluded.language,
    old_text = excluded.old_text,
    new_text = excluded.new_text,
    content_hash = excluded.content_hash,
    held = excluded.held,
    created_at = now()
RETURNING id, created_at
