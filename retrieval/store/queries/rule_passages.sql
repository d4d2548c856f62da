-- The passages of an index version that passage rules point at: the chunks of the rule's page,
-- under its heading when it names one, and overlapping its passage text when it gives one
-- (word similarity either way, so a passage split in two or merged into a longer one by a new
-- chunking still matches). Only vetted sources' pages count, as in search.
-- {{ID}} and {{DIMS}} are integers filled in by the store.
--   $1 query vector, $2 rule ids, $3 page URLs, $4 headings ('' for any), $5 passages ('' for any)
WITH r AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS r (rule_id, url, heading, passage)
)
SELECT r.rule_id, c.id, c.page_id, p.url, p.title, c.agency, c.language, c.translation_group,
       c.heading_path, c.text, p.fetched_at,
       (1 - (c.embedding::vector({{DIMS}}) <=> $1::vector({{DIMS}})))::float8 AS similarity
FROM r
JOIN pages p ON p.url = r.url
JOIN chunks c ON c.page_id = p.id AND c.index_id = {{ID}}
WHERE (r.heading = '' OR c.heading = r.heading)
  AND (r.passage = '' OR word_similarity(r.passage, c.text) >= 0.6 OR word_similarity(c.text, r.passage) >= 0.6)
  AND c.source_id = ANY (ARRAY(SELECT id FROM sources WHERE status = 'vetted'))
ORDER BY r.rule_id, c.ord
