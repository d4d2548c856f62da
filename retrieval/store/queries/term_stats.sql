-- Document frequencies of query terms among the chunks of one language in an index version,
-- for weighting how much of a question a passage covers. {{ID}} is filled in by the store.
--   $1 terms, $2 language, $3 match as prefixes
WITH t AS (
    SELECT term,
           CASE WHEN $3 THEN to_tsquery(lots_ts_config($2), term || ':*')
                ELSE plainto_tsquery(lots_ts_config($2), term) END AS q
    FROM unnest($1::text[]) AS term
)
SELECT t.term,
       numnode(t.q) > 0,
       CASE WHEN numnode(t.q) > 0 THEN
           (SELECT count(*) FROM chunks c WHERE c.index_id = {{ID}} AND c.language = $2 AND c.ts @@ t.q)
       ELSE 0 END,
       (SELECT count(*) FROM chunks c WHERE c.index_id = {{ID}} AND c.language = $2)
FROM t
