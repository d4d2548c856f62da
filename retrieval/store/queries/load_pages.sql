-- Insert new pages in bulk, one array per column, for LoadPages; each page's id comes back with
-- its URL. A page that is already stored is an error: a bulk load is not a recrawl.
--   $1 source ids, $2 URLs, $3 titles, $4 languages, $5 translation groups, $6 alternates (JSON),
--   $7 content types, $8 content hashes, $9 ETags, $10 Last-Modified values, $11 modification
--   times (NULL when unknown), $12 fetch times, $13 sections (JSON)
INSERT INTO pages (source_id, url, title, language, translation_group, alternates, content_type,
                   content_hash, etag, last_modified, modified_at, fetched_at, checked_at, sections)
SELECT source_id, url, title, language, translation_group, alternates::jsonb, content_type,
       content_hash, etag, last_modified, modified_at, fetched_at, fetched_at, sections::jsonb
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::bytea[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[])
     AS p (source_id, url, title, language, translation_group, alternates, content_type,
           content_hash, etag, last_modified, modified_at, fetched_at, sections)
RETURNING id, url
