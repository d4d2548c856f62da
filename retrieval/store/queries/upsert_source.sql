INSERT INTO sources (name, agency, start_urls, sitemap_urls, allowed_prefixes, languages,
                     recrawl_interval, crawl_delay, concurrency, local, status)
VALUES ($1, $2, $3, $4, $5, $6, make_interval(secs => $7), make_interval(secs => $8), $9, $10, $11)
ON CONFLICT (name) DO UPDATE SET
    agency = excluded.agency,
    start_urls = excluded.start_urls,
    sitemap_urls = excluded.sitemap_urls,
    allowed_prefixes = excluded.allowed_prefixes,
    languages = excluded.languages,
    recrawl_interval = excluded.recrawl_interval,
    crawl_delay = excluded.crawl_delay,
    concurrency = excluded.concurrency,
    local = excluded.local,
    updated_at = now()
RETURNING id, status
