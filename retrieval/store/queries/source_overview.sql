-- What the stewards' console shows of every source besides its settings: the last crawl run, the
-- pages indexed per language, the URLs refused, failed or gone per kind, pending changes and
-- exclusions.
SELECT s.id, s.require_approval,
       coalesce(r.id, 0), r.started_at, r.finished_at,
       coalesce(r.fetched, 0), coalesce(r.unchanged, 0), coalesce(r.removed, 0), coalesce(r.failed, 0), coalesce(r.held, 0),
       (SELECT coalesce(jsonb_object_agg(l.language, l.n), '{}')
        FROM (SELECT language, count(*) AS n FROM pages WHERE source_id = s.id GROUP BY language) l),
       (SELECT coalesce(jsonb_object_agg(e.error_kind, e.n), '{}')
        FROM (SELECT error_kind, count(*) AS n FROM crawl_urls
              WHERE source_id = s.id AND error_kind IS NOT NULL GROUP BY error_kind) e),
       (SELECT count(*) FROM page_changes c WHERE c.source_id = s.id AND c.state = 'pending'),
       (SELECT count(*) FROM page_exclusions x WHERE x.source_id = s.id)
FROM sources s
LEFT JOIN LATERAL (
    SELECT * FROM crawl_runs WHERE source_id = s.id ORDER BY started_at DESC, id DESC LIMIT 1
) r ON true
