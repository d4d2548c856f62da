-- Hybrid search: the vector kNN list and the full-text list, fused by reciprocal rank fusion.
-- {{ID}} and {{DIMS}} are integers filled in by the store, so the planner can use the partial
-- HNSW index of that index version.
--   $1 query vector, $2 tsquery text ('' for none), $3 language of the tsquery,
--   $4 languages, $5 agencies ('{}' for all), $6 translation group ('' for all),
--   $7 candidates per list, $8 results, $9 RRF constant k
-- The vetted sources are an array the scan filters by, not a join: autovacuum never analyzes
-- the few rows of sources, and joined with them the planner guessed 1/200 of the chunks and
-- chose a sequential scan and sort over the HNSW index (at 100k chunks, 95 ms instead of 4).
WITH vec AS (
    SELECT id, row_number() OVER (ORDER BY dist) AS rnk
    FROM (
        SELECT c.id, c.embedding::vector({{DIMS}}) <=> $1::vector({{DIMS}}) AS dist
        FROM chunks c
        WHERE c.index_id = {{ID}}
          AND c.language = ANY($4::text[])
          AND (cardinality($5::text[]) = 0 OR c.agency = ANY($5::text[]))
          AND ($6::text = '' OR c.translation_group = $6)
          AND c.source_id = ANY (ARRAY(SELECT id FROM sources WHERE status = 'vetted'))
        ORDER BY c.embedding::vector({{DIMS}}) <=> $1::vector({{DIMS}})
        LIMIT $7
    ) v
),
tsq AS (
    SELECT to_tsquery(lots_ts_config($3), $2) AS q WHERE $2 <> ''
),
txt AS (
    SELECT id, row_number() OVER (ORDER BY rank DESC, tiebreak) AS rnk
    FROM (
        SELECT c.id, ts_rank_cd(c.ts, tsq.q, 1) AS rank, c.translation_group || ' ' || c.ord AS tiebreak
        FROM chunks c, tsq
        WHERE c.index_id = {{ID}}
          AND c.ts @@ tsq.q
          AND c.language = ANY($4::text[])
          AND (cardinality($5::text[]) = 0 OR c.agency = ANY($5::text[]))
          AND ($6::text = '' OR c.translation_group = $6)
          AND c.source_id = ANY (ARRAY(SELECT id FROM sources WHERE status = 'vetted'))
        ORDER BY rank DESC, tiebreak
        LIMIT $7
    ) t
),
fused AS (
    SELECT coalesce(vec.id, txt.id) AS id,
           coalesce(1.0 / ($9 + vec.rnk), 0) + coalesce(1.0 / ($9 + txt.rnk), 0) AS score,
           vec.rnk AS vec_rank, txt.rnk AS txt_rank
    FROM vec FULL JOIN txt ON vec.id = txt.id
)
SELECT c.id, c.page_id, p.url, p.title, c.agency, c.language, c.translation_group, c.heading_path, c.text,
       p.fetched_at, f.score::float8,
       (1 - (c.embedding::vector({{DIMS}}) <=> $1::vector({{DIMS}})))::float8 AS similarity,
       coalesce(f.vec_rank, 0)::int, coalesce(f.txt_rank, 0)::int
FROM fused f
JOIN chunks c ON c.id = f.id
JOIN pages p ON p.id = c.page_id
-- Ties are broken by page and position, never by row ids, so results do not depend on the order
-- pages happened to be crawled in.
ORDER BY f.score DESC, similarity DESC, p.url, c.ord
LIMIT $8
