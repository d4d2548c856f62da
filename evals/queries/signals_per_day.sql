-- Questions asked per day of a period ($1 since, $2 until, $3 language or ''), in time zone $4.
SELECT (t.created_at AT TIME ZONE $4)::date::timestamp AS day, count(*)::int,
       (count(*) FILTER (WHERE NOT t.answered))::int
FROM turns t
WHERE t.created_at >= $1 AND t.created_at < $2
  AND ($3 = '' OR t.language = $3)
GROUP BY day
ORDER BY day
