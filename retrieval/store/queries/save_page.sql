INSERT INTO pages (source_id, url, title, language, translation_group, alternates, content_type,
                   content_hash, etag, last_modified, modified_at, fetched_at, checked_at, sections)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)
ON CONFLICT (url) DO UPDATE SET
    source_id = excluded.source_id,
    title = excluded.title,
    language = excluded.language,
    translation_group = excluded.translation_group,
    alternates = excluded.alternates,
    content_type = excluded.content_type,
    content_hash = excluded.content_hash,
    etag = excluded.etag,
    last_modified = excluded.last_modified,
    modified_at = excluded.modified_at,
    fetched_at = excluded.fetched_at,
    checked_at = excluded.checked_at,
    sections = excluded.sections
RETURNING id
