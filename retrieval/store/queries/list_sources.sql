SELECT s.id, s.name, s.agency, s.start_urls, s.sitemap_urls, s.allowed_prefixes, s.languages,
       extract(epoch FROM s.recrawl_interval)::float8, extract(epoch FROM s.crawl_delay)::float8,
       s.concurrency, s.local, s.status,
       (SELECT max(r.finished_at) FROM crawl_runs r WHERE r.source_id = s.id),
       (SELECT count(*) FROM pages p WHERE p.source_id = s.id)
FROM sources s
WHERE ($1::text = '' OR s.name = $1)
ORDER BY s.name
